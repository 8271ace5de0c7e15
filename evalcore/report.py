"""The static report: one file a stakeholder opens to see the decision and its evidence, with nothing to run.

`build_report(workspace, suite)` returns self-contained HTML (charts as inline SVG drawn offline, no script, no
request leaves the file) or Markdown for a pull-request comment (tables, no images): the decision card, the
leaderboard with 95% intervals and rank ranges, what people said (labels), what changed since the previous run,
trends per family across releases, results per tag, and the examples the candidates did worst on with every
candidate's output. `write_report` writes it atomically.

This module gathers the numbers (from `evalcore.analysis`, `evalcore.explore` and `evalcore.labels`, the queries
the CLI and the dashboard use) into a small document model of sections, paragraphs, tables, figures and text
blocks; `report_html` and `report_md` render that model, each escaping every piece of text in one place. Text in
the model is plain (never markup) and numbers in it are already worded by `evalcore.formatting`.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from evalcore import formatting as fmt
from evalcore.formatting import visible
from evalcore.errors import EvalcoreError
from evalcore.stats.decision import no_pick_text

if TYPE_CHECKING:
    import pandas as pd

    from evalcore.analysis import Leaderboard
    from evalcore.queries import Queries

Format = Literal["html", "md"]
FORMATS: tuple[str, ...] = ("html", "md")
Tone = Literal["plain", "note", "pick", "nopick", "warn"]
DEFAULT_CASES = 5
MAX_REPEATS_SHOWN = 3  # per candidate and example; the rest are counted


def _visible_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The text columns of a chart's data made `visible` (names, families and tags come from files)."""
    out = df.copy()
    for col in out.columns:
        if out[col].map(lambda v: isinstance(v, str)).any():
            out[col] = out[col].map(lambda v: visible(v) if isinstance(v, str) else v)
    return out


# -- the document model -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Para:
    """A paragraph of plain text; `tone` styles it (the headline of a pick, a warning, a small note)."""

    text: str
    tone: Tone = "plain"


@dataclass(frozen=True)
class Bullets:
    """A list; with a `summary` it is folded under that line (HTML and GitHub both fold `<details>`)."""

    items: list[str]
    summary: str | None = None


@dataclass(frozen=True)
class Table:
    """Cells are plain text. `hover` (same shape as `rows`, optional) holds a detail per cell (the interval
    behind a per-tag mean) that HTML shows on hover; `numeric` are the column indexes aligned right; `prose` the
    columns of sentences, which wrap (names and numbers never do)."""

    columns: list[str]
    rows: list[list[str]]
    numeric: frozenset[int] = frozenset()
    hover: list[list[str]] | None = None
    prose: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Figure:
    """A chart, built only by a renderer that draws charts (HTML); Markdown leaves it out."""

    build: Callable[[], Any]  # -> an Altair chart
    caption: str


@dataclass(frozen=True)
class Block:
    """Verbatim text (an input, a reference, a model's output) with a label and a line of facts about it."""

    label: str
    meta: str
    text: str
    tone: Literal["plain", "pass", "fail", "error"] = "plain"


@dataclass(frozen=True)
class Case:
    """One example the candidates did badly on: its id and tags, a summary, its input, reference and outputs."""

    title: str
    summary: str
    blocks: list[Block]


Item = Para | Bullets | Table | Figure | Case


@dataclass(frozen=True)
class Section:
    key: str  # the anchor in HTML
    title: str
    items: list[Item]


@dataclass(frozen=True)
class Report:
    """What a report says, before it is rendered. `status` is the recommendation's ("pick", "inconclusive",
    "single", "all_failed", "no_scores"), `headline` its sentence."""

    suite: str
    title: str
    intro: list[Para]
    sections: list[Section]
    status: str
    headline: str
    pick: str | None = None
    generated_at: str = ""

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)


@dataclass(frozen=True)
class Written:
    """What `write_report` wrote: where, in which format, how many bytes, and the decision it carries."""

    path: Path | None  # None: written to a stream
    fmt: str
    size: int
    status: str
    headline: str
    sections: list[str] = field(default_factory=list)


# -- gathering the numbers ----------------------------------------------------------------------------------------


def _queries(workspace: str | Path | Queries | None) -> Queries:
    from evalcore.queries import Queries

    return workspace if isinstance(workspace, Queries) else Queries(workspace)


def _check_suite(q: Queries, suite: str, run_id: str | None) -> list[dict[str, Any]]:
    """The suite's run manifests; a suite the workspace does not know, or a run it does not hold, is an error
    that names what it does know."""
    known = sorted(set(q.suites()) | {m["suite"] for m in q.ws.manifests()})
    if suite not in known:
        raise EvalcoreError(
            f"no suite '{suite}' in workspace {q.ws.root}.",
            hint=(f"Known suites: {fmt.names(known, limit=20)}." if known else
                  "It holds no runs yet: evalcore run SUITE_FILE (or evalcore demo for the offline demo)."))
    manifests = q.ws.manifests(suite)
    if run_id is not None and run_id not in {m["run_id"] for m in manifests}:
        runs = [m["run_id"] for m in manifests]
        raise EvalcoreError(f"suite '{suite}' has no run '{run_id}'.",
                            hint=(f"Its runs, newest first: {fmt.names(runs, limit=5)} "
                                  f"(evalcore runs --suite {suite})." if runs else "It has no runs yet."))
    return manifests


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def report(workspace: str | Path | Queries | None, suite: str, *, scorer: str | None = None,
           run_id: str | None = None, policy: str | None = None, margin: float | None = None,
           cases: int = DEFAULT_CASES, board: Leaderboard | None = None, generated_at: str | None = None) -> Report:
    """The report's content for `suite` (each candidate's latest run, or only `run_id`), decided under
    `policy`/`margin` (else the suite's `decision:`, else the defaults) on `scorer` (else the primary one).
    Pass the dashboard's cached `board` to reuse its scores. Raises EvalcoreError for an unknown suite, run or
    scorer; a suite without scores, or whose calls all failed, gives a report that says so and names no leader."""
    from evalcore import __version__, analysis
    from evalcore.demo import SYNTHETIC_NOTICE
    from evalcore.demo_build import DEMO_SUITE

    q = _queries(workspace)
    manifests = _check_suite(q, suite, run_id)
    generated_at = generated_at or _now()
    intro = [Para(f"Generated {generated_at} by evalcore {__version__}.", "note")]
    if suite == DEMO_SUITE:
        intro.insert(0, Para(SYNTHETIC_NOTICE, "warn"))
    title = f"evalcore report: {suite}"
    try:
        if not analysis.scorer_order(q, suite):  # no score stored at all (or no result yet): said, not raised
            raise analysis.unscored_error(q, suite, None, run_id)
        lb = board if board is not None and board.scorer == (scorer or board.scorer) else analysis.leaderboard(
            q, suite, scorer=scorer, run_id=run_id)
    except analysis.NoScoresError as exc:  # results but no readable scores (none stored, a judge that failed)
        return _unscored_report(q, suite, run_id, title, intro, manifests, generated_at, exc)
    rec = analysis.recommendation(q, suite, scorer=lb.scorer, policy=policy, margin=margin, board=lb)
    runs = sorted({str(r["run_id"]) for r in lb.rows if r.get("run_id")})
    which = f"run {run_id}" if run_id else ("run " + runs[0] if len(runs) == 1 else
                                            f"each candidate's latest run ({fmt.names(runs, limit=4)})")
    repeats = f", {fmt.count(lb.repeats, 'repeat')} each" if lb.repeats > 1 else ""
    intro.insert(0, Para(f"Scorer '{lb.scorer}' on {fmt.count(lb.n_examples, 'example')}{repeats}, "
                         f"{fmt.count(len(lb.rows), 'candidate')}; {which}."))
    sections = [_decision_section(rec, lb)]
    if rec.status in ("all_failed", "no_scores"):
        sections.append(_calls_section(lb.rows))
        if rec.status == "all_failed":
            sections.append(_cases_section(q, suite, lb, cases))
        return Report(suite, title, intro, sections, rec.status, rec.headline, None, generated_at)
    human = _human_rows(q, suite, run_id)
    sections.append(_leaderboard_section(lb, human))
    sections.append(_human_section(human))
    if run_id is None:
        changes = _changes_section(q, suite, lb.scorer)
        if changes is not None:
            sections.append(changes)
    sections.append(_trends_section(q, suite, lb))
    sections.append(_tags_section(lb))
    sections.append(_cases_section(q, suite, lb, cases))
    return Report(suite, title, intro, sections, rec.status, rec.headline, rec.pick, generated_at)


def _unscored_report(q: Queries, suite: str, run_id: str | None, title: str, intro: list[Para],
                     manifests: list[dict[str, Any]], generated_at: str, why: EvalcoreError) -> Report:
    """The report of a suite with results but no readable scores: no leader, and the library's one message on
    what is missing and the next step (`analysis.unscored_error`), the same words as the CLI and the pages."""
    headline = "No readable scores: there is nothing to compare and no candidate to pick."
    items: list[Item] = [Para(headline, "warn"), Para(f"{why.message[0].upper()}{why.message[1:]}")]
    if why.hint:
        items.append(Para(f"Next step: {why.hint}"))
    status = {m["run_id"]: m.get("status") for m in manifests}
    if manifests:
        items.append(Para(f"{fmt.count(len(manifests), 'run')}: " + ", ".join(
            f"{r} ({s or 'unknown status'})" for r, s in list(status.items())[:5]) + "."))
    sections = [Section("decision", "The decision", items)]
    rows = q.candidate_summary(suite, run_id).to_dict("records")
    if rows:
        sections.append(_calls_section(rows))
    return Report(suite, title, intro, sections, "no_scores", headline, None, generated_at)


# -- the sections -------------------------------------------------------------------------------------------------


_POLICY_WORDS = {"cheapest": "the cheapest", "fastest": "the fastest", "best": "the best-scoring"}


def _decision_section(rec: Any, lb: Leaderboard) -> Section:
    tone: Tone = "pick" if rec.status == "pick" else ("warn" if rec.status in ("all_failed", "no_scores")
                                                       else "nopick")
    items: list[Item] = [Para(rec.headline, tone)]
    if rec.status in ("all_failed", "no_scores"):
        calls = sum(int(r.get("calls") or 0) for r in lb.rows)
        errors = sum(int(r.get("errors") or 0) for r in lb.rows)
        items.append(Para(f"No leader: {fmt.count(errors, 'failed call')} of {fmt.count(calls, 'call')}. Read the "
                          "errors below (or evalcore show --suite S --failing), fix the cause (a key, a model name, "
                          "a server), then run the suite again: failed calls are retried."))
        return Section("decision", "The decision", items)
    items.append(Para(f"Policy: {_POLICY_WORDS.get(rec.policy, rec.policy)} candidate among those shown to lose at "
                      f"most {fmt.score(rec.margin)} to every other (paired one-sided tests on the "
                      f"{fmt.count(rec.shared_examples, 'example')} all candidates share).", "note"))
    if rec.status == "inconclusive" and rec.shared_examples >= 2:
        items.append(Para(no_pick_text(rec), "note"))
    if rec.alternatives:
        order = [r["candidate"] for r in lb.rows]
        alts = sorted(rec.evidence, key=lambda a: order.index(a["candidate"]) if a["candidate"] in order
                      else len(order))
        rows = []
        for a in alts:
            vs = "-" if a["candidate"] == rec.leader else (f"{fmt.diff(a['diff'])} "
                                                           f"{fmt.diff_interval(a['diff_low'], a['diff_high'])}")
            rows.append([a["candidate"], a["verdict"], vs, _cost(a["cost_per_example_usd"]),
                         fmt.latency(a["latency_p50_ms"])])
        items.append(Table(["candidate", "verdict", "vs the leader (95% CI, unadjusted)", "$ per 1,000 examples",
                            "p50 latency"],
                           rows, numeric=frozenset({2, 3, 4}), prose=frozenset({1})))
    if rec.details:
        items.append(Bullets(list(rec.details), summary="The evidence, in words"))
    return Section("decision", "The decision", items)


def _cost(per_example: Any) -> str:
    v = fmt._num(per_example)
    return "unknown price" if v is None else fmt.money(v * 1000)


def _rank_range(r: dict[str, Any]) -> str:
    lo, hi = r.get("rank_low"), r.get("rank_high")
    if lo is None or hi is None:
        return "-"
    return fmt.whole(lo) if lo == hi else f"{fmt.whole(lo)}-{fmt.whole(hi)}"


def _human_rows(q: Queries, suite: str, run_id: str | None) -> list[Any]:
    from evalcore import labels

    return labels.human_summary(q, suite, run_id=run_id)


def _human_cell(h: Any) -> str:
    if h is None or not h.n_examples:
        return "not labeled"
    if not h.enough:
        return f"{fmt.whole(h.n_examples)} of {fmt.whole(h.examples)} labeled: too few"
    return f"{fmt.score(h.rating, 2)} {fmt.interval(h.rating_low, h.rating_high, 2)}, ok {fmt.pct(h.ok_rate)}"


def _leaderboard_section(lb: Leaderboard, human: list[Any]) -> Section:
    import pandas as pd

    labeled = any(h.n_examples for h in human)
    by_h = {h.candidate: h for h in human}
    columns = ["rank", "candidate", f"mean {lb.scorer}", "95% interval", "rank range", "could be best",
               f"vs the leader ({lb.vs_leader_label()})", "pass rate", "errors", "$ per 1,000", "p50 latency", "n"]
    rows = []
    for i, r in enumerate(lb.rows):
        gap = f"{fmt.diff(r['diff_vs_best'])} {fmt.diff_interval(r['diff_low'], r['diff_high'])}"
        vs = "leader" if i == 0 else ("-" if r["diff_vs_best"] is None else gap)
        row = ["-" if r["rank"] is None else fmt.whole(r["rank"]), r["candidate"], fmt.score(r["mean"]),
               fmt.interval(r["low"], r["high"]), _rank_range(r), "yes" if r["could_be_best"] else "no", vs,
               fmt.pct(r["pass_rate"]), fmt.whole(r["errors"]), _cost(r["cost_per_example_usd"]),
               fmt.latency(r["latency_p50_ms"]), fmt.whole(r["n"])]
        if labeled:
            row.append(_human_cell(by_h.get(r["candidate"])))
        rows.append(row)
    if labeled:
        columns.append("human rating (1-5), ok to show")
    families = sorted({r.get("family") or "(no family)" for r in lb.rows})

    def chart() -> Any:
        from evalcore import charts

        frame = _visible_frame(pd.DataFrame(lb.rows))
        return charts.leaderboard_chart(frame, score_label=visible(f"mean {lb.scorer}"),
                                        families=[visible(f) for f in families])

    items: list[Item] = [
        Figure(chart, f"Each candidate's mean {lb.scorer} (point) with its 95% interval (bar), best mean at the top; "
                      "colour is the model family, a cross marks a candidate credibly worse than the best."),
        Table(columns, rows, numeric=frozenset({0, 2, 3, 6, 7, 8, 9, 10, 11})),
        Para("Ordered by mean (rank 1 = best mean). 'Could be best': no candidate is credibly better in paired tests "
             "on shared examples, adjusted for each candidate's comparisons; the rank range is the ranks the tests "
             "leave open. "
             f"Means' intervals are 95%; the gaps to the leader are {fmt.level(lb.vs_leader_confidence)}, wide enough "
             "for every candidate's comparison with the leader at once, so they are wider than the decision's.",
             "note"),
    ]
    if lb.notes:
        items.append(Bullets(list(lb.notes)))
    return Section("leaderboard", "Leaderboard", items)


def _human_section(human: list[Any]) -> Section:
    labeled = [h for h in human if h.n_examples]
    if not labeled:
        return Section("human", "What people said", [Para(
            "No outputs are labeled yet: reviewers rate outputs blind on the dashboard's Label page (or import "
            "ratings with evalcore labels import). The decision above rests on the automatic scores alone.")])
    ordered = sorted(human, key=lambda h: (h.rating is None, -(h.rating or 0), h.candidate))
    rows = [[h.candidate, fmt.score(h.rating, 2), fmt.interval(h.rating_low, h.rating_high, 2), fmt.pct(h.ok_rate),
             f"[{fmt.pct(h.ok_low)}, {fmt.pct(h.ok_high)}]" if fmt._num(h.ok_low) is not None else fmt.MISSING,
             f"{fmt.whole(h.n_examples)} of {fmt.whole(h.examples)}", h.note or ""] for h in ordered]
    return Section("human", "What people said", [
        Table(["candidate", "mean rating (1-5)", "95% interval", "ok to show", "ok 95% interval", "labeled examples",
               "note"], rows, numeric=frozenset({1, 2, 3, 4, 5})),
        Para("Each reviewer's latest answer counts; an example's answers are averaged first. The rating's interval "
             "is 95% (bounded 1-5), the 'ok to show' rate's is Wilson's. The pick is computed on the automatic "
             "scores: read it beside these.", "note"),
    ])


def _changes_section(q: Queries, suite: str, scorer: str) -> Section | None:
    from evalcore import explore

    c = explore.changes_since_previous_run(q, suite, scorer_name=scorer)
    if c.previous_run_id is None:
        return None
    items: list[Item] = [Para(f"Newest run {c.run_id} against {c.previous_run_id}.")]
    if c.new_candidates:
        items.append(Para(f"New: {fmt.steady_names(c.new_candidates)}."))
    moved = [ch for ch in c.changes if ch.significant]
    if moved:
        items.append(Table(
            ["candidate", "change", "before", "after", "difference (95% CI)", "shared examples"],
            [[ch.candidate, "regressed" if ch.regression else "improved", fmt.score(ch.before), fmt.score(ch.after),
              f"{fmt.diff(ch.diff)} {fmt.diff_interval(ch.low, ch.high)}", fmt.whole(ch.n)] for ch in moved],
            numeric=frozenset({2, 3, 4, 5})))
    steady = [ch.candidate for ch in c.changes if not ch.significant]
    if steady:
        items.append(Para(f"No significant move: {fmt.steady_names(steady)}."))
    if c.unpaired:
        items.append(Para(explore.unpaired_sentence(c.unpaired), "warn"))
    if c.regressions:
        items.insert(0, Para(f"{fmt.count(len(c.regressions), 'candidate')} regressed significantly: "
                             f"{fmt.steady_names([ch.candidate for ch in c.regressions])}.", "warn"))
    return Section("changes", "What changed since the previous run", items)


def _trends_section(q: Queries, suite: str, lb: Leaderboard) -> Section:
    from evalcore import explore

    families = sorted({r.get("family") or "(no family)" for r in lb.rows})
    try:
        series = explore.trend(q, suite, lb.scorer, x="release", data=lb.data)
        points = series["rows"]
        if points.empty or points["release"].isna().all():
            series = explore.trend(q, suite, lb.scorer, x="run", data=lb.data)
            points = series["rows"]
    except EvalcoreError as exc:
        return Section("trends", "Trends per family", [Para(str(exc))])
    by_release = series["x"] == "release"
    field_ = "release" if by_release else "started"
    shown = points.dropna(subset=[field_, "mean"])
    items: list[Item] = []
    if not by_release:
        items.append(Para("No candidate has a release date (release: YYYY-MM-DD in suite.yaml): the points are "
                          "runs, by date.", "note"))

    def chart() -> Any:
        from evalcore import charts

        return charts.trend_chart(_visible_frame(shown), [visible(f) for f in families], x=series["x"],
                                  basis=visible(series["basis"]),
                                  score_label=visible(f"mean {lb.scorer}"))

    if not shown.empty:
        items.append(Figure(chart, f"Mean {lb.scorer} per family across "
                                   f"{'releases' if by_release else 'run dates'}, with 95% bands; computed "
                                   f"{series['basis']}."))
    rows = [[str(r["family"]), str(r["candidate"]), _date(r.get(field_), by_release), fmt.score(r["mean"]),
             fmt.interval(r["low"], r["high"]), fmt.whole(r["n"])] for r in shown.to_dict("records")]
    items.append(Table(["family", "candidate", "release" if by_release else "run started (UTC)", "mean",
                        "95% interval", "n"], rows, numeric=frozenset({3, 4, 5})))
    items.append(Para(f"Points are computed {series['basis']}. Where two intervals overlap, the data cannot tell "
                      "those releases apart.", "note"))
    return Section("trends", "Trends per family", items)


def _date(v: Any, day: bool) -> str:
    import pandas as pd

    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return fmt.MISSING
    ts = pd.Timestamp(v)
    return ts.strftime("%Y-%m-%d" if day else "%Y-%m-%d %H:%M")


def _tags_section(lb: Leaderboard, min_n: int = 10) -> Section:
    import pandas as pd

    from evalcore import explore

    assert lb.data is not None
    cells = explore.tag_cells(lb.data, min_n=min_n)
    if not cells:
        return Section("tags", "Results per tag", [Para("The examples carry no tags: tag edge cases (ambiguous, "
                                                        "malformed, adversarial, long...) to see where each "
                                                        "candidate fails.")])
    order = [r["candidate"] for r in lb.rows]
    frame = pd.DataFrame(cells)
    cands = [c for c in order if c in set(frame["candidate"])]
    by = {(c["tag"], c["candidate"]): c for c in cells}
    tags = sorted({c["tag"] for c in cells})
    rows, hover = [], []
    for t in tags:
        n = max(c["n"] for c in cells if c["tag"] == t)
        label = f"{t} (n={fmt.whole(n)}{', small' if n < min_n else ''})"
        rows.append([label] + [fmt.score(by[(t, c)]["mean"], 2) if (t, c) in by else fmt.MISSING for c in cands])
        hover.append([label] + [f"{c} on {t}: {fmt.score(by[(t, c)]['mean'])} "
                                f"{fmt.interval(by[(t, c)]['low'], by[(t, c)]['high'])}, n={fmt.whole(by[(t, c)]['n'])}"
                                if (t, c) in by else "" for c in cands])

    def chart() -> Any:
        from evalcore import charts

        return charts.tag_heatmap(_visible_frame(frame), [visible(c) for c in order])

    return Section("tags", "Results per tag", [
        Figure(chart, f"Mean {lb.scorer} per tag and candidate (0 red to 1 green); faded rows have fewer than "
                      f"{min_n} examples; an outlined cell passed none of the tag's examples (it still shows "
                      "the mean)."),
        Table(["tag"] + cands, rows, numeric=frozenset(range(1, len(cands) + 1)), hover=hover),
        Para(f"Mean {lb.scorer} per tag, candidates in leaderboard order. Tags with fewer than {min_n} examples are "
             "marked small: too few to conclude from.", "note"),
    ])


def _cases_section(q: Queries, suite: str, lb: Leaderboard, limit: int) -> Section:
    from evalcore import explore

    if limit <= 0:
        return Section("cases", "The worst edge cases", [Para("Left out (--cases 0).", "note")])
    table = explore.example_table(q, suite, lb.scorer, data=lb.data)
    worst = explore.hardest_examples(table, limit=limit)
    if worst.empty:
        return Section("cases", "The worst edge cases", [Para("Every candidate passed every example.")])
    order = [r["candidate"] for r in lb.rows]
    runs = {r["candidate"]: r["run_id"] for r in lb.rows if r.get("run_id")}
    items: list[Item] = [Para(f"The {fmt.count(len(worst), 'example')} some candidate failed with the lowest mean "
                              f"{lb.scorer} over all candidates; every candidate's output, in leaderboard order, "
                              "shown as text.", "note")]
    for w in worst.to_dict("records"):
        ex = explore.example_detail(q, suite, str(w["example_id"]), order, runs=runs)
        items.append(_case(ex, w, lb.scorer))
    return Section("cases", "The worst edge cases", items)


def _case(ex: dict[str, Any], w: dict[str, Any], scorer: str) -> Case:
    tags = ", ".join(ex["tags"]) or "no tags"
    errors = int(w["errors"])
    summary = (f"{fmt.whole(w['passed'])} of {fmt.count(int(w['candidates']), 'candidate')} passed; mean {scorer} "
               f"{fmt.score(w['mean'])}" + (f"; {fmt.count(errors, 'failed call')}" if errors else "") + ".")
    blocks = [Block("input", "", ex["input"]), Block("reference", "", ex["expected"] or "(no reference answer)")]
    for cand in ex["candidates"]:
        reps = cand["repeats"]
        for rep in reps[:MAX_REPEATS_SHOWN]:
            primary = next((s for s in rep["scores"] if s["scorer"] == scorer), None)
            verdict = "error" if rep["error_kind"] else ("pass" if primary and primary["passed"] else "fail")
            label = cand["candidate"] + (f", repeat {rep['repeat'] + 1}" if len(reps) > 1 else "")
            meta = (f"{scorer} {fmt.score(primary['value'] if primary else None)} ({verdict}) · "
                    f"{fmt.latency(rep['latency_ms'])} · {fmt.money(rep['cost_usd'])}")
            text = rep["output"] or "(no output)"
            if rep["error_kind"]:
                text = f"{rep['error_kind']}: {rep['error'] or 'no message'}" + (
                    f"\n\n{rep['output']}" if rep["output"] else "")
            blocks.append(Block(label, meta, text, verdict))  # type: ignore[arg-type]
        if len(reps) > MAX_REPEATS_SHOWN:
            blocks.append(Block(cand["candidate"], "", f"({fmt.count(len(reps) - MAX_REPEATS_SHOWN, 'more repeat')} "
                                                       "not shown: evalcore show has them all)"))
    return Case(f"{ex['example_id']} ({tags})", summary, blocks)


def _calls_section(rows: list[dict[str, Any]]) -> Section:
    table = [[str(r["candidate"]), str(r.get("model") or fmt.MISSING), fmt.whole(r.get("calls")),
              fmt.whole(r.get("errors"))] for r in rows]
    return Section("calls", "Calls per candidate", [
        Table(["candidate", "model", "calls", "failed"], table, numeric=frozenset({2, 3}))])


# -- rendering and writing ----------------------------------------------------------------------------------------


def render(doc: Report, fmt_: str = "html") -> str:
    """The report as HTML (self-contained, no script) or Markdown (for a pull-request comment)."""
    if fmt_ == "html":
        from evalcore.report_html import render_html

        return render_html(doc)
    if fmt_ == "md":
        from evalcore.report_md import render_md

        return render_md(doc)
    raise EvalcoreError(f"unknown report format '{fmt_}'.", hint=f"Use one of: {', '.join(FORMATS)}.")


def build_report(workspace: str | Path | Queries | None, suite: str, *, fmt_: str = "html",
                 scorer: str | None = None, run_id: str | None = None, policy: str | None = None,
                 margin: float | None = None, cases: int = DEFAULT_CASES, board: Leaderboard | None = None,
                 generated_at: str | None = None) -> str:
    """`report(...)` rendered as `fmt_` ("html" or "md")."""
    if fmt_ not in FORMATS:
        raise EvalcoreError(f"unknown report format '{fmt_}'.", hint=f"Use one of: {', '.join(FORMATS)}.")
    q = _queries(workspace)
    if fmt_ == "html":
        _check_suite(q, suite, run_id)  # a mistake is reported before the chart engine starts
        from evalcore.report_html import warm_up

        warm_up()
    doc = report(q, suite, scorer=scorer, run_id=run_id, policy=policy, margin=margin, cases=cases,
                 board=board, generated_at=generated_at)
    return render(doc, fmt_)


def format_for(path: str | Path, given: str | None) -> str:
    """The format asked for, else the output file's suffix (.md/.markdown -> md), else HTML."""
    if given:
        return given
    return "md" if str(path).lower().endswith((".md", ".markdown")) else "html"


def write_report(workspace: str | Path | Queries | None, suite: str, out: str | Path, *, fmt_: str | None = None,
                 **kw: Any) -> Written:
    """Build the report and write it to `out` atomically (temp file, fsync, rename): a reader sees the old file
    or the whole new one. Returns what was written."""
    from evalcore.store import atomic_write_bytes

    chosen = format_for(out, fmt_)
    if chosen not in FORMATS:
        raise EvalcoreError(f"unknown report format '{chosen}'.", hint=f"Use one of: {', '.join(FORMATS)}.")
    path = Path(out)
    if path.is_dir():
        raise EvalcoreError(f"{path} is a folder.", hint=f"Name a file, e.g. {path / ('report.' + chosen)}.")
    q = _queries(workspace)
    if chosen == "html":
        _check_suite(q, suite, kw.get("run_id"))  # a mistake is reported before the chart engine starts
        from evalcore.report_html import warm_up

        warm_up()
    doc = report(q, suite, **kw)
    data = render(doc, chosen).encode("utf-8")
    atomic_write_bytes(path, data)
    return Written(path, chosen, len(data), doc.status, doc.headline, [s.key for s in doc.sections])

