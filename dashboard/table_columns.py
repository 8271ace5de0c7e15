"""Column settings for the tables more than one page shows, kept in one place so their wording cannot drift.

Overview and Compare both print the leaderboard and the people's ratings; a column's title or help text changed
on one page and not the other once (rank's help still described the old rank), so both read them from here.
"""

from __future__ import annotations

from typing import Any

import streamlit as st


ROW = 35  # Streamlit's dataframe row height (px); the header row is one more pixel


def table_height(rows: int, cap: int | None = None) -> int:
    """A dataframe's height that shows `rows` rows with no blank ones under them and no inner scrollbar, up
    to `cap` px (then it scrolls): a fixed height drew 4 matching results above five empty rows."""
    height = 36 + ROW * max(rows, 1)
    return height if cap is None else min(height, cap)


# The leaderboard's column order on Overview and Compare. IN_VIEW is what a 1,024 px screen shows beside the
# sidebar (a 564 px grid): the mean, whether it could be best, its cost and pass rate, the columns a person
# deciding needs; "could be best" sat behind a sideways scroll, cut to "co", when the gap to the leader came first.
LEADERBOARD_IN_VIEW = ["rank", "candidate", "score", "ci", "could_be_best", "cost_1k", "pass"]
LEADERBOARD_MORE = ["p50", "errors", "n"]  # to the right, scrolled to under the pinned rank and candidate


def leaderboard_columns() -> dict[str, Any]:
    """The leaderboard's shared columns: rank and candidate pinned, so a 1,024 px screen scrolls under them, and
    the ones in LEADERBOARD_IN_VIEW sized to their contents so they fit that screen together."""
    return {
        "rank": st.column_config.NumberColumn("rank", format="%d", width=48, pinned=True,
                                              help="position by mean (1 = best mean)"),
        "candidate": st.column_config.TextColumn("candidate", pinned=True),
        "score": st.column_config.TextColumn("mean", width=56),
        "ci": st.column_config.TextColumn("95% interval", width=100),
        "could_be_best": st.column_config.CheckboxColumn("could be best", width=104,  # "small" cut it to "could be be"
                                                         help="no candidate is credibly better (paired tests)"),
        "cost_1k": st.column_config.TextColumn("$ per 1,000", width=84,
                                               help="USD per 1,000 examples; 'unknown': no price is known for it"),
        "pass": st.column_config.TextColumn("pass rate", width=72),
        "p50": st.column_config.TextColumn("p50 latency", width="small"),
        "errors": st.column_config.NumberColumn("errors", format="%d", width="small", help="failed calls"),
        "n": st.column_config.NumberColumn("n", format="%d", width="small", help="examples scored"),
    }


def example_columns() -> dict[str, Any]:
    """The Data page's example tables: the id pinned and the input narrowed (a cell shows its start; the whole
    text is one click away), so expected and tags are on a 1,024 px screen too: a full-width input column pushed
    them off it, behind a sideways scroll no one guessed."""
    return {
        "id": st.column_config.TextColumn("id", pinned=True),
        "input": st.column_config.TextColumn("input", width=240),
        "expected": st.column_config.TextColumn("expected", width=150),
        "tags": st.column_config.ListColumn("tags", width=150),
        "row": st.column_config.NumberColumn("row", format="%d", width="small", help="the row in the file"),
    }


def people_columns() -> dict[str, Any]:
    """The people's-ratings table: candidate pinned, and the note wide enough to be read whole at 1,024 px."""
    return {
        "candidate": st.column_config.TextColumn("candidate", pinned=True),
        "note": st.column_config.TextColumn("note", width=280),
    }
