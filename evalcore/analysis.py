"""What the CLI and the dashboard show: the store's queries fed to the pure statistics.

No SQL here (that is evalcore.queries) and no statistics (evalcore.stats): this module picks the data,
joins cost and latency to quality, and words the result for people.
"""

from __future__ import annotations

import json
import math
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from evalcore import formatting as fmt
from evalcore import stats
from evalcore.errors import EvalcoreError, listing, unknown_name
from evalcore.queries import Queries


def _queries(workspace: str | Path | Queries | None) -> Queries:
    return workspace if isinstance(workspace, Queries) else Queries(workspace)


def _num(v: Any) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


@dataclass
class ScoreData:
    """The long-format scores of one suite and scorer, and what was left out of them."""

    suite: str
    scorer: str
    scores: pd.DataFrame
    unscored: int  # score rows without a value (a judge call failed)
    scorers: list[str]


def scorer_order(workspace: str | Path | Queries | None, suite: str) -> list[str]:
    """Scorer names in the suite's declared order (the first is primary), from the newest run's manifest;
    scorers only older runs had follow."""
    q = _queries(workspace)
    stored = q.scorer_names(suite)
    declared: list[str] = []
    for m in q.ws.manifests(suite):
        for s in (m.get("config") or {}).get("scorers", []):
            label = s.get("name") or s.get("type")
            if label in stored and label not in declared:
                declared.append(label)
        if declared:
            break
    return declared + [s for s in stored if s not in declared]


def require_suite(q: Queries, suite: str) -> None:
    """A suite name typed on the command line must be one this workspace has results for: a typo is said with
    the closest known name, instead of an empty table."""
    known = q.suites()
    if suite not in known:
        raise unknown_name("suite", suite, known, within="this workspace",
                           how="Run one first: evalcore run SUITE_FILE (or build the demo: evalcore demo).")


def only_suite(workspace: str | Path | Queries | None) -> str:
    """The workspace's one suite with results, for commands that name a suite when there is nothing to choose
    between; with none or several, says so and lists them."""
    known = _queries(workspace).suites()
    if len(known) == 1:
        return known[0]
    if not known:
        raise EvalcoreError("this workspace has no results yet, so there is no suite to show.",
                            hint="Run one first: evalcore run SUITE_FILE (or build the demo: evalcore demo).")
    raise EvalcoreError(f"this workspace has {len(known)} suites: name one with --suite.",
                        hint=f"Suites: {listing(known)}.")


def require_run(q: Queries, suite: str, run_id: str) -> None:
    """A run id must be a run of the suite (newest listed first), not silently an empty selection."""
    runs = [m["run_id"] for m in q.ws.manifests(suite)]
    if run_id not in runs:
        raise unknown_name("run", run_id, runs, within=f"suite '{suite}'",
                           how="Run the suite first: evalcore run SUITE_FILE.")


def _unscored_reason(details: list[str]) -> str:
    """Why score rows have no value, from their stored detail: the commonest reasons, with one full example."""
    from collections import Counter

    reasons: list[str] = []
    for d in details:
        try:
            err = json.loads(d).get("error") if d else None
        except (ValueError, AttributeError):
            err = None
        reasons.append(str(err) if err else "no value was recorded")
    counts = Counter(r.split(":", 1)[0] for r in reasons)
    said = "; ".join(f"{n} {what}" for what, n in counts.most_common(3))
    example = reasons[0].split(":", 1)[-1].strip()
    return f"{said} (e.g. {example[:200]})"


class NoScoresError(EvalcoreError):
    """A suite (or one of its scorers) has results but no readable scores: what is missing, why, and the one next
    step that fixes it (`unscored_error`). A report, Explore and `show` carry on without scores; others stop."""


def declared_scorers(workspace: str | Path | Queries | None, suite: str) -> list[dict[str, Any]]:
    """The scorers (name, type) the suite's newest run declared in its config, stored or not: an import without
    --judge declares its llm_judge but stores no score for it."""
    for m in _queries(workspace).ws.manifests(suite):
        found = [{"name": s.get("name") or s.get("type"), "type": s.get("type")}
                 for s in (m.get("config") or {}).get("scorers", [])]
        if found:
            return found
    return []


def scorer_choices(workspace: str | Path | Queries | None, suite: str) -> list[str]:
    """The scorers to choose between: those with stored scores in the declared order (`scorer_order`), then those
    the newest run declared without storing any (so a page can say why they have none instead of having none)."""
    q = _queries(workspace)
    names = scorer_order(q, suite)
    return names + [d["name"] for d in declared_scorers(q, suite) if d["name"] not in names]


def scorers_with_values(q: Queries, suite: str, run_id: str | None = None, *, but: str | None = None) -> list[str]:
    """The suite's stored scorers (other than `but`) with at least one readable value in the current results."""
    return [s for s in scorer_order(q, suite) if s != but
            and bool(q.score_table(suite, s, run_id)["value"].notna().any())]


def _latest_manifests(q: Queries, suite: str, run_id: str | None) -> list[dict[str, Any]]:
    """The manifests of the runs the current results come from (each candidate's latest, or `run_id`)."""
    runs = {r for r, _ in q.candidate_versions(suite, run_id).values()}
    return [m for m in q.ws.manifests(suite) if m["run_id"] in runs]


def unscored_error(q: Queries, suite: str, scorer: str | None = None, run_id: str | None = None, *,
                   reason: str | None = None) -> NoScoresError:
    """The one message for "results but no readable scores" (CLI, dashboard and report all say it): what has no
    values, and the next step that works for how the results were made. Imported outputs are never reused by
    `evalcore run` (it would send every call again and still not judge the import): they are re-imported with
    --judge. A run still going is waited for; a run whose scoring failed is run again (stored answers are reused).
    `reason`: why the values are missing, when known (the judge's errors)."""
    which = f"run {run_id}" if run_id else "the candidates' latest runs"
    latest = _latest_manifests(q, suite, run_id)
    imported = bool(latest) and all(m.get("imported") for m in latest)
    going = [m["run_id"] for m in (latest or q.ws.manifests(suite)) if m.get("status") == "running"]
    types = {d["name"]: d["type"] for d in declared_scorers(q, suite)}
    if not latest:  # runs (a manifest) but no result yet: stopped before its first call, or just started
        message = f"suite '{suite}' has no results yet" + (f" in run {run_id}" if run_id else "")
    elif scorer and reason:
        message = f"scorer '{scorer}' of suite '{suite}' has no readable values in {which}: {reason}"
    elif scorer:
        message = f"scorer '{scorer}' of suite '{suite}' has no scores in {which}"
    else:
        message = f"suite '{suite}' has results but no scores in {which}"
    missing = [scorer] if scorer else [n for n in types if n not in scorers_with_values(q, suite, run_id)]
    judges = bool(missing) and all(types.get(n) == "llm_judge" for n in missing)
    message = message.rstrip(".")
    if going:
        message += f"; run {going[0]} is still going."
        hint = (f"Wait for it: its scores are stored as its calls finish (evalcore runs --suite {suite} shows its "
                "progress).")
    elif not latest:
        message += "."
        hint = (f"Run the suite: evalcore run SUITE_FILE (evalcore runs --suite {suite} shows its runs and how they "
                "ended).")
    elif imported and judges:
        judged = any(n in scorer_order(q, suite) for n in missing)  # imported with --judge, and the judge failed
        message += ("; its outputs were imported." if judged else
                    f"; its outputs were imported, and {fmt.names([repr(n) for n in missing], 4)}"
                    f"{'' if missing == ['llm_judge'] else ' (an llm_judge)'} needs model calls, which an import makes "
                    "only when asked (--judge).")
        hint = (("Fix the cause (the judge's model, key, or a rubric that asks for one rating), then r" if judged
                 else "R") + "e-import the outputs with the judge: evalcore import outputs FILE --suite SUITE_FILE "
                "--judge (the Data page cannot judge yet). evalcore run would not score them: it sends every call to "
                "the models again, and imported outputs are never reused.")
    elif imported:
        message += "; its outputs were imported."
        hint = ("Give the suite a scorer that can score them (or fix the one that failed) and import the outputs "
                "again: evalcore import outputs FILE --suite SUITE_FILE. evalcore run would send every call to the "
                "models again: imported outputs are never reused.")
    elif scorer and types.get(scorer) == "llm_judge" or judges:
        message += "."
        hint = ("Fix the cause (for a judge: its model, key, or a rubric that asks for one rating) and run the suite "
                "again: missing scores are retried, stored answers are not sent again.")
    else:
        message += "."
        hint = ("Give the suite a scorer (or fix the one that failed) and run it again: evalcore run SUITE_FILE "
                "(answers already stored are not sent again).")
    others = scorers_with_values(q, suite, run_id, but=scorer)
    if others:
        hint = (f"Scorer '{others[0]}' has values: pick it in the Scorer box or with --scorer {others[0]}"
                + (f"; so do {fmt.names(others[1:], 4)}" if len(others) > 1 else "")
                + f". Or: {hint[:1].lower()}{hint[1:]}")
    return NoScoresError(message, hint=hint)


def score_data(q: Queries, suite: str, scorer: str | None = None, run_id: str | None = None) -> ScoreData:
    """The current scores of one scorer (default: the primary one). Raises `NoScoresError` (`unscored_error`) when
    the suite, or that scorer, has results but no readable values."""
    names = scorer_order(q, suite)
    choices = scorer_choices(q, suite)
    if scorer is not None and scorer not in choices:
        require_suite(q, suite)
        raise unknown_name("scorer", scorer, choices, within=f"suite '{suite}'")
    if not names:
        require_suite(q, suite)
        if run_id is not None:
            require_run(q, suite, run_id)
        raise unscored_error(q, suite, scorer, run_id)
    chosen = scorer or names[0]
    if run_id is not None:
        require_run(q, suite, run_id)
    if chosen not in names:  # declared by the newest run, never stored (an import without --judge)
        raise unscored_error(q, suite, chosen, run_id)
    df = q.score_table(suite, chosen, run_id)
    missing = df["value"].isna()
    if len(df) == 0:  # stored by older runs only: not a failure, a choice of scorer or run
        which = f"run {run_id}" if run_id else "the candidates' latest runs"
        raise EvalcoreError(
            f"scorer '{chosen}' has no scores in {which} of suite '{suite}' (they did not use it, or an import "
            "left it unscored).",
            hint="Pick another --scorer, or add it to the suite and run again (stored answers are not sent again)"
                 + ("; or pick another run." if run_id else "; --run RUN_ID reads an older run."))
    if bool(missing.all()):
        raise unscored_error(q, suite, chosen, run_id, reason=(
            f"all {len(df):,} of its scores are missing: "
            f"{_unscored_reason(q.unscored_details(suite, chosen, run_id))}."))
    df = df[~missing].copy()
    df["value"] = df["value"].astype(float)
    df["passed"] = df["passed"].fillna(False).astype(bool)
    return ScoreData(suite, chosen, df, int(missing.sum()), names)


# -- leaderboard ---------------------------------------------------------------------------------------------


@dataclass
class Leaderboard:
    suite: str
    scorer: str
    rows: list[dict[str, Any]]
    board: list[stats.BoardRow]
    n_examples: int
    repeats: int
    notes: list[str] = field(default_factory=list)
    data: ScoreData | None = field(default=None, repr=False)
    not_ranked: dict[str, int] = field(default_factory=dict)  # candidate -> calls, every one of which failed

    def to_dict(self) -> dict[str, Any]:
        return {"suite": self.suite, "scorer": self.scorer, "n_examples": self.n_examples, "repeats": self.repeats,
                "notes": self.notes, "rows": self.rows, "vs_leader_confidence": self.vs_leader_confidence,
                "not_ranked": self.not_ranked}

    @property
    def compared(self) -> int:
        """Candidates with a gap to the leader (the leader included): what the gaps' adjustment counts."""
        return sum(1 for r in self.rows if r.get("diff_vs_best") is not None)

    @property
    def vs_leader_confidence(self) -> float:
        """The level of the rows' diff_low/diff_high: Bonferroni-adjusted, 98.9% with ten candidates, not 95%."""
        return stats.vs_leader_confidence(max(self.compared, 2))

    def vs_leader_label(self) -> str:
        """The gap column's heading words: "98.9% CI, adjusted for 9 comparisons", so no page calls it 95%."""
        k = self.compared
        level = fmt.level(self.vs_leader_confidence)
        return f"{level} CI, adjusted for {fmt.count(k - 1, 'comparison')}" if k > 2 else f"{level} CI"


def leaderboard(workspace: str | Path | Queries | None, suite: str, *, scorer: str | None = None,
                run_id: str | None = None, seed: int = 0) -> Leaderboard:
    """Every candidate with its mean and 95% interval, n, pass rate, rank range, "could be best", the paired gap
    to the leader, errors, cost and latency; ordered by the estimate (rank 1 = best mean)."""
    q = _queries(workspace)
    data = score_data(q, suite, scorer, run_id)
    summary = {r["candidate"]: r for r in q.candidate_summary(suite, run_id).to_dict("records")}
    dead = dead_candidates(summary)
    scores = data.scores[~data.scores["candidate"].isin(dead)] if dead else data.scores
    board = stats.leaderboard(scores, seed=seed)
    rows = []
    for b in board:
        s = summary.get(b.candidate, {})
        pr = b.pass_rate
        dv = b.diff_vs_best
        rows.append({
            "rank": b.rank, "candidate": b.candidate, "mean": _round(b.mean.estimate), "low": _round(b.mean.low),
            "high": _round(b.mean.high), "n": b.n, "n_obs": b.n_obs, "within_sd": _round(b.within_sd),
            "pass_rate": _round(pr.estimate if pr else None), "pass_low": _round(pr.low if pr else None),
            "pass_high": _round(pr.high if pr else None),
            "rank_low": b.rank_low, "rank_high": b.rank_high, "could_be_best": b.could_be_best,
            "diff_vs_best": _round(dv.estimate if dv else None), "diff_low": _round(dv.low if dv else None),
            "diff_high": _round(dv.high if dv else None),
            "errors": int(s.get("errors") or 0), "calls": int(s.get("calls") or 0),
            "cost_per_example_usd": _significant(_num(s.get("cost_per_call_usd"))),
            "latency_p50_ms": _round(_num(s.get("latency_p50_ms")), 1),
            "latency_p95_ms": _round(_num(s.get("latency_p95_ms")), 1),
            "model": s.get("model"), "family": s.get("family"),
            "release": str(s.get("release"))[:10] if s.get("release") is not None and str(s.get("release")) not in
            ("NaT", "nan", "None") else None,
            "run_id": s.get("run_id"), "note": b.mean.note,
        })
    # the stats module orders by the estimate; candidates without scores come last
    notes = []
    if dead:
        calls = ", ".join(f"{c} ({fmt.count(int(summary[c].get('calls') or 0), 'call')})" for c in dead)
        notes.append(f"Not ranked: no call of {calls} got an answer, so there is nothing to score (a 0 would read "
                     "as a bad model, not a broken call); fix the errors (Explore shows them) and run again.")
    versions = {s.get("suite_version") for s in summary.values()}
    if len(versions) > 1:
        notes.append(f"Candidates' latest runs used {len(versions)} different versions of the suite (examples, "
                     "prompt or scorers changed): rerun all candidates for a like-for-like comparison.")
    from evalcore.workspace_suites import current_version

    now = current_version(q.ws, suite) if run_id is None else None
    if now is not None and versions and now not in versions:
        notes.append(f"These results were measured on an earlier version of suite '{suite}': its examples, prompt "
                     "or scorers changed since the latest runs (the Data page, or its files). Run it again to "
                     "measure what the suite is now.")
    if data.unscored:
        notes.append(f"{fmt.count(data.unscored, 'result')} {'has' if data.unscored == 1 else 'have'} no "
                     f"'{data.scorer}' score (the judge call failed or its reply "
                     "could not be read); "
                     "they are left out of n.")
    errs = sum(r["errors"] for r in rows)
    if errs:
        notes.append(f"{fmt.count(errs, 'call')} failed and score{'s' if errs == 1 else ''} 0 here; running "
                     f"evalcore run again retries {'it' if errs == 1 else 'them'}.")  # plain: pages escape it
    answered = {c: int(s.get("answered_calls") or 0) for c, s in summary.items()}
    unpriced = [r["candidate"] for r in rows if r["cost_per_example_usd"] is None and answered.get(r["candidate"])]
    if unpriced:
        notes.append(f"No price known for {', '.join(unpriced)}: set input/output_price_per_mtok in the suite "
                     "(or import cost_usd with the outputs).")
    partly = [f"{c} ({int(summary[c].get('priced_calls') or 0)} of {answered[c]} calls)" for c in summary
              if answered[c] and 0 < int(summary[c].get("priced_calls") or 0) < answered[c]]
    if partly:
        notes.append(f"Cost known for part of the calls only: {', '.join(partly)}; the cost shown is their mean.")
    n_examples = int(data.scores["example_id"].nunique()) if len(data.scores) else 0
    repeats = int(data.scores["repeat"].max()) + 1 if len(data.scores) else 0
    if repeats > 1 and any(r["cost_per_example_usd"] is not None for r in rows):
        notes.append(f"Costs are per call, what one answer costs in use; this suite ran each example {repeats} times, "
                     f"so a run of it costs {repeats} times that per example.")
    if 0 < n_examples < 30:
        notes.append(f"Only {fmt.count(n_examples, 'example')}: intervals are wide; aim for 50 or more.")
    return Leaderboard(suite, data.scorer, rows, board, n_examples, repeats, notes, data,
                       {c: int(summary[c].get("calls") or 0) for c in dead})


def dead_candidates(summary: dict[str, dict[str, Any]]) -> list[str]:
    """Candidates whose every call of their latest run failed, when some other candidate has answers: they are
    named and left out of the board (audit 5: a misspelt model name ranked 'credibly worse' at 0.000). When every
    candidate failed, none is left out: the pages' and `decide`'s every-call-failed message takes over."""
    def failed(s: dict[str, Any]) -> bool:
        return int(s.get("calls") or 0) > 0 and int(s.get("errors") or 0) >= int(s.get("calls") or 0)

    out = [c for c, s in summary.items() if failed(s)]
    return out if len(out) < len(summary) else []


def _round(v: float | None, digits: int = 4) -> float | None:
    """Tidy for JSON, but never a value that displays differently from the unrounded one: -0.31446 rounded to
    -0.3145 would print "-0.315" beside the decision's "-0.314" (rounding a rounded value); such values keep
    their digits."""
    if v is None:
        return None
    x, r = float(v), round(float(v), digits)
    if fmt.score(r) != fmt.score(x) or fmt.pct(r) != fmt.pct(x):
        return x
    return r


def _significant(v: float | None, digits: int = 6) -> float | None:
    """Tiny amounts (USD per call) keep their precision, but not the last bits of a float sum, which DuckDB's
    parallel aggregation adds up in varying order: the same data must give the same board."""
    return None if v is None else float(f"{float(v):.{digits}g}")


# -- paired comparison -----------------------------------------------------------------------------------------


@dataclass
class Comparison:
    a: str
    b: str
    scorer: str
    pair: stats.PairRow
    flipped: bool  # the stats module orients pairs best-first; True when it put B first
    sample: stats.SampleSizeReport
    n_candidates: int = 2
    # Set when A's and B's latest runs were made for different versions of the suite: what was compared instead
    # (`_unchanged_examples`), said first in `text`.
    versions: dict[str, Any] | None = None
    unchanged: tuple[str, ...] | None = field(default=None, repr=False)  # the example ids compared then

    @property
    def significant(self) -> bool:
        """This pair on its own (unadjusted), consistent with its 95% interval."""
        return self.pair.p is not None and self.pair.p < 0.05

    @property
    def diff(self) -> tuple[float | None, float | None, float | None]:
        d = self.pair.diff
        if not self.flipped:
            return d.estimate, d.low, d.high
        return (_neg(d.estimate), _neg(d.high), _neg(d.low))

    @property
    def summary(self) -> list[str]:
        """The result and whether it is significant (alone and, where that differs, in the leaderboard): the
        lines a one-box headline must keep together, so a gap is never shown without its verdict."""
        est, low, high = self.diff
        p = self.pair
        if est is None or p.p is None:
            return [f"{self.a} and {self.b} share fewer than 2 scored examples on '{self.scorer}': "
                    "they cannot be compared."]
        lead, lag = (self.a, self.b) if est >= 0 else (self.b, self.a)
        verdict = ("a statistically significant difference" if self.significant
                   else "not a statistically significant difference")
        same = fmt.score(abs(est)) == fmt.score(0.0)  # "a scores 0.000 higher than b" read as a lead
        head = (f"{self.a} and {self.b} score the same" if same else
                f"{lead} scores {fmt.score(abs(est))} higher than {lag}")
        lines = [
            f"On the {fmt.count(p.n, 'example')} both have, {head} "
            f"on '{self.scorer}' (difference {self.a} - {self.b}: {fmt.diff(est)}, 95% CI "
            f"{fmt.diff_interval(low, high)}).",
            f"Compared on their own, that is {verdict} ({p.test}, {fmt.p_value(p.p)}).",
        ]
        if self.n_candidates > 2 and p.p_adjusted is not None and p.significant != self.significant:
            lines.append(
                f"The leaderboard compares each candidate with {fmt.count(self.n_candidates - 1, 'other')} and "
                f"adjusts for that (one-sided, Bonferroni): adjusted {fmt.p_value(p.p_adjusted)}, so there the gap is "
                f"{'credible' if p.significant else 'not credible'}. Trust the single comparison only if you chose "
                "this pair before seeing the results.")
        return lines

    @property
    def text(self) -> str:
        lines = self.summary
        p = self.pair
        if self.diff[0] is None or p.p is None:
            return lines[0]
        wins, losses = (p.losses, p.wins) if self.flipped else (p.wins, p.losses)
        lines.append(f"Per example: {self.a} better on {wins}, worse on {losses}, equal on {p.ties}.")
        if p.mcnemar_p is not None:
            lines.append(f"Pass/fail (exact McNemar): {fmt.p_value(p.mcnemar_p)}.")
        if not self.significant and self.sample.mdd is not None and self.sample.mdd >= 1.0:  # scores are in [0, 1]
            lines.append(f"At n = {p.n}, no gap a score in [0, 1] can hold would reliably show: add examples.")
        elif not self.significant and self.sample.mdd is not None:
            lines.append(f"At n = {p.n}, a true gap smaller than about {fmt.score(self.sample.mdd)} would usually "
                         f"go unseen ({self.sample.power:.0%} power, one-sided at {self.sample.alpha_adjusted:.2g}).")
        if self.versions is not None:
            lines.insert(0, self.versions["text"])
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        est, low, high = self.diff
        return {"a": self.a, "b": self.b, "scorer": self.scorer, "diff": est, "low": low, "high": high,
                "n": self.pair.n, "p": self.pair.p, "p_adjusted": self.pair.p_adjusted, "test": self.pair.test,
                "significant": self.significant, "significant_in_leaderboard": self.pair.significant,
                "mcnemar_p": self.pair.mcnemar_p, "text": self.text,
                **({"different_suite_versions": self.versions} if self.versions is not None else {})}


def _neg(v: float | None) -> float | None:
    return None if v is None else -v


def compare(workspace: str | Path | Queries | None, suite: str, a: str, b: str, *, scorer: str | None = None,
            seed: int = 0, data: ScoreData | None = None) -> Comparison:
    """A vs B on the examples both have: paired CI and test (exact where needed), McNemar, what n could detect."""
    q = _queries(workspace)
    data = data if data is not None else score_data(q, suite, scorer)  # a page passes the scores it has read
    have = set(data.scores["candidate"])
    for name in (a, b):
        if name not in have:
            raise unknown_name("candidate", name, sorted(have), within=f"suite '{suite}'")
    if a == b:
        raise EvalcoreError("compare needs two different candidates.")
    data, versions, unchanged = _unchanged_examples(q, suite, a, b, data)
    pairs = stats.pairwise(data.scores, seed=seed)
    pair = next(p for p in pairs if {p.a, p.b} == {a, b})
    two = data.scores[data.scores["candidate"].isin([a, b])]
    return Comparison(a, b, data.scorer, pair, flipped=pair.a != a, sample=stats.sample_size_report(two),
                      n_candidates=len(have), versions=versions, unchanged=unchanged)


def _unchanged_examples(q: Queries, suite: str, a: str, b: str,
                        data: ScoreData) -> tuple[ScoreData, dict[str, Any] | None, tuple[str, ...] | None]:
    """When A's and B's latest runs were made for different versions of the suite (the dataset changed between
    them), A's and B's scores on only the examples the same in both versions, a note saying so and those ids;
    else `data`, None, None. Without it, A's e000 was paired with B's e000 of another dataset without a word. Raises
    when no example is the same in both."""
    versions = q.candidate_versions(suite)
    if a not in versions or b not in versions or versions[a][1] == versions[b][1]:
        return data, None, None
    (run_a, ver_a), (run_b, ver_b) = versions[a], versions[b]
    ids, same = q.shared_examples(suite, ver_a, ver_b)
    runs = (f"{a}'s latest run ({run_a}) and {b}'s ({run_b}) were made for different versions of suite "
            f"'{suite}' (its dataset, prompt or scorers changed between them)")
    # One command, said as the error's hint (its own sentence) and at the end of the note's last sentence.
    command = f"evalcore run SUITE_FILE --candidates {a},{b} (stored answers are not sent again)."
    rerun = f"Run both on the current suite: {command}"
    if not same:
        raise EvalcoreError(f"{runs}, and no example is the same in both ({fmt.count(len(ids), 'id')} in common, all "
                            "changed): there is nothing to compare like with like.", hint=rerun)
    s = data.scores
    data = dataclasses.replace(data, scores=s[~s["candidate"].isin([a, b]) | s["example_id"].isin(same)])
    for name in (a, b):
        if name not in set(data.scores["candidate"]):
            raise EvalcoreError(f"{runs}, and {name} has no scores on the {fmt.count(len(same), 'example')} unchanged "
                                "between them.", hint=rerun)
    changed = len(ids) - len(same)
    return data, {"suite_versions": {a: ver_a, b: ver_b}, "runs": {a: run_a, b: run_b},
                  "examples_unchanged": len(same), "examples_changed": changed,
                  "text": f"Note: {runs}. Only the {fmt.count(len(same), 'example')} unchanged between the two are "
                          f"compared; {fmt.count(changed, 'changed example')} and any example in only one version "
                          f"are left out. To compare on all examples, run both on the current suite: {command}"
                  }, tuple(same)


# -- the recommendation ------------------------------------------------------------------------------------------


def suite_policy(q: Queries, suite: str) -> tuple[str | None, float | None]:
    """The decision policy and margin the suite declares (newest run's config), if any."""
    for m in q.ws.manifests(suite):
        d = (m.get("config") or {}).get("decision") or {}
        if d:
            return d.get("policy"), d.get("margin")
    return None, None


def people_evidence(workspace: str | Path | Queries | None, suite: str,
                    candidates: list[str] | None = None) -> stats.PeopleEvidence:
    """What people said about the suite's candidates (their latest runs), for the recommendation: ratings and
    "ok to show" rates with intervals, and who people rate credibly worse (`evalcore.stats.human`)."""
    from evalcore import labels

    table = labels.human_table(_queries(workspace), suite)
    examples = table.attrs["examples"]
    names = candidates if candidates is not None else sorted(examples)
    table = table[table["candidate"].isin(names)]
    return stats.people_evidence(table, candidates=names, min_items=labels.MIN_ITEMS, examples=examples)


def judge_check(workspace: str | Path | Queries | None, suite: str, scorer: str) -> tuple[list[str], list[str]]:
    """(warnings, details) when the decision rests on an LLM judge's scores: a warning when people disagree with
    the judge (its agreement with them is measured and not good enough), a detail line otherwise."""
    from evalcore import labels

    j = labels.judge_agreement(_queries(workspace), suite, scorer, n_boot=500)
    if j is None:
        return [], []
    if j.trusted:
        return [], [f"The scores come from the LLM judge '{scorer}', which agrees with people: {j.verdict}"]
    if j.alpha is None or j.n_items < 20:
        return [], [f"The scores come from the LLM judge '{scorer}', which is not yet checked against people: "
                    f"{j.verdict.replace('WARNING: ', '')}"]
    return [f"This decision rests on the LLM judge '{scorer}', and people disagree with it: {j.verdict} "
            "Weigh the people's ratings, or decide on another scorer."], []


METRICS = ("score", "human")
HUMAN_MARGIN = 0.25  # rating points on the 1-5 scale: the default acceptable drop when deciding on people's ratings


def recommendation(workspace: str | Path | Queries | None, suite: str, *, scorer: str | None = None,
                   policy: str | None = None, margin: float | None = None,
                   board: Leaderboard | None = None, people: bool = True,
                   metric: str = "score") -> stats.Recommendation:
    """What to pick under a policy and practical margin (arguments, else the suite's `decision:`, else cheapest
    within 0.02), computed on the examples all candidates share; pass the page's `board` to reuse its data.

    With `people` (the default) the labels count: a candidate people rate credibly worse than another is never
    picked, every alternative carries its human rating and "ok to show" rate, and a decision resting on an LLM
    judge that people disagree with carries a warning. `metric="human"` decides on people's mean rating (1-5)
    itself, among the candidates with enough rated examples, on the examples all of them have ratings for; the
    margin is then in rating points (default 0.25)."""
    if metric not in METRICS:
        raise EvalcoreError(f"unknown metric '{metric}'.", hint="Use 'score' (the scorer) or 'human' (people's 1-5).")
    q = _queries(workspace)
    lb = board if board is not None else leaderboard(q, suite, scorer=scorer)
    assert lb.data is not None
    declared_policy, declared_margin = suite_policy(q, suite)
    if metric == "human":
        return _human_recommendation(q, suite, lb, policy or declared_policy or stats.DEFAULT_POLICY,
                                     HUMAN_MARGIN if margin is None else margin)
    evidence = people_evidence(q, suite, [r["candidate"] for r in lb.rows]) if people else None
    rec = stats.recommend(
        lb.data.scores,
        cost_per_example={r["candidate"]: r["cost_per_example_usd"] for r in lb.rows},
        latency_ms={r["candidate"]: r["latency_p50_ms"] for r in lb.rows},
        calls={**{r["candidate"]: r["calls"] for r in lb.rows}, **lb.not_ranked},
        errors={**{r["candidate"]: r["errors"] for r in lb.rows}, **lb.not_ranked},  # not ranked: every call failed
        policy=policy or declared_policy or stats.DEFAULT_POLICY,
        margin=margin if margin is not None else (declared_margin if declared_margin is not None
                                                  else stats.DEFAULT_MARGIN),
        people=evidence,
    )
    if not people or rec.status in ("no_scores", "all_failed"):
        return rec
    warnings, lines = judge_check(q, suite, lb.scorer)
    if warnings or lines:
        rec = dataclasses.replace(rec, warnings=[*rec.warnings, *warnings], details=[*rec.details, *lines])
    return rec


def _human_recommendation(q: Queries, suite: str, lb: Leaderboard, policy: str,
                          margin: float) -> stats.Recommendation:
    """The recommendation on people's mean rating (1-5) instead of a scorer's values."""
    from evalcore import labels

    table = labels.human_table(q, suite)
    names = [r["candidate"] for r in lb.rows]
    rated = table[table["rating"].notna() & table["candidate"].isin(names)]
    counts = rated.groupby("candidate")["example_id"].nunique().to_dict()
    use = [c for c in names if counts.get(c, 0) >= labels.MIN_ITEMS]
    left = [f"{c} ({counts.get(c, 0)})" for c in names if c not in use]
    if len(use) < 2:
        head = (f"Cannot decide on people's ratings: {fmt.count(len(use), 'candidate')} "
                f"{'has' if len(use) == 1 else 'have'} {labels.MIN_ITEMS} or more rated examples "
                f"(rated examples: {fmt.names(left, 6) or 'none'}); rate more outputs on the Label page.")
        return stats.Recommendation("inconclusive", head, [], None, None, policy, margin, 0)
    scores = pd.DataFrame({"candidate": rated["candidate"], "example_id": rated["example_id"], "repeat": 0,
                           "value": rated["rating"].astype(float)})
    scores = scores[scores["candidate"].isin(use)]
    rec = stats.recommend(
        scores, bounds=(1.0, 5.0), policy=policy, margin=margin,
        cost_per_example={r["candidate"]: r["cost_per_example_usd"] for r in lb.rows if r["candidate"] in use},
        latency_ms={r["candidate"]: r["latency_p50_ms"] for r in lb.rows if r["candidate"] in use})
    intro = (f"Decided on people's mean rating (1-5), not on a scorer: {fmt.count(len(use), 'candidate')} with at "
             f"least {labels.MIN_ITEMS} rated examples; the margin is in rating points.")
    if left:
        intro += f" Left out, too few rated examples: {fmt.names(left, 6)}."
    return dataclasses.replace(rec, details=[intro, *rec.details])


def decision(workspace: str | Path | Queries | None, suite: str, *, scorer: str | None = None,
             seed: int = 0, board: Leaderboard | None = None, people: bool = True) -> stats.Decision:
    """The recommendation in the older (winner, text, lines) shape, for callers not yet on `recommendation`."""
    del seed
    return stats.as_decision(recommendation(workspace, suite, scorer=scorer, board=board, people=people))


def tags(workspace: str | Path | Queries | None, suite: str, *, scorer: str | None = None,
         seed: int = 0, min_n: int = 10) -> list[stats.TagRow]:
    q = _queries(workspace)
    scores = score_data(q, suite, scorer).scores
    dead = dead_candidates({r["candidate"]: r for r in q.candidate_summary(suite).to_dict("records")})
    if dead:  # not ranked on the leaderboard, so not on the heat map: its zeros are no answers, not wrong ones
        scores = scores[~scores["candidate"].isin(dead)]
    return stats.by_tag(scores, seed=seed, min_n=min_n)


def tag_rows(workspace: str | Path | Queries | None, suite: str, *, scorer: str | None = None,
             min_n: int = 10) -> list[dict[str, Any]]:
    """Per (tag, candidate), flat for tables: best candidate first within each tag."""
    out = []
    for t in tags(workspace, suite, scorer=scorer, min_n=min_n):
        pr = t.pass_rate
        out.append({"tag": t.tag, "candidate": t.candidate, "mean": _round(t.mean.estimate),
                    "low": _round(t.mean.low), "high": _round(t.mean.high), "n": t.n,
                    "pass_rate": _round(pr.estimate if pr else None),
                    "flag": f"too small (n < {min_n})" if t.too_small else "", "note": t.note})
    out.sort(key=lambda r: (r["tag"], -(r["mean"] or 0)))
    return out


# -- runs and public benchmarks -----------------------------------------------------------------------------------


def run_list(workspace: str | Path | Queries | None, suite: str | None = None) -> list[dict[str, Any]]:
    """Runs newest first: manifest (status, started) joined with what the store holds for each."""
    q = _queries(workspace)
    counts = {(r["suite"], r["run_id"]): r for r in q.run_counts(suite).to_dict("records")}
    out = []
    for m in q.ws.manifests(suite):
        c = counts.get((m["suite"], m["run_id"]), {})  # two suites may share a run id (runner's run_id=)
        results, cached = int(c.get("results") or 0), int(c.get("cached") or 0)
        status = m.get("status")
        rerun = status == "finished" and results > 0 and cached == results
        spent = _round(_num(c.get("spent_usd")), 6)
        # The runner counts what it sent and what it did not (a stopped candidate's calls are stored as "not sent"):
        # results - cached counted those as sent. An import sent nothing. Older manifests have neither count.
        not_sent = int(m.get("not_sent") or 0)
        sent = (int(m["sent"]) if m.get("sent") is not None else 0 if m.get("imported")
                else max(results - cached - not_sent, 0))
        out.append({
            "run_id": m["run_id"], "suite": m["suite"],
            # A rerun that found every answer in the store sent nothing and spent nothing: say so, not "-".
            "status": "cached rerun" if rerun else status,
            "candidates": len(m.get("candidates", [])), "planned": m.get("planned"),
            "results": results, "errors": int(c.get("errors") or 0), "cached": cached,
            "sent": sent, "not_sent": not_sent,
            "spent_usd": 0.0 if spent is None and results == cached else spent,
            "started_at": (m.get("started_at") or "")[:19].replace("T", " "),
            "finished_at": (m.get("finished_at") or "")[:19].replace("T", " "),
            "suite_version": m.get("suite_version"),
        })
    return out


def public_comparison(workspace: str | Path | Queries | None, suite: str, *, scorer: str | None = None,
                      benchmark: str | None = None, seed: int = 0) -> Any:
    from evalcore.public import rank_comparison

    q = _queries(workspace)
    require_suite(q, suite)  # a typo in --suite is said before anything else
    public = q.public_scores().to_dict("records")
    if not public:
        raise EvalcoreError("no public benchmark scores in this workspace.",
                            hint="Import some: evalcore public import FILE.csv (model, benchmark, score, source).")
    lb = leaderboard(q, suite, scorer=scorer, seed=seed)
    # Unrounded: a gap taken from means stored to 4 places (0.9141 - 0.5996) printed "+0.315" beside the
    # leaderboard's -0.31446 ("-0.314") for the same pair; the flip text rounds once, for display.
    means = {b.candidate: b.mean.estimate for b in lb.board if b.mean.estimate is not None}
    better = {b.candidate: set(b.better_than) for b in lb.board}  # credibly better, at the board's level
    models = {r["candidate"]: r["model"] or "" for r in lb.rows}
    result = rank_comparison(means, better, models, public, benchmark)
    if not result.rows:
        raise EvalcoreError("no candidate of this suite matches a model in the public scores.",
                            hint="Name rows by candidate name or litellm model string.")
    return result
