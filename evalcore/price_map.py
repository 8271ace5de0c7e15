"""litellm's bundled price map, read as the JSON file it ships, without importing litellm (~4 s).

litellm keeps `model_prices_and_context_window_backup.json` in its package directory and, with
LITELLM_LOCAL_MODEL_COST_MAP=True (always set by evalcore), prices every call from it. Reading the same file
gives the direct HTTP path the same prices. Lookups follow litellm's naming: `openai/gpt-4o-mini` is found under
its own key or, failing that, as `gpt-4o-mini` when that entry's provider is `openai`. Unknown stays unknown
(None), never 0.
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from pathlib import Path
from typing import Any

MAP_FILE = "model_prices_and_context_window_backup.json"


def map_path() -> Path | None:
    """Where litellm's price map is installed (found without importing litellm), or None without litellm."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / MAP_FILE
        if path.is_file():
            return path
    return None


@cache
def _table() -> dict[str, dict[str, Any]]:
    """The whole map (~5,000 entries, ~30 ms to read), once per process."""
    path = map_path()
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, dict) and k != "sample_spec"}


def entry(model: str) -> dict[str, Any] | None:
    """The map's entry for a litellm model string, by litellm's naming (see the module docstring)."""
    table = _table()
    hit = table.get(model)
    if hit is not None:
        return hit
    provider, sep, name = model.partition("/")
    if sep:
        hit = table.get(name)
        if hit is not None and hit.get("litellm_provider") == provider:
            return hit
    return None


@cache
def per_token(model: str) -> tuple[float, float] | None:
    """USD per token (input, output) for a model, or None when the map does not price it."""
    found = entry(model)
    if not found:
        return None
    pin, pout = found.get("input_cost_per_token"), found.get("output_cost_per_token")
    if pin is None or pout is None:
        return None
    try:
        return float(pin), float(pout)
    except (TypeError, ValueError):
        return None


def cost_usd(model: str, input_tokens: int | None, output_tokens: int | None,
             input_price_per_mtok: float | None = None, output_price_per_mtok: float | None = None) -> float | None:
    """The candidate's own price if given, else the map's; None when either is unknown (shown as unknown)."""
    if input_tokens is None or output_tokens is None:
        return None
    if input_price_per_mtok is not None and output_price_per_mtok is not None:
        return (input_tokens * input_price_per_mtok + output_tokens * output_price_per_mtok) / 1e6
    price = per_token(model)
    if price is None:
        return None
    return input_tokens * price[0] + output_tokens * price[1]
