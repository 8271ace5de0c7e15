"""One OpenAI-compatible chat call over aiohttp: the direct path, which never imports litellm.

Why: litellm spends 3-5 ms of CPU per call in the worker's event loop and ~4 s to import. At real-size prompts
answers then queue behind each other (the server's active window was 1.6x the ideal) and a cold run waits seconds
before its first request. A POST of the same JSON body costs ~0.3 ms. So calls to OpenAI-compatible endpoints
(`openai/<name>` with an api_base, OpenAI itself) go here; every other provider goes through litellm.

It behaves as evalcore's litellm path does (evalcore.llm): the key comes from the variable named by api_key_env,
read at call time, never stored and redacted from messages; a local server (`openai/<name>` with api_base and no
key) gets a placeholder key; without api_base the OpenAI base URL and OPENAI_API_KEY are found as litellm finds
them. No retries here: the runner retries (429/5xx/timeouts/connection, Retry-After honoured) as for litellm.
Params are sent as given (`extra_body` merged into the body, `extra_headers` into the headers).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import weakref
from typing import Any

import aiohttp

from evalcore import failures, price_map
from evalcore.calls import CallOutcome, CallSpec
from evalcore.failures import CallFailed

OPENAI_BASE = "https://api.openai.com/v1"
_PLACEHOLDER = "not-needed"  # the key sent to a local server when none is named

# litellm maps providers' finish reasons onto OpenAI's (litellm_core_utils/core_helpers.py); the subset that
# OpenAI-compatible servers send. Anything else is "stop", as there.
_FINISH = {"stop": "stop", "length": "length", "tool_calls": "tool_calls", "function_call": "function_call",
           "content_filter": "content_filter", "content_filtered": "content_filter", "eos": "stop",
           "eos_token": "stop", "end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length",
           "error": "stop"}

_sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession] = weakref.WeakKeyDictionary()


def _session() -> aiohttp.ClientSession:
    """One connection pool per event loop (the runner's semaphores bound the calls, so the pool is unbounded)."""
    loop = asyncio.get_running_loop()
    session = _sessions.get(loop)
    if session is None or session.closed:
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=300),
                                        skip_auto_headers=("User-Agent",), headers={"User-Agent": "evalcore"})
        _sessions[loop] = session
    return session


async def aclose() -> None:
    """Close the running loop's connection pool (else aiohttp warns of an unclosed session at exit)."""
    session = _sessions.pop(asyncio.get_running_loop(), None)
    if session is not None and not session.closed:
        await session.close()


def endpoint(spec: CallSpec) -> tuple[str, str | None]:
    """(chat completions URL, API key or None if missing) as litellm resolves them for an openai-provider call."""
    base = spec.api_base or os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_BASE") or OPENAI_BASE
    if spec.api_key_env:
        key = os.environ.get(spec.api_key_env) or None
        if key is None:
            raise CallFailed.of(failures.config_failure(
                f"environment variable {spec.api_key_env} is not set (named by api_key_env); "
                "export it or put it in .streamlit/secrets.toml"))
    elif spec.api_base and spec.model.startswith("openai/"):
        key = _PLACEHOLDER  # local OpenAI-compatible servers ignore the key (evalcore.llm does the same)
    else:
        key = os.environ.get("OPENAI_API_KEY") or None
    return base.rstrip("/") + "/chat/completions", key


def request_body(spec: CallSpec, name: str) -> dict[str, Any]:
    """The JSON body: the candidate's params as given, then model and messages (which params cannot override)."""
    params = dict(spec.params)
    extra = params.pop("extra_body", None)
    params.pop("extra_headers", None)
    body = {**params, **(extra if isinstance(extra, dict) else {}), "model": name, "messages": spec.messages}
    return body


def outcome(data: dict[str, Any], spec: CallSpec, latency_ms: float) -> CallOutcome:
    """A parsed 200 answer (a dict with a list of choices) as evalcore records it, the fields the litellm path
    records: the first choice's text ("" when it has none), its finish reason, the tokens the server counted."""
    choices = data["choices"]
    choice = choices[0] if choices and isinstance(choices[0], dict) else {}
    message = choice.get("message") or {}
    text = message.get("content") if isinstance(message, dict) else None
    reason = choice.get("finish_reason")
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    tin, tout = usage.get("prompt_tokens"), usage.get("completion_tokens")
    tin = tin if isinstance(tin, int) else None
    tout = tout if isinstance(tout, int) else None
    return CallOutcome(
        output=text if isinstance(text, str) else "",
        finish_reason=_FINISH.get(reason, "stop") if isinstance(reason, str) else None,
        input_tokens=tin,
        output_tokens=tout,
        cost_usd=price_map.cost_usd(spec.model, tin, tout, spec.input_price_per_mtok, spec.output_price_per_mtok),
        latency_ms=latency_ms,
    )


async def complete(spec: CallSpec, name: str, *, timeout_s: float) -> CallOutcome:
    """Send one call as model `name`. Raises CallFailed (classified, key redacted) on any failure."""
    url, key = endpoint(spec)
    if key is None:
        raise CallFailed.of(failures.config_failure(
            "no API key for OpenAI: set OPENAI_API_KEY, or name the variable that holds the key with api_key_env"))
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    extra_headers = spec.params.get("extra_headers")
    if isinstance(extra_headers, dict):
        headers.update({str(k): str(v) for k, v in extra_headers.items()})
    body = json.dumps(request_body(spec, name), ensure_ascii=False).encode()
    started = time.perf_counter()
    try:
        async with _session().post(url, data=body, headers=headers,
                                   timeout=aiohttp.ClientTimeout(total=timeout_s)) as resp:
            raw = await resp.read()
            status, resp_headers = resp.status, resp.headers
    except asyncio.CancelledError:
        raise
    except asyncio.TimeoutError:
        raise _no_response(f"timed out: no answer from {url} within {timeout_s:g} s", key, timeout=True) from None
    except aiohttp.InvalidURL:
        raise _no_response(f"invalid URL {url} (from api_base {spec.api_base!r}); give it as http(s)://host:port/v1",
                           key) from None
    except (aiohttp.ClientError, OSError) as exc:  # refused, unresolvable, reset, disconnected, broken body
        raise _no_response(f"could not get an answer from {url}: {exc or type(exc).__name__}", key) from None
    latency_ms = (time.perf_counter() - started) * 1000.0
    if status >= 400:
        raise CallFailed.of(failures.classify_http(status, raw.decode("utf-8", "replace"), resp_headers,
                                                   secrets=_secrets(key)))
    try:
        data = json.loads(raw)
    except ValueError:
        raise _bad_answer(status, "is not JSON", raw, key) from None
    if not isinstance(data, dict) or not isinstance(data.get("choices"), list):
        raise _bad_answer(status, "has no choices", raw, key)
    return outcome(data, spec, latency_ms)


def _bad_answer(status: int, what: str, raw: bytes, key: str) -> CallFailed:
    """A success status with a body that is no chat completion: a server fault, retried like a 5xx."""
    text = failures.redact(f"HTTP {status}: the server's answer {what}: {raw[:200].decode('utf-8', 'replace')}",
                           _secrets(key))
    return CallFailed("server", failures.trim(text), retryable=True, status=status)


def _secrets(key: str) -> tuple[str, ...]:
    """What to redact from messages: the key, not the placeholder sent to local servers."""
    return () if key == _PLACEHOLDER else (key,)


def _no_response(message: str, key: str, *, timeout: bool = False) -> CallFailed:
    """A call that got no HTTP answer, classified as the litellm path classifies it (evalcore.llm.classify)."""
    found = failures.classify_http(None, message, secrets=_secrets(key))
    if timeout:
        found.kind, found.retryable, found.candidate_wide = "timeout", True, False
    elif found.kind == "unknown":
        found.kind, found.retryable = "connection", True
    return CallFailed.of(found)
