"""The only module that imports litellm: one model call, its cost, and what kind of failure it was.

litellm is heavy (~4 s to import) and phones home for its price map unless told not to, so this module is
imported only when a call is actually about to be sent. Retries live in the runner, not here: litellm and
the openai SDK are told not to retry (`max_retries=0`), so backoff is ours and honours Retry-After.

litellm spends ~4.5 ms of CPU per call; two trims here cut that by ~28% without touching its internals: its
request building runs in the loop thread for API-key providers (CallExecutor), and worker processes give models
missing from its price map an entry (enter_unknown_model). `warm_up` preloads what its first call imports.
"""

from __future__ import annotations

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import asyncio  # noqa: E402
import logging  # noqa: E402
import socket  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from concurrent.futures import Future, ThreadPoolExecutor  # noqa: E402
from contextvars import ContextVar  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from functools import cache, lru_cache  # noqa: E402
from typing import Any, Callable  # noqa: E402

import litellm  # noqa: E402

from evalcore import demo, failures  # noqa: E402
from evalcore.failures import CallFailed  # noqa: E402,F401 - re-exported: callers catch llm.CallFailed

litellm.suppress_debug_info = True
litellm.disable_hf_tokenizer_download = True
litellm.telemetry = False
litellm.drop_params = True  # params a provider does not support are dropped, not fatal


@dataclass(frozen=True)
class CallSpec:
    """Everything needed to send one chat call (the key is looked up by name at call time)."""

    model: str
    messages: list[dict[str, str]]
    params: dict[str, Any]
    api_base: str | None = None
    api_key_env: str | None = None
    input_price_per_mtok: float | None = None
    output_price_per_mtok: float | None = None


@dataclass(frozen=True)
class CallOutcome:
    output: str | None
    finish_reason: str | None
    input_tokens: int | None
    output_tokens: int | None
    cost_usd: float | None
    latency_ms: float


# -- the demo provider ----------------------------------------------------------------------------------------
class _DemoProvider(litellm.CustomLLM):
    """Offline, synthetic model outputs for the demo workspace (see evalcore.demo). Clearly not a real model."""

    async def acompletion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        reply = demo.demo_reply(model.split("/", 1)[-1], messages)
        await asyncio.sleep(reply.latency_s)
        return self._response(model, reply, kwargs.get("model_response"))

    def completion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        reply = demo.demo_reply(model.split("/", 1)[-1], messages)
        time.sleep(reply.latency_s)
        return self._response(model, reply, kwargs.get("model_response"))

    @staticmethod
    def _response(model: str, reply: demo.DemoReply, response: Any) -> Any:
        return litellm.ModelResponse(
            model=f"demo/{model.split('/', 1)[-1]}",
            choices=[{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": reply.text}}],
            usage={"prompt_tokens": reply.input_tokens, "completion_tokens": reply.output_tokens,
                   "total_tokens": reply.input_tokens + reply.output_tokens},
        )


litellm.custom_provider_map = [
    *[m for m in litellm.custom_provider_map if m.get("provider") != "demo"],
    {"provider": "demo", "custom_handler": _DemoProvider()},
]


# -- cost -------------------------------------------------------------------------------------------------------
@cache
def _map_price(model: str) -> tuple[float, float] | None:
    """USD per token (input, output) from litellm's bundled price map; looked up once per model, before any
    entry of ours (see enter_unknown_model) can exist."""
    try:
        info = litellm.get_model_info(model)
    except Exception:
        return None
    pin, pout = info.get("input_cost_per_token"), info.get("output_cost_per_token")
    if pin is None or pout is None:
        return None
    return float(pin), float(pout)


def cost_usd(spec: CallSpec, input_tokens: int | None, output_tokens: int | None) -> float | None:
    """The candidate's own price if given, else litellm's map; None when unknown (shown as unknown)."""
    if input_tokens is None or output_tokens is None:
        return None
    if spec.input_price_per_mtok is not None and spec.output_price_per_mtok is not None:
        return (input_tokens * spec.input_price_per_mtok + output_tokens * spec.output_price_per_mtok) / 1e6
    price = _map_price(spec.model)
    if price is None:
        return None
    return input_tokens * price[0] + output_tokens * price[1]


_entered: set[str] = set()
_enter_unknown = False


def enter_unknown_models() -> None:
    """From now on, enter each unknown model in litellm's price map before its first call (see below). Only for
    the runner's worker processes: they are thrown away after a run, so the entries never leak into a user's
    process or another run."""
    global _enter_unknown
    _enter_unknown = True


def enter_unknown_model(spec: CallSpec) -> None:
    """Give litellm a price-map entry for a model its map lacks.

    litellm prices every response itself, and for a model missing from its map each call walks ~12 failing
    lookups and a zero-cost diagnostic (~0.5 ms of a ~4.5 ms call). One entry makes that a hit. The entry holds
    the candidate's own price, or 0 when none is given; evalcore's recorded cost never reads it (cost_usd uses
    the override, or the map as it was before any entry: `_map_price` is cached first)."""
    if spec.model in _entered:
        return
    _entered.add(spec.model)
    try:
        litellm.get_model_info(spec.model)
        return  # known to litellm: its own entry stands
    except Exception:  # noqa: BLE001 - unknown model: add ours below
        pass
    _map_price(spec.model)
    provider = _provider(spec.model, spec.api_base)
    if provider is None:
        return  # the call itself will report the bad model string
    entry = {"litellm_provider": provider, "mode": "chat",
             "input_cost_per_token": (spec.input_price_per_mtok or 0.0) / 1e6,
             "output_cost_per_token": (spec.output_price_per_mtok or 0.0) / 1e6}
    log = logging.getLogger("LiteLLM")
    level = log.level
    log.setLevel(logging.ERROR)  # it warns that cache-read prices default to 0: true, and irrelevant here
    try:
        litellm.register_model({spec.model: entry})
    finally:
        log.setLevel(level)


# -- failures ---------------------------------------------------------------------------------------------------
def _headers(exc: BaseException) -> dict[str, str]:
    """The response headers a litellm exception carries: litellm keeps them as `litellm_response_headers` (its
    `response` is a stand-in without them); names are lower-cased."""
    headers: dict[str, str] = {}
    for source in (getattr(getattr(exc, "response", None), "headers", None), getattr(exc, "headers", None),
                   getattr(exc, "litellm_response_headers", None)):
        try:
            headers.update({str(k).lower(): str(v) for k, v in (source or {}).items()})
        except (AttributeError, TypeError):
            continue
    return headers


def _retry_after(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait (Retry-After, or OpenAI's retry-after-ms), if it said."""
    return failures.retry_after_s(_headers(exc))


def _root_cause(exc: BaseException) -> str | None:
    """The innermost cause's text ("[Errno 111] Connection refused"): litellm's own says only "Connection error"."""
    seen, cause = set(), exc
    while (cause.__cause__ or cause.__context__) is not None and id(cause) not in seen:
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__  # type: ignore[assignment]
    return str(cause) if cause is not exc and str(cause) else None


def classify(exc: BaseException, secrets: tuple[str | None, ...] = ()) -> CallFailed:
    """Map a litellm/openai exception to a failure kind through evalcore.failures (the classifier every call path
    shares): the HTTP status and body when a response came back, litellm's class where it knows better (a
    refused connection that it reports as a 500, a context window it recognised). Secrets are redacted first."""
    if isinstance(exc, CallFailed):
        return exc
    text = str(exc) or type(exc).__name__
    headers = _headers(exc)
    if isinstance(exc, (asyncio.TimeoutError, litellm.Timeout)):
        found = failures.classify_http(None, text if "time" in text.lower() else f"timed out: {text}",
                                       headers, secrets=secrets)
        found.kind, found.retryable, found.candidate_wide = "timeout", True, False
        return CallFailed.of(found)
    status = getattr(exc, "status_code", None)
    status = status if isinstance(status, int) and 100 <= status <= 599 else None
    if isinstance(exc, litellm.APIConnectionError) or "Connection error" in text:  # litellm may call it a 500
        status = None
        root = _root_cause(exc)
        if root:
            text = f"{failures.provider_reason(text).rstrip('.')}: {root}"
    found = failures.classify_http(status, text, headers, secrets=secrets)
    if isinstance(exc, litellm.ContextWindowExceededError):
        found.kind, found.retryable, found.final, found.candidate_wide = "context_window", False, True, False
    elif isinstance(exc, litellm.ContentPolicyViolationError):
        found.kind, found.retryable, found.final, found.candidate_wide = "content_filter", False, True, False
    elif status is None and found.kind == "unknown":
        found.kind, found.retryable = "connection", True
    return CallFailed.of(found)


# -- where litellm builds a request -------------------------------------------------------------------------------
# litellm's acompletion builds every request by running its synchronous `completion()` in the event loop's
# default executor: one thread hop per call. On a loop with dozens of calls in flight those hops contend for the
# GIL, and each handoff can wait up to the 5 ms switch interval; measured at 16 calls in flight per process, mean
# latency over a 200 ms server was ~30 ms higher with the hop than without. For providers whose request building
# is pure CPU (API-key providers: no credential fetch, no file or network I/O before the request), the same work
# runs inline in the loop thread. Everything else - DNS lookups, other providers' setup (Vertex, Bedrock, Azure AD
# tokens may fetch credentials) - still goes to threads.
INLINE_SETUP_PROVIDERS = frozenset({
    "openai", "text-completion-openai", "custom_openai", "hosted_vllm", "anthropic", "gemini", "groq", "mistral",
    "deepseek", "together_ai", "fireworks_ai", "openrouter", "xai", "lm_studio", "demo",
})
_inline_setup: ContextVar[bool] = ContextVar("evalcore_inline_setup", default=False)
_BLOCKING = (socket.getaddrinfo, socket.getnameinfo)


class CallExecutor(ThreadPoolExecutor):
    """The default executor of an event loop that sends model calls (see above): inline when the call allows it."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:  # type: ignore[override]
        if not _inline_setup.get() or fn in _BLOCKING:
            return super().submit(fn, *args, **kwargs)
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - handed to the awaiting call, as a thread would
            future.set_exception(exc)
        return future


def use_call_executor(loop: asyncio.AbstractEventLoop) -> None:
    """Install CallExecutor as the loop's default executor (the runner does this for every loop it runs)."""
    loop.set_default_executor(CallExecutor(thread_name_prefix="evalcore-io"))


@lru_cache(maxsize=256)
def _provider(model: str, api_base: str | None) -> str | None:
    """litellm's provider for a model string, or None when it cannot tell (the call will say why)."""
    try:
        return litellm.get_llm_provider(model=model, api_base=api_base)[1]
    except Exception:  # noqa: BLE001 - a bad model string is reported by the call, not here
        return None


def setup_is_inline(model: str, api_base: str | None) -> bool:
    """Whether litellm's request building for this model may run in the loop thread (a known API-key provider)."""
    return _provider(model, api_base) in INLINE_SETUP_PROVIDERS


def warm_up() -> None:
    """Load what litellm imports lazily on its first call (~0.6 s of imports), so workers forked afterwards start
    warm. It builds one real request to a local port that is bound but not listening, so nothing leaves the
    machine and the connection is refused at once; the clients it cached are dropped again."""
    try:
        with socket.socket() as sock, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydantic's notes on litellm's types, once per process: not for users
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
            litellm.completion(model="openai/evalcore-warm-up", messages=[{"role": "user", "content": "warm-up"}],
                               api_base=f"http://127.0.0.1:{port}/v1", api_key="warm-up", max_retries=0, timeout=5)
    except Exception:  # noqa: BLE001 - the refusal is the expected outcome; a warm-up never fails a run
        pass
    litellm.in_memory_llm_clients_cache.flush_cache()


# -- the call -----------------------------------------------------------------------------------------------------
async def complete(spec: CallSpec, *, timeout_s: float) -> CallOutcome:
    """Send one call. Raises CallFailed (classified) on any failure."""
    api_key = None
    if spec.api_key_env:
        api_key = os.environ.get(spec.api_key_env)
        if not api_key:
            raise CallFailed.of(failures.config_failure(
                f"environment variable {spec.api_key_env} is not set (named by api_key_env); "
                "export it or put it in .streamlit/secrets.toml"))
    kwargs: dict[str, Any] = dict(spec.params)
    if spec.api_base:
        kwargs["api_base"] = spec.api_base
        if api_key is None and spec.model.startswith("openai/"):
            api_key = "not-needed"  # local OpenAI-compatible servers ignore the key but the SDK wants one
    if api_key is not None:
        kwargs["api_key"] = api_key
    if _enter_unknown and spec.model not in _entered:
        enter_unknown_model(spec)
    started = time.perf_counter()
    token = _inline_setup.set(setup_is_inline(spec.model, spec.api_base))
    try:
        response = await asyncio.wait_for(
            litellm.acompletion(model=spec.model, messages=spec.messages, timeout=timeout_s, max_retries=0,
                                **kwargs),
            timeout=timeout_s + 2.0,
        )
    except asyncio.CancelledError:
        raise
    except BaseException as exc:  # noqa: BLE001 - every failure becomes a classified error row
        raise classify(exc, (api_key,)) from None
    finally:
        _inline_setup.reset(token)
    latency_ms = (time.perf_counter() - started) * 1000.0
    choice = response.choices[0] if response.choices else None
    text = getattr(getattr(choice, "message", None), "content", None) if choice else None
    usage = getattr(response, "usage", None)
    tin = getattr(usage, "prompt_tokens", None) if usage else None
    tout = getattr(usage, "completion_tokens", None) if usage else None
    return CallOutcome(
        output=text if text is not None else "",
        finish_reason=getattr(choice, "finish_reason", None) if choice else None,
        input_tokens=tin,
        output_tokens=tout,
        cost_usd=cost_usd(spec, tin, tout),
        latency_ms=latency_ms,
    )
