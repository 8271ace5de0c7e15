"""A local OpenAI-compatible chat server for tests and benchmarks, with injectable faults.

Run it as its own process (`python -m evalcore.fakeserver --port 0`) so it never shares an event loop or
the GIL with the code under test; it prints `PORT <n>` once it listens on 127.0.0.1.

Replies are deterministic: `"<model> says: <last user message>"`. Faults are injected two ways:
- per request, by directives in the last user message: `[[hang]]` never answers; `[[429:N]]` answers 429 with
  `Retry-After` the first N times it sees that exact message; `[[500:N]]` the same with 500; `[[sleep:MS]]` adds
  latency; `[[reply:TEXT]]` answers TEXT verbatim; `[[echo-key]]` answers with the key it was sent; `[[ctx]]` / `[[ctx-llamacpp]]` answer 400 "context length exceeded" as
  OpenAI / llama.cpp word it; `[[filter]]` a 400 content-filter refusal (Azure's words); `[[400]]` an invalid
  request.
- per candidate, as real providers answer: a key starting `sk-bad` gets OpenAI's 401 (which echoes the key), a
  key starting `sk-forbidden` a 403, and a model whose name starts `missing` OpenAI's 404 "model not found".
- globally, by flags: `--latency-ms`, `--fail-429 P`, `--fail-500 P` (random, seeded) and `--retry-after S`.
`GET /stats` returns request counts, the most requests in flight at once and the active window (first request
to last answer, `active_s`); `POST /reset` clears them and the per-message attempt counters.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import re
import subprocess
import sys
import time
import urllib.request
from collections import Counter

from aiohttp import web

_DIRECTIVE = re.compile(r"\[\[(hang|429|500|sleep|reply|echo-key|ctx|ctx-llamacpp|filter|400)(?::([^\]]*))?\]\]")

# Error bodies as real providers send them (OpenAI, llama.cpp server, Azure OpenAI).
_BODIES: dict[str, tuple[int, dict]] = {
    "ctx": (400, {"error": {"message": "This model's maximum context length is 8192 tokens. However, your messages "
                            "resulted in 9021 tokens. Please reduce the length of the messages.",
                            "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}}),
    "ctx-llamacpp": (400, {"error": {"code": 400, "message": "the request exceeds the available context size, try "
                                     "increasing it", "type": "exceed_context_size_error", "n_prompt_tokens": 9021,
                                     "n_ctx": 4096}}),
    "filter": (400, {"error": {"message": "The response was filtered due to the prompt triggering Azure OpenAI's "
                               "content management policy. Please modify your prompt and retry.",
                               "type": None, "param": "prompt", "code": "content_filter", "status": 400}}),
    "400": (400, {"error": {"message": "Invalid value for 'temperature': must be between 0 and 2.",
                            "type": "invalid_request_error", "param": "temperature", "code": "invalid_value"}}),
}


class FakeOpenAI:
    """State of one server: counters, attempt memory, and fault settings."""

    def __init__(self, latency_ms: float = 0.0, fail_429: float = 0.0, fail_500: float = 0.0,
                 retry_after: float = 0.05, seed: int = 0) -> None:
        self.latency_ms = latency_ms
        self.fail_429 = fail_429
        self.fail_500 = fail_500
        self.retry_after = retry_after
        self.rng = random.Random(seed)
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.completed = 0
        self.by_model: Counter[str] = Counter()
        self.by_status: Counter[int] = Counter()
        self.attempts: Counter[str] = Counter()
        self.authorization: set[str] = set()
        self.user_agents: set[str] = set()  # which client sent the calls (evalcore's own path, or litellm's SDK)
        self.first_request: float | None = None  # monotonic time of the first request since reset
        self.last_answer: float | None = None  # ... and of the last answer sent, for the active window
        self.inflight = 0
        self.max_inflight = 0

    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response({
            "requests": self.requests,
            "completed": self.completed,
            "by_model": dict(self.by_model),
            "by_status": {str(k): v for k, v in self.by_status.items()},
            "authorization": sorted(self.authorization),
            "user_agents": sorted(self.user_agents),
            "active_s": (self.last_answer - self.first_request
                         if self.first_request is not None and self.last_answer is not None else None),
            "first_request_at": self.first_request,  # time.monotonic(): the same clock in every process here
            "max_inflight": self.max_inflight,
        })

    async def reset_handler(self, request: web.Request) -> web.Response:
        self.reset()
        return web.json_response({"ok": True})

    def _fail(self, status: int, message: str, retry_after: float | None = None) -> web.Response:
        self.by_status[status] += 1
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        body = {"error": {"message": message, "type": "rate_limit" if status == 429 else "server_error"}}
        return web.json_response(body, status=status, headers=headers)

    def _body(self, status: int, body: dict) -> web.Response:
        self.by_status[status] += 1
        return web.json_response(body, status=status)

    async def chat(self, request: web.Request) -> web.StreamResponse:
        """A chat completion, timed: the active window runs from the first request to the last answer."""
        if self.first_request is None:
            self.first_request = time.monotonic()
        self.inflight += 1
        self.max_inflight = max(self.max_inflight, self.inflight)
        try:
            return await self._chat(request)
        finally:
            self.inflight -= 1
            self.last_answer = time.monotonic()

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests += 1
        model = str(body.get("model", ""))
        self.by_model[model] += 1
        auth = request.headers.get("Authorization", "")
        self.user_agents.add(request.headers.get("User-Agent", ""))
        if auth:
            self.authorization.add(auth)
        messages = body.get("messages") or []
        key_given = auth.removeprefix("Bearer ")
        if key_given.startswith("sk-bad"):
            return self._body(401, {"error": {"message": f"Incorrect API key provided: {key_given}. You can find "
                                              "your API key at https://platform.openai.com/account/api-keys.",
                                              "type": "invalid_request_error", "param": None,
                                              "code": "invalid_api_key"}})
        if key_given.startswith("sk-forbidden"):
            return self._body(403, {"error": {"message": "You are not allowed to sample from this model",
                                              "type": "invalid_request_error", "param": None, "code": None}})
        if model.startswith("missing"):
            return self._body(404, {"error": {"message": f"The model `{model}` does not exist or you do not have "
                                              "access to it.", "type": "invalid_request_error", "param": None,
                                              "code": "model_not_found"}})
        last = next((m.get("content") or "" for m in reversed(messages) if m.get("role") == "user"), "")
        if not isinstance(last, str):
            last = json.dumps(last)
        key = hashlib.sha256(json.dumps([model, messages], sort_keys=True).encode()).hexdigest()
        self.attempts[key] += 1
        attempt = self.attempts[key]

        reply: str | None = None
        delay = self.latency_ms / 1000.0
        for kind, arg in _DIRECTIVE.findall(last):
            if kind == "hang":
                await asyncio.sleep(3600)
            elif kind in ("429", "500") and attempt <= int(arg or 1):
                if kind == "429":
                    return self._fail(429, "rate limited (injected)", self.retry_after)
                return self._fail(500, "internal error (injected)")
            elif kind == "sleep":
                delay += float(arg or 0) / 1000.0
            elif kind == "reply":
                reply = arg
            elif kind == "echo-key":  # a model that repeats the key it was sent (a prompt injection's aim)
                reply = f"your key is {key_given}"
            elif kind in _BODIES:
                return self._body(*_BODIES[kind])
        if self.fail_429 and self.rng.random() < self.fail_429:
            return self._fail(429, "rate limited (random)", self.retry_after)
        if self.fail_500 and self.rng.random() < self.fail_500:
            return self._fail(500, "internal error (random)")
        if delay:
            await asyncio.sleep(delay)
        text = reply if reply is not None else f"{model} says: {last}"
        prompt_tokens = sum(len(str(m.get("content") or "").split()) for m in messages) + 3 * len(messages)
        completion_tokens = max(1, len(text.split()))
        self.completed += 1
        self.by_status[200] += 1
        return web.json_response({
            "id": f"chatcmpl-{self.requests}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
        })


def make_app(server: FakeOpenAI) -> web.Application:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/v1/chat/completions", server.chat)
    app.router.add_post("/chat/completions", server.chat)
    app.router.add_get("/stats", server.stats)
    app.router.add_post("/reset", server.reset_handler)
    return app


async def _serve(args: argparse.Namespace) -> None:
    server = FakeOpenAI(args.latency_ms, args.fail_429, args.fail_500, args.retry_after, args.seed)
    runner = web.AppRunner(make_app(server), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", args.port, backlog=1024)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"PORT {port}", flush=True)
    # Stop by itself when the parent goes away (stdin closes) or after --max-seconds.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + args.max_seconds
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while loop.time() < deadline:
        try:
            if not await asyncio.wait_for(reader.read(1), timeout=1.0):
                break
        except asyncio.TimeoutError:
            continue
    await runner.cleanup()


class ServerProcess:
    """A fake server in a child process: `with ServerProcess(latency_ms=200) as srv: srv.base_url`."""

    def __init__(self, **options: float) -> None:
        self.options = options
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> ServerProcess:
        args = [sys.executable, "-m", "evalcore.fakeserver"]
        for key, value in self.options.items():
            args += [f"--{key.replace('_', '-')}", str(value)]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            self.proc.kill()
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise RuntimeError(f"fake server did not start: {line!r} {err}")
        self.port = int(line.split()[1])
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def _call(self, method: str, path: str) -> dict:
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method)
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def stats(self) -> dict:
        return self._call("GET", "/stats")

    def reset(self) -> None:
        self._call("POST", "/reset")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--fail-429", type=float, default=0.0, help="probability of a random 429")
    p.add_argument("--fail-500", type=float, default=0.0, help="probability of a random 500")
    p.add_argument("--retry-after", type=float, default=0.05, help="Retry-After seconds sent with 429s")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-seconds", type=float, default=3600.0, help="stop after this long regardless")
    asyncio.run(_serve(p.parse_args(argv)))


if __name__ == "__main__":
    main()
