"""The dashboard's only way to data: cached calls into evalcore's public analysis API.

Pages call `workspace()` and `data_token(ws)` at the top of every run, then the cached functions below with
both. Every cached function takes the workspace and the token as arguments (never reads them from a global),
so a different workspace or new data on disk (a finished run, new scores, a public import) is a new cache
key. The DuckDB-backed `Queries` is one cached resource per workspace: each query runs on its own cursor,
so the sessions (threads) of one server can share it. Cached functions return plain dicts, lists and
DataFrames, never the library's dataclasses.

No litellm here (nothing on these pages calls a model) and no SQL (that is `evalcore.queries`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from evalcore import analysis
from evalcore.demo import SYNTHETIC_NOTICE
from evalcore.demo_build import DEMO_SUITE
from evalcore.queries import Queries
from evalcore.store import Workspace, resolve_workspace

__all__ = ["DEMO_SUITE", "LEADERBOARD_COLUMNS", "SYNTHETIC_NOTICE", "Token", "data_token", "decision", "leaderboard",
           "markdown_safe", "runs",
           "scorers", "suites", "workspace"]

Token = tuple[int, int]

# The leaderboard table's columns, in the library's names: the page maps them to headings.
LEADERBOARD_COLUMNS = ["rank", "rank_low", "rank_high", "could_be_best", "candidate", "mean", "low", "high", "n",
                       "n_obs", "pass_rate", "diff_vs_best", "diff_low", "diff_high", "errors", "calls",
                       "cost_per_example_usd", "latency_p50_ms", "latency_p95_ms", "model", "family", "release",
                       "run_id", "note"]

_CACHE_ENTRIES = 64  # per function: old tokens age out instead of growing memory without bound


def workspace() -> str:
    """The workspace the dashboard shows: $EVALCORE_WORKSPACE, else ./data (as the CLI resolves it), absolute."""
    return str(resolve_workspace(None).resolve())


def data_token(ws: str) -> Token:
    """Changes whenever data is written to the workspace (the store knows its layout); (0, 0) if it is absent."""
    if not Path(ws).is_dir():
        return 0, 0
    return Workspace(ws, create=False).data_token()


@st.cache_resource(show_spinner=False)
def _queries(ws: str) -> Queries:
    return Queries(ws)


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def suites(ws: str, token: Token) -> list[str]:
    """Suites with results, alphabetically; [] when the workspace does not exist or holds no results."""
    if not Path(ws).is_dir():
        return []
    return _queries(ws).suites()


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def scorers(ws: str, token: Token, suite: str) -> list[str]:
    """The suite's scorers, primary (first declared) first; [] while a suite has results but no scores yet."""
    return analysis.scorer_order(_queries(ws), suite)


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def _board_and_decision(ws: str, token: Token, suite: str, scorer: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """One leaderboard computation feeds both the table and the recommendation."""
    q = _queries(ws)
    lb = analysis.leaderboard(q, suite, scorer=scorer)
    d = analysis.decision(q, suite, board=lb).to_dict()
    board = {
        "scorer": lb.scorer,
        "n_examples": lb.n_examples,
        "repeats": lb.repeats,
        "notes": [markdown_safe(n) for n in lb.notes],
        "rows": pd.DataFrame(lb.rows, columns=LEADERBOARD_COLUMNS),
    }
    verdict = {
        "winner": d["winner"],
        "confident": bool(d["confident"]),
        "text": markdown_safe(d["text"]),
        "lines": [markdown_safe(line) for line in d["lines"]],
        "tied_with": list(d["tied_with"]),
    }
    return board, verdict


def leaderboard(ws: str, token: Token, suite: str, scorer: str) -> dict[str, Any]:
    """`evalcore.analysis.leaderboard` as {"scorer", "n_examples", "repeats", "notes", "rows"}.

    `rows` is a DataFrame in rank order with the library's column names (LEADERBOARD_COLUMNS).
    Raises EvalcoreError when the suite or scorer has no scored results.
    """
    return _board_and_decision(ws, token, suite, scorer)[0]


def decision(ws: str, token: Token, suite: str, scorer: str) -> dict[str, Any]:
    """`evalcore.analysis.decision` as {"winner", "confident", "text", "lines", "tied_with"}.

    `text` and `lines` are escaped for Streamlit's markdown (a candidate named `gpt_4o_mini` must not turn
    italic). The leaderboard's notes are not among the lines: the page shows those once, under the table.
    """
    return _board_and_decision(ws, token, suite, scorer)[1]


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def runs(ws: str, token: Token, suite: str) -> pd.DataFrame:
    """The suite's runs, newest first (`evalcore.analysis.run_list`)."""
    columns = ["run_id", "status", "started_at", "finished_at", "candidates", "planned", "results", "errors",
               "cached", "spent_usd", "suite_version"]
    return pd.DataFrame(analysis.run_list(_queries(ws), suite), columns=columns)


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_$~\[\]<>|])")


def markdown_safe(text: str) -> str:
    """Escape the characters Streamlit's markdown would interpret (emphasis, code, LaTeX, links, HTML)."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)


# =====================================================================================================================
# Data and Run pages (branch dash-data): the workspace's suites and their examples.
# Suite files live outside the folders `data_token` watches, so these take `suites_token`, which also changes when a
# suite file or its dataset is written.
# =====================================================================================================================


def suites_token(ws: str) -> tuple[Token, tuple[int, int]]:
    """`data_token` plus (number, newest mtime in ns) of the workspace's suite folders' files."""
    if not Path(ws).is_dir():
        return (0, 0), (0, 0)
    store = Workspace(ws, create=False)
    count = newest = 0
    for folder in [store.suites_dir(), store.root / "demo"]:
        for path in folder.glob("*/*") if folder.name == "suites" else folder.glob("*"):
            try:
                mtime = path.stat().st_mtime_ns
            except FileNotFoundError:
                continue
            count, newest = count + 1, max(newest, mtime)
    return store.data_token(), (count, newest)


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def workspace_suites(ws: str, token: tuple[Token, tuple[int, int]]) -> list[dict[str, Any]]:
    """Every suite the workspace knows (`evalcore.workspace_suites.list_suites`) as dicts: name, where ("workspace",
    "demo" or "runs only"), path, candidates, scorers, dataset, runs, problem."""
    from evalcore.workspace_suites import list_suites

    return [e.to_dict() for e in list_suites(ws)]


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def suite_examples(ws: str, token: tuple[Token, tuple[int, int]], suite_file: str) -> pd.DataFrame:
    """The examples of a suite file as a table (id, input, expected, tags, row). Raises EvalcoreError when its
    dataset is missing or invalid."""
    from evalcore.ingest import load_examples
    from evalcore.suite import load_suite

    suite = load_suite(suite_file)
    examples = load_examples(suite.dataset_path, suite.columns, display_name=suite.dataset)
    return examples_frame(examples)


def examples_frame(examples: list[Any]) -> pd.DataFrame:
    """Examples as the Data page's preview table; every value is text shown as text."""
    return pd.DataFrame([{"id": e.id, "input": e.input, "expected": e.expected, "tags": list(e.tags), "row": e.row}
                         for e in examples], columns=["id", "input", "expected", "tags", "row"])
