"""The only module that imports litellm: one model call, its cost, and what kind of failure it was.

litellm is heavy (~4 s to import) and phones home for its price map unless told not to, so this module is
imported only when a call is actually about to be sent. Retries live in the runner, not here: litellm and
the openai SDK are told not to retry (`max_retries=0`), so backoff is ours and honours Retry-After.
"""

from __future__ import annotations

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import asyncio  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from functools import lru_cache  # noqa: E402
from typing import Any  # noqa: E402

import litellm  # noqa: E402

from evalcore import demo  # noqa: E402

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


class CallFailed(Exception):
    """A classified failure: kind is one of rate_limit, server, timeout, connection, auth, bad_request,
    not_found, content_filter, config, unknown; retryable says whether backing off may help."""

    def __init__(self, kind: str, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after


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
@lru_cache(maxsize=1024)
def _map_price(model: str) -> tuple[float, float] | None:
    """USD per token (input, output) from litellm's bundled price map; looked up once per model."""
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


# -- failures ---------------------------------------------------------------------------------------------------
def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    for name in ("retry-after-ms", "Retry-After-Ms"):
        if name in headers:
            try:
                return float(headers[name]) / 1000.0
            except ValueError:
                pass
    for name in ("retry-after", "Retry-After"):
        if name in headers:
            try:
                return float(headers[name])
            except ValueError:
                return None
    return None


def classify(exc: BaseException) -> CallFailed:
    """Map litellm/openai exceptions to a failure kind; messages are trimmed and never carry the key."""
    msg = f"{type(exc).__name__}: {exc}"[:500]
    if isinstance(exc, CallFailed):
        return exc
    if isinstance(exc, (asyncio.TimeoutError, litellm.Timeout)):
        return CallFailed("timeout", msg, retryable=True)
    if isinstance(exc, litellm.RateLimitError):
        return CallFailed("rate_limit", msg, retryable=True, retry_after=_retry_after(exc))
    if isinstance(exc, litellm.ContentPolicyViolationError):
        return CallFailed("content_filter", msg, retryable=False)
    if isinstance(exc, (litellm.AuthenticationError, litellm.PermissionDeniedError)):
        return CallFailed("auth", msg, retryable=False)
    if isinstance(exc, litellm.NotFoundError):
        return CallFailed("not_found", msg, retryable=False)
    if isinstance(exc, (litellm.BadRequestError, litellm.UnprocessableEntityError)):
        return CallFailed("bad_request", msg, retryable=False)
    if isinstance(exc, litellm.APIConnectionError):
        return CallFailed("connection", msg, retryable=True)
    if isinstance(exc, (litellm.InternalServerError, litellm.ServiceUnavailableError, litellm.BadGatewayError)):
        return CallFailed("server", msg, retryable=True, retry_after=_retry_after(exc))
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and status >= 500:
        return CallFailed("server", msg, retryable=True)
    return CallFailed("unknown", msg, retryable=False)


def _redact(message: str, key: str | None) -> str:
    return message.replace(key, "***") if key else message


# -- the call -----------------------------------------------------------------------------------------------------
async def complete(spec: CallSpec, *, timeout_s: float) -> CallOutcome:
    """Send one call. Raises CallFailed (classified) on any failure."""
    api_key = None
    if spec.api_key_env:
        api_key = os.environ.get(spec.api_key_env)
        if not api_key:
            raise CallFailed(
                "config",
                f"environment variable {spec.api_key_env} is not set (named by api_key_env); "
                "export it or put it in .streamlit/secrets.toml",
                retryable=False,
            )
    kwargs: dict[str, Any] = dict(spec.params)
    if spec.api_base:
        kwargs["api_base"] = spec.api_base
        if api_key is None and spec.model.startswith("openai/"):
            api_key = "not-needed"  # local OpenAI-compatible servers ignore the key but the SDK wants one
    if api_key is not None:
        kwargs["api_key"] = api_key
    started = time.perf_counter()
    try:
        response = await asyncio.wait_for(
            litellm.acompletion(model=spec.model, messages=spec.messages, timeout=timeout_s, max_retries=0,
                                **kwargs),
            timeout=timeout_s + 2.0,
        )
    except asyncio.CancelledError:
        raise
    except BaseException as exc:  # noqa: BLE001 - every failure becomes a classified error row
        failed = classify(exc)
        failed.message = _redact(failed.message, api_key)
        raise failed from None
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
