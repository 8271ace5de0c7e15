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

from evalcore import analysis, explore, stats
from evalcore import formatting as fmt
from evalcore.demo import SYNTHETIC_NOTICE
from evalcore.demo_build import DEMO_SUITE
from evalcore.errors import EvalcoreError
from evalcore.queries import Queries
from evalcore import objectstore
from evalcore.store import Workspace, resolve_workspace

__all__ = ["DEMO_SUITE", "LEADERBOARD_COLUMNS", "SYNTHETIC_NOTICE", "Token", "changes", "comparison", "data_token",
           "decision", "example_detail", "example_filters", "examples", "families", "head_to_head", "leaderboard",
           "markdown_safe", "public_ranks", "runs", "scorers", "suites", "tag_cells", "trend", "warm", "workspace"]

Token = tuple[int, int]

# The leaderboard table's columns, in the library's names: the page maps them to headings.
LEADERBOARD_COLUMNS = ["rank", "rank_low", "rank_high", "could_be_best", "candidate", "mean", "low", "high", "n",
                       "n_obs", "pass_rate", "diff_vs_best", "diff_low", "diff_high", "errors", "calls",
                       "cost_per_example_usd", "latency_p50_ms", "latency_p95_ms", "model", "family", "release",
                       "run_id", "note"]

_CACHE_ENTRIES = 64  # per function: old tokens age out instead of growing memory without bound


def workspace() -> str:
    """The workspace the dashboard shows: $EVALCORE_WORKSPACE (or that key in .streamlit/secrets.toml, as on a
    hosted dashboard), else ./data, as the CLI resolves it: an absolute path, or an s3://bucket/prefix URI."""
    where = resolve_workspace(objectstore.setting("EVALCORE_WORKSPACE"))
    return where if isinstance(where, str) else str(where.resolve())


@st.cache_resource(show_spinner=False)
def _store(ws: str) -> Workspace:
    """One Workspace per workspace and server: on object storage its listing is shared by a page's queries."""
    return Workspace(ws, create=False)


def exists(ws: str) -> bool:
    """Whether the workspace is there: a folder, or a prefix holding a workspace (one request, then cached)."""
    if not objectstore.is_remote(ws):
        return Path(ws).is_dir()
    try:
        _store(ws)
    except EvalcoreError:
        return False
    return True


def data_token(ws: str) -> Token:
    """Changes whenever data is written to the workspace (the store knows its layout); (0, 0) if it is absent."""
    if not exists(ws):
        return 0, 0
    return _store(ws).data_token()


@st.cache_resource(show_spinner=False)
def _queries(ws: str) -> Queries:
    return Queries(_store(ws))


def warm(ws: str) -> str:
    """Fill the server-wide caches every first visit starts from, before anyone opens a page (the launcher,
    dashboard/serve.py, calls it): the workspace's listing and, on object storage, the local copies of its parts
    and manifests; the DuckDB views; and the leaderboard of the view Overview and Compare open on (the first
    suite, its primary scorer). Otherwise the first person after a restart pays them on top of their page: on
    object storage at 100,000 results that was ~1 s of the first Overview's 3.1-3.3 s. Returns what was warmed,
    for the log; a failure is left for the page to report in its own words."""
    try:
        if not exists(ws):
            return "nothing: the workspace does not exist yet"
        token = data_token(ws)
        q = _queries(ws)
        names = q.suites()
        if not names:
            return "the listing (no results yet)"
        scorers_ = analysis.scorer_order(q, names[0])
        if not scorers_:
            return f"the listing and views; suite {names[0]!r} has no scores yet"
        _leaderboard(ws, token, names[0], scorers_[0])
        return f"the listing, views and the leaderboard of {names[0]!r} by {scorers_[0]!r}"
    except Exception as exc:  # noqa: BLE001 - a warm-up never stops the server; the page says what is wrong
        return f"nothing ({type(exc).__name__}: {str(exc)[:200]})"


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def suites(ws: str, token: Token) -> list[str]:
    """Suites with results, alphabetically; [] when the workspace does not exist or holds no results. A workspace
    path that is a file raises the store's StoreError, which says so: "no results yet, try the demo" sent people
    to a command that then failed on the same file."""
    if not exists(ws):
        if not objectstore.is_remote(ws) and Path(ws).exists():
            _store(ws)  # raises: "the workspace ... is a file, not a folder"
        return []
    return _queries(ws).suites()


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def scorers(ws: str, token: Token, suite: str) -> list[str]:
    """The suite's scorers to pick from, primary (first declared) first (`analysis.scorer_choices`): those with scores,
    then those its newest run declared without storing any (an import without --judge), so a page picks one and
    says why it has no values (`leaderboard` raises the library's message). With none at all, raises that message
    (`analysis.unscored_error`): the pickers' `or_stop` shows it."""
    q = _queries(ws)
    names = analysis.scorer_choices(q, suite)
    if not names:
        raise analysis.unscored_error(q, suite)
    return names


@st.cache_resource(show_spinner=False, max_entries=16)
def _leaderboard(ws: str, token: Token, suite: str, scorer: str) -> analysis.Leaderboard:
    """The library's Leaderboard object (with its score table: a suite's current results, not the store), kept
    as a resource so the table, the decision and the recommendation share one computation. Read-only."""
    return analysis.leaderboard(_queries(ws), suite, scorer=scorer)


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def leaderboard(ws: str, token: Token, suite: str, scorer: str) -> dict[str, Any]:
    """`evalcore.analysis.leaderboard` as {"scorer", "n_examples", "repeats", "notes", "rows"}.

    `rows` is a DataFrame in rank order with the library's column names (LEADERBOARD_COLUMNS).
    Raises EvalcoreError when the suite or scorer has no scored results. No decision is computed here: every
    page needs the table, only the decision card needs a recommendation (`recommendation`).
    """
    lb = _leaderboard(ws, token, suite, scorer)
    with_data = sum(r["mean"] is not None for r in lb.rows)
    return {
        "scorer": lb.scorer,
        "n_examples": lb.n_examples,
        "repeats": lb.repeats,
        "notes": [markdown_safe(n) for n in lb.notes],
        "rows": pd.DataFrame(lb.rows, columns=LEADERBOARD_COLUMNS),
        # the level of the 'vs leader' intervals (not 95%: adjusted for the comparisons with the leader)
        "vs_leader_confidence": stats.vs_leader_confidence(with_data),
        "vs_leader_comparisons": max(with_data - 1, 0),
        "not_ranked": dict(lb.not_ranked),  # candidate -> calls: every one failed, so left out of the rows
    }


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def decision(ws: str, token: Token, suite: str, scorer: str) -> dict[str, Any]:
    """`evalcore.analysis.decision` (on the scores alone) as {"winner", "confident", "text", "lines", "tied_with"},
    computed on the cached leaderboard.

    `text` and `lines` are escaped for Streamlit's markdown (a candidate named `gpt_4o_mini` must not turn
    italic). The leaderboard's notes are not among the lines: the page shows those once, under the table.
    """
    d = analysis.decision(_queries(ws), suite, board=_leaderboard(ws, token, suite, scorer), people=False).to_dict()
    return {
        "winner": d["winner"],
        "confident": bool(d["confident"]),
        "text": markdown_safe(d["text"]),
        "lines": [markdown_safe(line) for line in d["lines"]],
        "tied_with": list(d["tied_with"]),
    }


POLICY_LABELS = {"best": "best quality", "cheapest": "cheapest", "fastest": "fastest"}


def declared_policy(ws: str, token: Token, suite: str) -> tuple[str, float]:
    """The suite's `decision: {policy, margin}`, else the library's defaults: the card's starting values."""
    policy, margin = analysis.suite_policy(_queries(ws), suite)
    from evalcore import stats

    return (policy if policy in stats.POLICIES else stats.DEFAULT_POLICY,
            float(margin) if margin is not None else float(stats.DEFAULT_MARGIN))


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def recommendation(ws: str, token: Token, ltoken: "LabelsToken", suite: str, scorer: str, policy: str,
                   margin: float) -> dict[str, Any]:
    """`evalcore.analysis.recommendation` (what to pick under a policy and margin, and why, people's ratings
    weighed) as a dict, its words escaped for markdown; computed on the page's cached leaderboard data. Keyed on
    the labels token too: a new label can change the pick."""
    q = _queries(ws)
    lb = _leaderboard(ws, token, suite, scorer)
    rec = analysis.recommendation(q, suite, scorer=scorer, policy=policy, margin=margin, board=lb)
    evidence = pd.DataFrame(rec.evidence)
    people = dict(rec.people) if rec.people is not None else None
    if people is not None:
        people["worse"] = {c: markdown_safe(t) for c, t in people["worse"].items()}
    return {"status": rec.status, "headline": markdown_safe(rec.headline),
            "details": [markdown_safe(d) for d in rec.details], "pick": rec.pick, "leader": rec.leader,
            "policy": rec.policy, "margin": rec.margin, "shared_examples": rec.shared_examples,
            "could_be_best": list(rec.could_be_best), "evidence": evidence,
            "warnings": [markdown_safe(w) for w in rec.warnings], "people": people,
            "no_pick": markdown_safe(stats.no_pick_text(rec)) if rec.status == "inconclusive" else ""}


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def _run_list(ws: str, token: Token) -> list[dict[str, Any]]:
    """Every run of the workspace (`evalcore.analysis.run_list`): one count over the store serves the suites
    table and each suite's runs (a few hundred small rows, cheap to cache)."""
    return analysis.run_list(_queries(ws))


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def latest_runs(ws: str, token: Token) -> pd.DataFrame:
    """Every suite of the workspace with its newest run: status, when, results, errors, spend."""
    newest: dict[str, dict[str, Any]] = {}
    for r in _run_list(ws, token):
        newest.setdefault(r["suite"], r)
    columns = ["suite", "run_id", "status", "started_at", "candidates", "results", "errors", "spent_usd"]
    return pd.DataFrame(list(newest.values()), columns=columns)


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def runs(ws: str, token: Token, suite: str) -> pd.DataFrame:
    """The suite's runs, newest first (`evalcore.analysis.run_list`, from the workspace's cached list)."""
    columns = ["run_id", "status", "started_at", "finished_at", "candidates", "planned", "results", "errors",
               "cached", "spent_usd", "suite_version"]
    return pd.DataFrame([r for r in _run_list(ws, token) if r["suite"] == suite], columns=columns)


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_$~\[\]<>|])")


def bullets(lines: list[str]) -> str:
    """A markdown list of `lines` (already escaped: see `markdown_safe`), one item each."""
    return "\n".join(f"- {line}" for line in lines)


def markdown_safe(text: str) -> str:
    """Escape the characters Streamlit's markdown would interpret (emphasis, code, LaTeX, links, HTML), after
    writing control and bidi-override characters as escapes (`formatting.visible`): a right-to-left override in
    an example id reversed the text after it."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", fmt.visible(text))


@st.cache_data(show_spinner=False, max_entries=8)
def report_html(ws: str, token: Token, ltoken: tuple[int, int, int], suite: str, scorer: str, policy: str,
                margin: float) -> bytes:
    """The static report (`evalcore.report`) of what Overview shows, as one self-contained HTML file: built when
    someone clicks "Download report" (deferred, off the page's run), from the page's cached leaderboard."""
    from evalcore import report

    return report.build_report(_queries(ws), suite, scorer=scorer, policy=policy, margin=margin,
                               board=_leaderboard(ws, token, suite, scorer)).encode("utf-8")


# ==============================================================================================================
# Data and Run pages (branch dash-data): the workspace's suites and their examples.
# Suite files live outside the folders `data_token` watches, so these take `suites_token`, which also changes when a
# suite file or its dataset is written.
# =====================================================================================================================


def suites_token(ws: str) -> tuple[Token, tuple[int, int]]:
    """`data_token` plus (number, newest mtime in ns) of the workspace's suite folders' files."""
    if not exists(ws):
        return (0, 0), (0, 0)
    store = _store(ws)
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
    examples = load_examples(suite.dataset_path, suite.columns, display_name=suite.dataset,
                             allow_empty_input=suite.allow_empty_input)
    return examples_frame(examples)


def examples_frame(examples: list[Any]) -> pd.DataFrame:
    """Examples as the Data page's preview table; every value is text shown as text, with control and bidi
    characters as escapes (`explore.clean_text`, as Explore shows them: a right-to-left override in an uploaded
    input would otherwise reverse the preview's cell)."""
    text = explore.clean_text
    return pd.DataFrame([{"id": text(e.id), "input": text(e.input),
                          "expected": None if e.expected is None else text(e.expected),
                          "tags": [text(t) for t in e.tags], "row": e.row}
                         for e in examples], columns=["id", "input", "expected", "tags", "row"])


# -- Compare, Explore, Trends ---------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def families(ws: str, token: Token, suite: str) -> list[str]:
    """The suite's model families, sorted: the colour domain every chart shares, so a family keeps its
    colour on every page. From the candidates' latest runs, not from a scorer's leaderboard: the primary scorer
    was read, and a judge without readable values put a traceback on pages showing another scorer."""
    rows = _candidates(ws, token, suite)
    return sorted({r.get("family") or "(no family)" for r in rows})


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def _candidates(ws: str, token: Token, suite: str) -> list[dict[str, Any]]:
    """Per candidate of the suite's latest runs: model, family, run_id, calls, errors (`Queries.candidate_summary`),
    whatever its scores."""
    return _queries(ws).candidate_summary(suite).to_dict("records")


def board_table(board: dict[str, Any]) -> pd.DataFrame:
    """The leaderboard with the formatted columns people read (interval, cost per 1,000, latency), in rank
    order; the numbers come from `evalcore.formatting`, as in the CLI."""
    rows = board["rows"].copy()
    rows["ci"] = [fmt.interval(lo, hi) for lo, hi in zip(rows["low"], rows["high"], strict=True)]
    # "unknown" under the "$ per 1,000" header: "unknown price" was cut to "unknown pric" in its 84 px at 1,024 px
    rows["cost_1k"] = [fmt.money(c * 1000) if c is not None and not pd.isna(c) else "unknown"
                       for c in rows["cost_per_example_usd"]]
    rows["p50"] = rows["latency_p50_ms"].map(fmt.latency)
    rows["p95"] = rows["latency_p95_ms"].map(fmt.latency)
    rows["pass"] = rows["pass_rate"].map(fmt.pct)
    rows["score"] = rows["mean"].map(fmt.score)
    rows["vs_leader"] = ["leader" if i == 0 else (f"{fmt.diff(d)} {fmt.diff_interval(lo, hi)}" if pd.notna(d) else "-")
                         for i, (d, lo, hi) in enumerate(zip(rows["diff_vs_best"], rows["diff_low"], rows["diff_high"],
                                                             strict=True))]
    rows["human"] = "not labeled"  # the labels helper fills this from evalcore's label statistics
    return rows


def pareto_frontier(rows: pd.DataFrame) -> list[str]:
    """Candidates nothing cheaper beats on the mean (`evalcore.explore.pareto_frontier`), cheapest first."""
    return explore.pareto_frontier(rows)


@st.cache_resource(show_spinner=False, max_entries=16)
def examples(ws: str, token: Token, suite: str, scorer: str) -> pd.DataFrame:
    """`evalcore.explore.example_table`: one row per (example, candidate), aggregated over repeats.

    A resource, shared and read-only: st.cache_data would unpickle a copy of this (examples x candidates) table
    on every hit, a quarter second at 5,000 rows. Callers filter or `assign` (new frames), never write into it."""
    return explore.example_table(_queries(ws), suite, scorer, data=_leaderboard(ws, token, suite, scorer).data)


@st.cache_resource(show_spinner=False, max_entries=16)
def unscored_examples(ws: str, token: Token, suite: str) -> pd.DataFrame:
    """`evalcore.explore.unscored_table`: the rows of `examples` for a suite or scorer without readable scores
    (value missing, `scored` False), so Explore lists the outputs "not scored" instead of refusing. Read-only."""
    return explore.unscored_table(_queries(ws), suite)


def example_filters(ws: str, token: Token, suite: str, scorer: str, *, tag: str | None = None,
                    candidates: list[str] | None = None, outcome: str = "all",
                    error_kind: str | None = None, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """The rows of `examples` (or of `table`, e.g. `unscored_examples`) matching the filters (pandas over the cached
    aggregate: no query)."""
    table = examples(ws, token, suite, scorer) if table is None else table
    return explore.filter_examples(table, tag=tag, candidates=candidates, outcome=outcome, error_kind=error_kind)


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def tags(ws: str, token: Token, suite: str, scorer: str) -> list[str]:
    """Every tag of the suite's examples, alphabetically."""
    return sorted({t for ts in examples(ws, token, suite, scorer)["tags"] for t in ts})


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def error_kinds(ws: str, token: Token, suite: str, scorer: str) -> list[str]:
    return sorted(examples(ws, token, suite, scorer)["error_kind"].dropna().unique().tolist())


def disagreements(ws: str, token: Token, suite: str, scorer: str, frame: pd.DataFrame | None = None,
                  limit: int = 15) -> pd.DataFrame:
    """Where the candidates disagree most, over `frame` (filtered rows) or the whole suite."""
    table = examples(ws, token, suite, scorer) if frame is None else frame
    return explore.disagreements(table, limit=limit)


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def head_to_head(ws: str, token: Token, suite: str, scorer: str, a: str, b: str) -> dict[str, Any]:
    """Per-example wins/losses/ties of A against B and the examples where they differ most."""
    table = examples(ws, token, suite, scorer)
    unchanged = comparison(ws, token, suite, scorer, a, b)["unchanged"]
    if unchanged is not None:  # their runs were for different suite versions: what the paired test compares
        table = table[~table["candidate"].isin([a, b]) | table["example_id"].isin(unchanged)]
    h = explore.head_to_head(table, a, b)
    return {"a": h.a, "b": h.b, "wins": h.wins, "losses": h.losses, "ties": h.ties, "text": markdown_safe(h.text),
            "rows": h.rows}


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def comparison(ws: str, token: Token, suite: str, scorer: str, a: str, b: str) -> dict[str, Any]:
    """`evalcore.analysis.compare`: the paired result in words (markdown-escaped lines) and its numbers."""
    c = analysis.compare(_queries(ws), suite, a, b, scorer=scorer, data=_leaderboard(ws, token, suite, scorer).data)
    d = c.to_dict()
    d["lines"] = [markdown_safe(line) for line in c.text.splitlines()]
    d["versions_note"] = d["lines"].pop(0) if c.versions is not None else None  # said apart, above the result
    d["unchanged"] = c.unchanged
    d["summary"] = " ".join(markdown_safe(line) for line in c.summary)  # the gap with its verdict, for one box
    return d


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def tag_cells(ws: str, token: Token, suite: str, scorer: str, min_n: int = 10) -> pd.DataFrame:
    """Per (tag, candidate): mean, interval, n and the small-tag flag (`evalcore.analysis.tag_rows`)."""
    columns = ["tag", "candidate", "mean", "low", "high", "n", "pass_rate", "flag", "note"]
    lb = _leaderboard(ws, token, suite, scorer)
    assert lb.data is not None
    return pd.DataFrame(explore.tag_cells(lb.data, min_n=min_n, leave_out=lb.not_ranked), columns=columns)


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def trend(ws: str, token: Token, suite: str, scorer: str, tag: str | None, x: str) -> dict[str, Any]:
    """`evalcore.explore.trend`: points with intervals per family over release or run date, and the basis."""
    return explore.trend(_queries(ws), suite, scorer, tag=tag, x=x, data=_leaderboard(ws, token, suite, scorer).data)


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def public_ranks(ws: str, token: Token, suite: str, scorer: str) -> dict[str, Any] | None:
    """Public-benchmark rank beside the task's rank, and the flips; None without public scores."""
    q = _queries(ws)
    if q.public_scores().empty:
        return None
    try:
        pc = analysis.public_comparison(q, suite, scorer=scorer)
    except EvalcoreError:
        return None
    rows = pd.DataFrame(pc.rows)
    fam = {r["candidate"]: r.get("family") or "(no family)" for r in q.candidate_summary(suite).to_dict("records")}
    rows["family"] = rows["candidate"].map(fam).fillna("(no family)")
    sig = {(f.benchmark, f.public_winner) for f in pc.flips if f.significant} | {
        (f.benchmark, f.task_winner) for f in pc.flips if f.significant}
    rows["significant_flip"] = [(b, c) in sig for b, c in zip(rows["benchmark"], rows["candidate"], strict=True)]
    return {"rows": rows, "flips": [{"benchmark": f.benchmark, "significant": f.significant, "task_gap": f.task_gap,
                                     "text": markdown_safe(f.text(named=False))} for f in pc.flips],
            "correlations": pc.correlations, "unmatched": pc.unmatched}


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def example_detail(ws: str, token: Token, suite: str, example_id: str, order: tuple[str, ...]) -> dict[str, Any]:
    """`evalcore.explore.example_detail`: the example and every candidate's repeats, in `order`."""
    runs = {r["candidate"]: r["run_id"] for r in _candidates(ws, token, suite) if r.get("run_id")}
    return explore.example_detail(_queries(ws), suite, example_id, list(order), runs=runs)


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def changes(ws: str, token: Token, suite: str, scorer: str) -> dict[str, Any]:
    """What changed in the suite's newest run against the one before (`evalcore.explore`)."""
    c = explore.changes_since_previous_run(_queries(ws), suite, scorer_name=scorer)
    return {"run_id": c.run_id, "previous_run_id": c.previous_run_id, "new_candidates": c.new_candidates,
            "changes": [dict(ch.__dict__, regression=ch.regression) for ch in c.changes],
            "regressions": [ch.candidate for ch in c.regressions],
            "unpaired_note": explore.unpaired_sentence(c.unpaired)}

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
    name = st.session_state.get("reviewer")
    if not name and st.query_params.get("reviewer"):  # a name from the URL gets the form's check: a bad one
        from evalcore.errors import EvalcoreError  # (500 characters, blanks) left the page at an error with no form

        try:
            name = set_reviewer(st.query_params["reviewer"])
        except EvalcoreError:
            del st.query_params["reviewer"]
            name = None
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
    if not exists(ws):
        return 0, 0, 0
    return _store(ws).labels_token()


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


def human_column(ws: str, token: Token, ltoken: LabelsToken, suite: str, candidates: list[str]) -> list[str]:
    """One cell per candidate for the leaderboard's "human rating" column: "4.20 [3.81, 4.59], ok 85%", or why
    there is no number yet ("not labeled", "3 of 52 labeled: too few")."""
    from evalcore import formatting

    df = human_summary(ws, token, ltoken, suite)
    by = {r["candidate"]: r for r in df.to_dict("records")}
    out = []
    for c in candidates:
        r = by.get(c)
        if r is None or not r.get("n_examples"):
            out.append("not labeled")
        elif not r.get("enough"):
            out.append(f"{r['n_examples']} of {r['examples']} labeled: too few")
        else:
            out.append(f"{formatting.score(r['rating'], 2)} {formatting.interval(r['rating_low'], r['rating_high'], 2)}"
                       f", ok {formatting.pct(r['ok_rate'])}")
    return out


def people_cell(fields: dict[str, Any]) -> str:
    """A candidate's human numbers as the decision card shows them (fields as in a recommendation's
    alternatives): "4.20 [3.91, 4.49], ok 93% [82%, 98%], 45 of 52 labeled", or "not labeled"."""
    from evalcore import formatting

    n = fields.get("human_n") or 0
    if not n:
        return "not labeled"
    r, ok, of = fields.get("human_rating"), fields.get("human_ok"), fields.get("human_examples")
    parts = []
    if r is not None and r == r:
        parts.append(f"{formatting.score(r, 2)} {formatting.interval(fields['human_rating_low'], fields['human_rating_high'], 2)}")
    if ok is not None and ok == ok:
        parts.append(f"ok {formatting.pct(ok)} [{formatting.pct(fields['human_ok_low'])}, "
                     f"{formatting.pct(fields['human_ok_high'])}]")
    parts.append(f"{int(n)}{f' of {int(of)}' if of is not None and of == of else ''} labeled"
                 + ("" if fields.get("human_weighed") else ": too few to weigh"))
    return ", ".join(parts)


@st.cache_data(show_spinner=False, max_entries=_CACHE_ENTRIES)
def human_trend(ws: str, token: Token, ltoken: LabelsToken, suite: str, measure: str, tag: str | None,
                x: str) -> dict[str, Any]:
    """`evalcore.explore.human_trend`: people's mean rating ("rating") or "ok to show" rate ("ok") per family
    over release or run date, each point with its 95% interval, n and `enough`; `label` is "candidate (n=12)"."""
    t = explore.human_trend(_queries(ws), suite, measure=measure, tag=tag, x=x)
    rows = t["rows"].copy()
    rows["label"] = [f"{c} (n={n})" for c, n in zip(rows["candidate"], rows["n"], strict=True)]
    return {**t, "rows": rows, "basis": markdown_safe(t["basis"])}


def human_summary_table(ws: str, token: Token, ltoken: LabelsToken, suite: str) -> pd.DataFrame:
    """`human_summary` worded for a table (evalcore.formatting): best mean rating first."""
    from evalcore import formatting, labels

    df = human_summary(ws, token, ltoken, suite).sort_values("rating", ascending=False, na_position="last")
    return pd.DataFrame({
        "candidate": df["candidate"],
        "mean rating (1-5)": [formatting.score(r, 2) for r in df["rating"]],
        "95% interval": [formatting.interval(lo, hi, 2) for lo, hi in zip(df["rating_low"], df["rating_high"])],
        "ok to show": [formatting.pct(r) for r in df["ok_rate"]],
        "ok 95% interval": [f"[{formatting.pct(lo)}, {formatting.pct(hi)}]" if lo == lo and lo is not None else
                            formatting.MISSING for lo, hi in zip(df["ok_low"], df["ok_high"])],
        "labeled examples": [f"{n} of {m}" for n, m in zip(df["n_examples"], df["examples"])],
        # "labeled examples" already says "3 of 52", so the note says only what to do, short enough to read whole
        "note": ["" if enough else f"too few to conclude: label at least {labels.MIN_ITEMS}"
                 for enough in df["enough"]],
    })
