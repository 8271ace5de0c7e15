"""Start the browser loading the code of the heavy elements while the first page's script still works.

Streamlit's frontend loads the JavaScript of a table (~1.2 MB) and of a Vega chart (~0.8 MB) only when the first
such element arrives. A page sends its tables and charts after its data work, so a new visitor's browser used to
wait for the data, then for that code: measured as the "element floor", 1.85-2.04 s for a trivial page with a
table and a chart on this machine. Drawing an empty table and an empty chart in a 1-pixel slot at the top of a
session's first run starts those downloads at once, in parallel with the data work; the slot is emptied when the
page is done. Later runs of the session keep an empty slot in the same place (elements keep their positions).

Pages stop through `stop()`, not `st.stop()`: once a stop is requested Streamlit sends nothing more, so the slot
would keep its empty table and chart (1 pixel high, but there).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, NoReturn

import pandas as pd
import streamlit as st

_LOADED = "_element_code_requested"
_SLOT: ContextVar[Any] = ContextVar("element_code_slot", default=None)  # this script run's slot, while it runs


@contextmanager
def loading_while_the_page_runs() -> Iterator[None]:
    """Wrap a page's run: on a session's first run, an invisible empty table and chart go out before it."""
    slot = st.empty()
    if not st.session_state.get(_LOADED):
        st.session_state[_LOADED] = True
        with slot.container(height=1, border=False):
            st.dataframe(pd.DataFrame({"": []}), height=35, hide_index=True)
            st.vega_lite_chart({"mark": "point", "data": {"values": []}}, height=1)
    token = _SLOT.set(slot)
    try:
        yield
    finally:
        _SLOT.reset(token)
        slot.empty()


def stop() -> NoReturn:
    """`st.stop()` for pages: the slot is emptied first (module docstring)."""
    slot = _SLOT.get()
    if slot is not None:
        slot.empty()
    st.stop()
    raise AssertionError("unreachable: st.stop() raises")  # pragma: no cover
