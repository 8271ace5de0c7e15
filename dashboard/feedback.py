"""How the Data and Run pages show a rejected input: the message, then every further problem, in one error box.

An error names what people wrote (file names, column names, cell values), so it is escaped for Streamlit's markdown
before it is shown; each problem is a list item naming its row and column, wrapped whole.
"""

from __future__ import annotations

import streamlit as st

import data
from evalcore.errors import EvalcoreError, IngestError, SuiteError


# The library's messages name the CLI's flags; on these pages the same choice is a box beside the uploader.
# tests/dashboard/test_odd_workspaces.py checks each phrase is still what the library says.
PAGE_WORDS = {
    "pass --encoding cp1252 (or latin-1)": "choose cp1252 (or latin-1) in Text encoding",
    "pass --encoding with its encoding": "choose its encoding in Text encoding",
    "or pass --candidate.": "or choose the candidate in the Candidate box.",
}


def _page_words(text: str) -> str:
    for cli, page in PAGE_WORDS.items():
        text = text.replace(cli, page)
    return text


def show_error(exc: EvalcoreError) -> None:
    """`st.error` with the message's first line, then every further problem (an IngestError's rows, a
    SuiteError's keys) as a list in the same box, each wrapped whole: a table cut each problem at its column's
    width, which at 1,024 px was where the fix is ("every example needs an inpu"), and a SuiteError's other
    problems were never shown ("2 problems in all", one listed)."""
    headline = str(exc).split("\n", 1)[0]
    if isinstance(exc, IngestError):
        items = [f"{p.where()}: {p.message}" if p.where() else p.message for p in exc.problems]
        if items and (exc.problems[0].row, exc.problems[0].column) == (exc.row, exc.column):
            items = items[1:]  # the headline is the first problem
    elif isinstance(exc, SuiteError):
        items = [str(p) for p in exc.problems[1:]]
    else:
        items = []
    text = data.markdown_safe(_page_words(headline))
    if items:
        text += "\n\n" + data.bullets([data.markdown_safe(_page_words(i)) for i in items])
    st.error(text)
