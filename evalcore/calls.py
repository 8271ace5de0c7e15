"""Which client sends a model call, and the call's types: litellm-free, so choosing costs nothing.

OpenAI-compatible calls (`openai/<name>`, local servers, OpenAI itself) go over evalcore's own HTTP path
(evalcore.openai_http), which needs ~0.3 ms of CPU per call where litellm needs 3-5 ms and ~4 s to import. Every
other provider, and everything when the switch says so, goes through litellm (evalcore.llm), imported only then.

The switch back to plain litellm: `run: {client: litellm}` in the suite, or `EVALCORE_CLIENT=litellm` in the
environment (which wins, so a suite can be sent through litellm without editing it).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

CLIENT_ENV = "EVALCORE_CLIENT"
CLIENTS = ("auto", "litellm")


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


def client_setting(suite_client: str | None = None) -> str:
    """`auto` or `litellm`: the environment's EVALCORE_CLIENT if set, else the suite's `run.client`."""
    env = os.environ.get(CLIENT_ENV, "").strip().lower()
    if env:
        if env not in CLIENTS:
            from evalcore.errors import EvalcoreError

            raise EvalcoreError(f"{CLIENT_ENV}={env!r} is not a client evalcore knows.",
                                hint=f"Use one of: {', '.join(CLIENTS)} (or unset it).")
        return env
    return suite_client or "auto"


# OpenAI's reasoning models (o1, o3, o4-mini, gpt-5...) take other parameters (max_completion_tokens, no
# temperature) and litellm rewrites requests for them: they keep going through litellm, so nothing changes there.
_REASONING = re.compile(r"^(o\d|gpt-5)")


@lru_cache(maxsize=1024)
def direct_model(model: str) -> str | None:
    """The model name to send over the direct OpenAI-compatible path, or None when litellm must send this call.

    Direct: `openai/<name>` (any OpenAI-compatible server given by api_base, or OpenAI itself), and bare names that
    litellm's price map lists as OpenAI chat models (`gpt-4o-mini`), except OpenAI's reasoning models."""
    if model.startswith("openai/"):
        name = model[len("openai/"):]
    elif "/" not in model:
        from evalcore import price_map

        entry = price_map.entry(model)
        if not entry or entry.get("litellm_provider") != "openai" or entry.get("mode") != "chat":
            return None
        name = model
    else:
        return None
    if not name or _REASONING.match(name):
        return None
    return name


def uses_litellm(model: str, client: str) -> bool:
    """Whether a call to this model goes through litellm under the given client setting."""
    return client == "litellm" or direct_model(model) is None


def needs_litellm(models: Iterable[str], client: str) -> bool:
    """Whether any call to these models goes through litellm (so workers should have it loaded)."""
    return any(uses_litellm(m, client) for m in models)


_litellm_workers = False


def in_worker_process() -> None:
    """Called by each runner worker: litellm, when a call loads it there, gets price-map entries for unknown models
    (see evalcore.llm.enter_unknown_model); never in a user's own process."""
    global _litellm_workers
    _litellm_workers = True


def _llm() -> Any:
    from evalcore import llm

    if _litellm_workers:
        llm.enter_unknown_models()
    return llm


def import_in_background(litellm: bool) -> None:
    """Start importing the client modules this process will send through (the direct path's aiohttp, ~0.2 s; litellm,
    ~4 s) in a thread while the run is planned: planning waits on files and DuckDB much of that time, and the first
    call then finds them loaded."""
    import sys
    import threading

    names = ["evalcore.openai_http"] + (["evalcore.llm"] if litellm else [])
    names = [n for n in names if n not in sys.modules]
    if not names:
        return

    def load() -> None:
        import importlib

        for name in names:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - the first call imports it again and reports what is wrong
                pass

    threading.Thread(target=load, name="evalcore-import-clients", daemon=True).start()


def prepare_loop(loop: Any, litellm_used: bool) -> None:
    """Set up an event loop that will send calls: litellm's request building runs inline where it can."""
    if litellm_used:
        _llm().use_call_executor(loop)


async def complete(spec: CallSpec, *, timeout_s: float, client: str = "auto") -> CallOutcome:
    """Send one call through the path that `client` and the model choose. Raises CallFailed on any failure."""
    name = None if client == "litellm" else direct_model(spec.model)
    if name is not None:
        from evalcore import openai_http

        return await openai_http.complete(spec, name, timeout_s=timeout_s)
    return await _llm().complete(spec, timeout_s=timeout_s)


async def aclose() -> None:
    """Close the direct path's connections of the running loop (the runner calls it when its calls are done)."""
    import sys

    http = sys.modules.get("evalcore.openai_http")
    if http is not None:
        await http.aclose()
