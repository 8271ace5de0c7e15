"""The one way a page puts an Altair chart on screen: `show(container, chart, key=...)`.

`st.altair_chart` converts the chart with `chart.to_dict()`, which validates the whole spec against Vega-Lite's
JSON schema (jsonschema, 0.1-0.3 s of CPU per chart on every rerun). The charts are built by our own tested
functions (dashboard/charts.py, whose tests validate their specs), so here the spec is made exactly as
Streamlit makes it (theme "none", the data pulled out as Arrow datasets named by a hash of their bytes) but
without the validation, and handed to `st.vega_lite_chart`. The element Streamlit sends is the same.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

import altair as alt
import streamlit as st
from streamlit import dataframe_util
from streamlit.util import calc_hash

try:  # share Streamlit's lock: the Altair theme and data transformer are process-wide settings
    from streamlit.elements.vega_charts import _altair_globals_lock as _LOCK
except ImportError:  # pragma: no cover - a Streamlit without it
    _LOCK = threading.Lock()

_TRANSFORMER = "evalcore_arrow_datasets"


def _to_arrow(data: Any, datasets: dict[str, Any]) -> dict[str, str]:
    """Altair data transformer: the chart's data as Arrow IPC bytes under a content-hash name (as Streamlit's)."""
    payload = dataframe_util.convert_anything_to_arrow_bytes(data)
    name = calc_hash(payload)
    datasets[name] = payload
    return {"name": name}


alt.data_transformers.register(_TRANSFORMER, _to_arrow)


def spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The chart's Vega-Lite spec with its data as named Arrow datasets, unvalidated."""
    datasets: dict[str, Any] = {}
    with _LOCK:  # the default theme's width/height are not Streamlit's: as st.altair_chart, use "none"
        theme = alt.theme.enable("none") if alt.theme.active == "default" else nullcontext()
        with theme, alt.data_transformers.enable(_TRANSFORMER, datasets=datasets):
            out = chart.to_dict(validate=False)
    out["datasets"] = {**out["datasets"], **datasets} if isinstance(out.get("datasets"), dict) else datasets
    return out


_SPECS_KEPT = 64


@st.cache_resource(show_spinner=False)
def _spec_cache() -> tuple[threading.Lock, OrderedDict[tuple[Any, ...], dict[str, Any]]]:
    """Built specs of this server process, newest last (a few KB each)."""
    return threading.Lock(), OrderedDict()


def show(container: Any, chart: alt.TopLevelMixin | Callable[[], alt.TopLevelMixin], *, key: str,
         cache: tuple[Any, ...] | None = None, width: str = "stretch", **kwargs: Any) -> Any:
    """`container.altair_chart(chart, width=..., key=...)` without the per-run schema validation.

    With `cache` (everything the chart is built from, e.g. (workspace, data token, suite, scorer)), `chart` is a
    function that builds it, called only when no spec was built for that key yet: building the chart objects
    (Altair checks each channel as it is made) costs as much as validating them, on every rerun otherwise."""
    if cache is None:
        built = spec(chart() if callable(chart) else chart)
    else:
        lock, specs = _spec_cache()
        k = (key, *cache)
        with lock:
            hit = specs.get(k)
            if hit is not None:
                specs.move_to_end(k)
        if hit is None:
            hit = spec(chart() if callable(chart) else chart)
            with lock:
                specs[k] = hit
                while len(specs) > _SPECS_KEPT:
                    specs.popitem(last=False)
        built = copy.deepcopy(hit)  # Streamlit moves the datasets out of the dict it is given
    return container.vega_lite_chart(spec=built, width=width, key=key, **kwargs)
