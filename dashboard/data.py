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
LEADERBOARD_COLUMNS = ["rank", "candidate", "mean", "low", "high", "n", "n_obs", "pass_rate", "tie_group",
                       "tied_with", "better_than", "errors", "calls", "cost_per_example_usd", "latency_p50_ms",
                       "latency_p95_ms", "model", "family", "release", "run_id", "note"]

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


# ==========================================================================================================
# Labels (the Label page; `human_summary` for Overview/Compare). Owned by the labeling work: add above, not here.
# ==========================================================================================================

LabelsToken = tuple[int, int, int]


def reviewer() -> str | None:
    """Who is labeling in this browser session: the ONE place reviewer identity comes from. Signed in (app.py
    puts the login's identity in the session), it is the email; in local mode without a login it is typed
    once and kept in the session (and the URL, so a reload keeps it)."""
    identity = st.session_state.get("_identity")
    if identity is not None and getattr(identity, "logged_in", False) and (identity.email or identity.name):
        return identity.email or identity.name
    name = st.session_state.get("reviewer") or st.query_params.get("reviewer")
    if name and not st.session_state.get("reviewer"):
        st.session_state["reviewer"] = name
    return name or None


def set_reviewer(name: str) -> str:
    """Validate and remember the reviewer for this session; raises EvalcoreError for an unusable name."""
    from evalcore.labels import validate_reviewer

    clean = validate_reviewer(name)
    st.session_state["reviewer"] = clean
    st.query_params["reviewer"] = clean
    return clean


def labels_token(ws: str) -> LabelsToken:
    """Changes on every label append (journal bytes) or compaction: label caches key on it."""
    if not Path(ws).is_dir():
        return 0, 0, 0
    return Workspace(ws, create=False).labels_token()


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def label_guidance(ws: str, token: Token, suite: str) -> dict[str, Any]:
    """The suite's human question, judge rubrics, and the runs/candidates/tags a queue can be narrowed to."""
    from evalcore import labels

    return labels.guidance(_queries(ws), suite)


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def label_queue(ws: str, token: Token, ltoken: LabelsToken, suite: str, reviewer_name: str, mode: str,
                runs: tuple[str, ...], candidates: tuple[str, ...], tags: tuple[str, ...], disagree_only: bool,
                overlap: int, seed: int) -> dict[str, Any]:
    """`labels.rating_queue` (mode "rate") or `labels.pair_queue` (mode "pairwise") as plain dicts."""
    from evalcore import labels

    if mode == "pairwise":
        return labels.pair_queue(_queries(ws), suite, reviewer_name, runs=list(runs), candidates=list(candidates),
                                 tags=list(tags), overlap=overlap, seed=seed)
    return labels.rating_queue(_queries(ws), suite, reviewer_name, runs=list(runs), candidates=list(candidates),
                               tags=list(tags), disagree_only=disagree_only, overlap=overlap, seed=seed)


def save_rating(ws: str, suite: str, reviewer_name: str, item: dict[str, Any], answer: dict[str, Any],
                blind: bool) -> None:
    """Append the reviewer's whole current answer for an item (all None = cleared, as undo does)."""
    from evalcore import labels

    labels.record_rating(ws, suite, reviewer_name, example_id=item["example_id"], output_hash=item["output_hash"],
                         candidate=item["candidates"][0], run_id=item.get("run_id"), rating=answer.get("rating"),
                         ok=answer.get("ok"), note=answer.get("note"), blind=blind, source="page")


def save_pair(ws: str, suite: str, reviewer_name: str, pair: dict[str, Any], choice: int | None,
              blind: bool) -> None:
    """Append a pairwise answer: 1 = left better, 2 = right better, 0 = tie, None = cleared."""
    from evalcore import labels

    left, right = pair["left"], pair["right"]
    labels.record_pair(ws, suite, reviewer_name, example_id=pair["example_id"],
                       first=(left["output_hash"], left["candidates"][0]),
                       second=(right["output_hash"], right["candidates"][0]), choice=choice, blind=blind,
                       source="page")


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def label_progress(ws: str, ltoken: LabelsToken, suite: str) -> pd.DataFrame:
    """Per reviewer: answers given, complete ones (rating and ok), pairwise answers, last answer."""
    return _queries(ws).label_counts(suite)


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def label_agreement(ws: str, token: Token, ltoken: LabelsToken, suite: str) -> dict[str, Any]:
    """`labels.agreement_report` as {"lines", "disagreements", "judges"}; lines escaped for markdown."""
    from evalcore import labels

    report = labels.agreement_report(_queries(ws), suite, n_boot=500)
    return {"lines": [markdown_safe(line) for line in report.lines()], "disagreements": report.disagreements,
            "judges": [{"scorer": j.scorer, "trusted": j.trusted, "verdict": markdown_safe(j.verdict)}
                       for j in report.judges]}


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def pairwise_ranking(ws: str, ltoken: LabelsToken, suite: str) -> pd.DataFrame:
    """Bradley-Terry ranking from pairwise answers (`labels.pairwise_ranking`), best first."""
    from evalcore import labels

    cols = ["rank", "candidate", "log_strength", "low", "high", "win_prob", "wins", "losses", "ties",
            "comparisons", "note"]
    return pd.DataFrame(labels.pairwise_ranking(_queries(ws), suite), columns=cols)


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def human_summary(ws: str, token: Token, ltoken: LabelsToken, suite: str) -> pd.DataFrame:
    """Per candidate: human mean rating 1-5 [low, high], "ok to show" rate [low, high] (Wilson), n_examples,
    n_labels, examples, enough (False = too few labeled to conclude) and note (`labels.human_summary`)."""
    from evalcore import labels

    cols = ["candidate", "rating", "rating_low", "rating_high", "ok_rate", "ok_low", "ok_high", "n_examples",
            "n_labels", "examples", "enough", "note"]
    return pd.DataFrame([r.to_dict() for r in labels.human_summary(_queries(ws), suite)], columns=cols)


def human_summary_table(ws: str, token: Token, ltoken: LabelsToken, suite: str) -> pd.DataFrame:
    """`human_summary` worded for a table (evalcore.formatting): best mean rating first."""
    from evalcore import formatting

    df = human_summary(ws, token, ltoken, suite).sort_values("rating", ascending=False, na_position="last")
    return pd.DataFrame({
        "candidate": df["candidate"],
        "mean rating (1-5)": [formatting.score(r, 2) for r in df["rating"]],
        "95% interval": [formatting.interval(lo, hi, 2) for lo, hi in zip(df["rating_low"], df["rating_high"])],
        "ok to show": [formatting.pct(r) for r in df["ok_rate"]],
        "ok 95% interval": [f"[{formatting.pct(lo)}, {formatting.pct(hi)}]" if lo == lo and lo is not None else
                            formatting.MISSING for lo, hi in zip(df["ok_low"], df["ok_high"])],
        "labeled examples": [f"{n} of {m}" for n, m in zip(df["n_examples"], df["examples"])],
        "note": df["note"],
    })
