"""How the Data and Run pages show a rejected input: the message as text, then every problem as a table row.

An error names what people wrote (file names, column names, cell values), so it is escaped for Streamlit's markdown
before it is shown; the problems table shows every row and column that needs fixing, as plain text cells.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

import data
from evalcore.errors import EvalcoreError, IngestError


def show_error(exc: EvalcoreError, key: str) -> None:
    """`st.error` with the first line of the message; an IngestError's problems below it, one row each."""
    headline = str(exc).split("\n", 1)[0]
    st.error(data.markdown_safe(headline))
    problems = exc.problems if isinstance(exc, IngestError) else []
    if len(problems) > 1:
        st.dataframe(
            pd.DataFrame([{"row": p.row, "column": p.column, "problem": p.message} for p in problems],
                         columns=["row", "column", "problem"]),
            hide_index=True, key=key, width="stretch",
            column_config={"row": st.column_config.NumberColumn("row", format="%d", width=70),
                           "column": st.column_config.TextColumn("column", width=140),
                           "problem": st.column_config.TextColumn("problem", width=900)},
        )
