"""The empty table and chart that start the browser loading their code while a session's first page works."""

from __future__ import annotations

import re

from dashboard_testing import DASHBOARD
from streamlit.testing.v1 import AppTest


def _page(stop: str) -> AppTest:
    def script() -> None:
        import streamlit as st

        import element_code

        with element_code.loading_while_the_page_runs():
            st.title("Page")
            if st.session_state.get("how") == "raw":
                st.stop()
            if st.session_state.get("how") == "wrapped":
                element_code.stop()
            st.write("done")

    at = AppTest.from_function(script, default_timeout=30)
    at.session_state["how"] = stop
    return at.run()


def test_the_first_run_sends_an_empty_table_and_chart_and_the_page_ends_without_them() -> None:
    at = _page("none")
    assert at.title[0].value == "Page" and at.markdown[0].value == "done"
    assert not at.dataframe and not at.get("arrow_vega_lite_chart") and not at.get("vega_lite_chart")
    at.run()  # a later run of the session sends nothing extra
    assert not at.dataframe and at.markdown[0].value == "done"


def test_a_raw_stop_would_leave_them_on_the_page_so_pages_stop_through_element_code() -> None:
    raw = _page("raw")  # what st.stop() does: nothing is sent after a stop request, so the slot keeps them
    assert len(raw.dataframe) == 1
    wrapped = _page("wrapped")
    assert wrapped.title[0].value == "Page" and not wrapped.dataframe and not wrapped.markdown


def test_no_page_calls_st_stop_directly() -> None:
    offenders = [f"{p.relative_to(DASHBOARD)}:{i}" for p in sorted(DASHBOARD.rglob("*.py")) if p.name != "element_code.py"
                 for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if re.search(r"\bst\.stop\(", line)]
    assert not offenders, f"use element_code.stop() (see its docstring): {offenders}"
