"""A CI gate: fail a build only when a candidate is credibly worse than its baseline by more than allowed.

`evalcore gate --suite S --candidate C --baseline B --max-drop D` compares C's latest run with the baseline
on the examples both have, paired. The baseline is either a run id (the same candidate in that older run:
"did the new prompt or release regress?") or another candidate's name (its latest run: "is the cheap model
still within D of the one we ship?").

It fails (exit 1) only when the drop is statistically larger than D: the one-sided 95% lower bound of the
paired drop (baseline - candidate) is above D. An observed drop above D that the data cannot distinguish
from noise passes, with a warning that says so: a gate that fails on noise gets switched off. Pure decision
logic (`gate_decision`) is separate from reading the workspace (`gate`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from evalcore import formatting as fmt
from evalcore.errors import EvalcoreError, did_you_mean, unknown_name

if TYPE_CHECKING:
    from evalcore.queries import Queries

CONFIDENCE = 0.95  # one-sided


@dataclass(frozen=True)
class GateResult:
    """What the gate found; `failed` decides the exit code."""

    suite: str
    scorer: str
    candidate: str
    baseline: str  # as the user named it
    baseline_label: str  # "run R" or "candidate B"
    max_drop: float
    n: int  # shared examples
    candidate_mean: float
    baseline_mean: float
    drop: float  # baseline - candidate: positive is worse
    drop_low: float  # one-sided lower bound of the drop
    drop_high: float
    p_value: float | None  # one-sided, H0: drop <= max_drop
    failed: bool
    verdict: str
    notes: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        """A summary for a pull-request comment or a CI log, either way."""
        mark = "FAIL" if self.failed else "PASS"
        lines = [
            f"### evalcore gate: {mark}",
            "",
            f"**{self.verdict}**",
            "",
            f"Suite `{self.suite}`, scorer `{self.scorer}`, on the {fmt.count(self.n, 'example')} both have "
            f"(paired).",
            "",
            "| | mean |",
            "|---|---|",
            f"| {self.candidate} (candidate) | {fmt.score(self.candidate_mean)} |",
            f"| {self.baseline_label} (baseline) | {fmt.score(self.baseline_mean)} |",
            f"| drop (baseline - candidate) | {fmt.diff(self.drop)}, 95% lower bound {fmt.diff(self.drop_low)} |",
            f"| allowed drop | {fmt.score(self.max_drop)} |",
        ]
        if self.p_value is not None:
            lines.append(f"| drop > allowed | {fmt.p_value(self.p_value)} (one-sided) |")
        if self.notes:
            lines += ["", *[f"- {n}" for n in self.notes]]
        return "\n".join(lines)


def gate_decision(candidate: np.ndarray, baseline: np.ndarray, *, max_drop: float,
                  bounds: tuple[float, float] = (0.0, 1.0)) -> tuple[float, float, float, float | None, bool]:
    """(drop, one-sided lower bound, upper bound, p, failed) for per-example means aligned on the same examples.

    The drop is baseline - candidate. The bound is the paired interval's (two-sided 90% = one-sided 95%)
    lower end from evalcore.stats, so it inherits its handling of ties, constant differences and the
    bounds; `failed` is lower bound > max_drop. `candidate` and `baseline` are lists or 1-d arrays of at least
    2 per-example means each; `max_drop` is a number from 0 up to (not including) the width of `bounds`."""
    from evalcore import stats
    from evalcore.stats._core import check_bounds, numbers_array

    lo, hi = check_bounds(bounds)
    _check_max_drop(max_drop, lo, hi)
    candidate, baseline = numbers_array(candidate, "candidate"), numbers_array(baseline, "baseline")
    if candidate.size != baseline.size:
        raise EvalcoreError(f"candidate and baseline differ in length ({candidate.size} vs {baseline.size}).",
                            hint="Pass per-example means for the same examples, in the same order.")
    if candidate.size < 2:
        raise EvalcoreError(f"candidate and baseline share {fmt.count(candidate.size, 'example')}; a paired "
                            "comparison needs at least 2.", hint="Pass per-example means of the shared examples.")
    level = 1 - 2 * (1 - CONFIDENCE)  # the two-sided level whose lower end is the one-sided bound
    res = stats.paired_difference(baseline, candidate, confidence=level, bounds=bounds)
    diff = res.diff
    drop = float(diff.estimate)
    low = float(diff.low)
    high = float(diff.high)
    failed = low > max_drop
    p = _one_sided_p(baseline - candidate, max_drop, bounds[1] - bounds[0], res.p_value, drop, level)
    return drop, low, high, p, failed


def _check_max_drop(max_drop: object, lo: float, hi: float) -> None:
    """None, True, text and NaN were raw TypeErrors or passed; 5 on a 0-1 score can never fail a gate."""
    from evalcore.stats._core import is_real

    example = f"e.g. {0.02 * (hi - lo):g}"
    if isinstance(max_drop, (float, np.floating)) and math.isinf(max_drop) and max_drop > 0:
        raise EvalcoreError(f"--max-drop is {max_drop}: no drop could ever fail the gate.",
                            hint=f"Give the largest drop you accept, {example}.")
    if not is_real(max_drop):
        raise EvalcoreError(f"--max-drop must be a number, the largest drop you accept, got {max_drop!r}.",
                            hint=f"Pass a drop of 0 or more and below {hi - lo:g}, {example}.")
    if max_drop < 0:
        raise EvalcoreError(f"--max-drop must be 0 or more, got {max_drop!r}.",
                            hint=f"It is the largest drop you accept, {example}.")
    if max_drop >= hi - lo:
        raise EvalcoreError(f"--max-drop {max_drop:g} is not smaller than the score's whole range ({lo:g} to "
                            f"{hi:g}): no drop could fail the gate.",
                            hint=f"Give a drop smaller than {hi - lo:g}, {example}.")


def _one_sided_p(d: np.ndarray, max_drop: float, span: float, p_zero: float | None, drop: float,
                 level: float) -> float | None:
    """p of H0: mean drop <= max_drop, from the same tests as the bound, so p < 1 - CONFIDENCE exactly when the
    gate fails. Rejecting it means rejecting "no drop at all" too (max_drop >= 0), so p is the larger of the
    one-sided test at max_drop (`stats.paired.one_sided_p`: floored variance, skewness-corrected end) and the
    paired test at 0 made one-sided (its exact sign or permutation test where differences are sparse), whose
    two-sided p widens the interval to hold 0 (a plain t test here printed p < 0.05 beside a passing gate for
    ~3% of sparse pass/fail drops)."""
    from evalcore.stats.paired import one_sided_p

    if d.size < 2 or p_zero is None:
        return None
    p_shift = float(one_sided_p(np.asarray(d, dtype=float)[None], max_drop, span, level)[0])
    p_at_zero = p_zero / 2 if drop > 0 else 1 - p_zero / 2
    return min(1.0, max(p_shift, p_at_zero))


def _per_example(df: pd.DataFrame) -> pd.Series:
    return df.groupby("example_id")["value"].mean()


def gate(workspace: str | Path | Queries | None, suite: str, candidate: str, baseline: str, *, max_drop: float = 0.0,
         scorer: str | None = None) -> GateResult:
    """Read C's latest run and the baseline (a run id or a candidate name) and decide."""
    from evalcore.analysis import score_data
    from evalcore.queries import Queries

    q = workspace if isinstance(workspace, Queries) else Queries(workspace)
    data = score_data(q, suite, scorer)
    current = data.scores
    known = sorted(current["candidate"].unique())
    if candidate not in known:
        raise unknown_name("candidate", candidate, known, within=f"suite '{suite}'")
    runs = {m["run_id"]: m for m in q.ws.manifests(suite)}
    if baseline in runs:
        base = score_data(q, suite, data.scorer, run_id=baseline).scores
        base = base[base["candidate"] == candidate]
        if base.empty:
            had = ", ".join(runs[baseline].get("candidates", [])) or "none"
            raise EvalcoreError(f"run {baseline} has no scored results for '{candidate}' (it ran: {had}).",
                                hint="Name a run of the same candidate, or a candidate as --baseline.")
        label = f"run {baseline}"
    elif baseline in known:
        if baseline == candidate:
            raise EvalcoreError("the candidate and the baseline are the same.",
                                hint="Name an older run id, or another candidate, as --baseline.")
        base = current[current["candidate"] == baseline]
        label = f"candidate {baseline}"
    else:
        raise EvalcoreError(f"--baseline '{baseline}' is neither a run of suite '{suite}' nor one of its candidates."
                            f"{did_you_mean(baseline, [*known, *runs])}",
                            hint=f"Candidates: {fmt.names(known, limit=20)}; runs: `evalcore runs --suite {suite}`.")
    cand = _per_example(current[current["candidate"] == candidate])
    basev = _per_example(base)
    shared = cand.index.intersection(basev.index)
    notes = []
    if len(shared) < 2:
        raise EvalcoreError(f"{candidate} and {label} share {fmt.count(len(shared), 'scored example')}; a paired "
                            "comparison needs at least 2.", hint="Run both on the same suite version.")
    if len(shared) < max(len(cand), len(basev)):
        notes.append(f"Compared on the {len(shared)} examples both have ({len(cand)} for {candidate}, "
                     f"{len(basev)} for {label}).")
    a, b = cand.loc[shared].to_numpy(float), basev.loc[shared].to_numpy(float)
    drop, low, high, p, failed = gate_decision(a, b, max_drop=max_drop)
    if failed:
        verdict = (f"{candidate} is worse than {label} by {fmt.diff(drop)[1:]} (at least {fmt.score(low)} with 95% "
                   f"confidence), more than the allowed {fmt.score(max_drop)}.")
    elif drop > max_drop:
        verdict = (f"{candidate} scores {fmt.score(drop)} below {label}, more than the allowed "
                   f"{fmt.score(max_drop)}, but {len(shared)} examples cannot tell that from noise (95% lower "
                   f"bound {fmt.diff(low)}): passing. More examples would settle it.")
    elif drop > 0:
        verdict = f"{candidate} is within the allowed drop of {label} ({fmt.diff(-drop)})."
    else:
        verdict = f"No drop: {candidate} scores {fmt.diff(-drop)} against {label}."
    if len(shared) < 30:
        notes.append(f"Only {len(shared)} shared examples: only large drops can be detected.")
    return GateResult(suite, data.scorer, candidate, baseline, label, max_drop, int(len(shared)),
                      float(a.mean()), float(b.mean()), drop, low, high, p, failed, verdict, notes)
