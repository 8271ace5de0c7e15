"""Bradley-Terry ranking from pairwise preferences ("which output is better?"), with bootstrap intervals.

Pure functions of their inputs and an explicit seed; numpy only. P(i beats j) = p_i / (p_i + p_j). A tie
counts as half a win for each side (the usual treatment when ties are rare and unmodelled). Strengths are
fitted by Hunter's (2004) MM algorithm with a weak prior: every candidate gets one virtual tie against a
reference of average strength, so a candidate that won (or lost) every comparison still gets a finite
strength instead of running off to infinity. Strengths are reported on the log scale, centred at 0, and
as the probability of beating an average candidate. Intervals: percentile bootstrap over comparisons.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from evalcore.stats._core import StatsInputError, check_confidence

__all__ = ["BTRow", "bradley_terry"]


@dataclass(frozen=True)
class BTRow:
    """One candidate's Bradley-Terry strength."""

    candidate: str
    log_strength: float
    """log p_i, centred so the candidates average 0; a difference d means odds exp(d) of winning."""
    low: float | None
    high: float | None
    win_prob: float
    """Probability of beating a candidate of average strength (log strength 0)."""
    wins: float
    losses: float
    ties: int
    comparisons: int
    rank: int = 0
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fit(names: int, a: np.ndarray, b: np.ndarray, score_a: np.ndarray, iters: int = 500) -> np.ndarray:
    """MM iterations on wins w_i and pair counts n_ij, with one virtual tie per candidate against p=1."""
    wins = np.bincount(a, weights=score_a, minlength=names) + np.bincount(b, weights=1 - score_a, minlength=names)
    wins = wins + 0.5  # the prior's virtual tie
    p = np.ones(names)
    for _ in range(iters):
        inv = 1.0 / (p[a] + p[b])
        denom = np.bincount(a, weights=inv, minlength=names) + np.bincount(b, weights=inv, minlength=names)
        denom = denom + 1.0 / (p + 1.0)  # the virtual comparison against the reference (p = 1)
        new = wins / denom
        new = new / np.exp(np.mean(np.log(new)))
        if np.max(np.abs(np.log(new) - np.log(p))) < 1e-9:
            p = new
            break
        p = new
    logp = np.log(p)
    return logp - logp.mean()


def _comparison(i: int, c: object) -> tuple[str, str, int]:
    """One (a, b, outcome), checked: names are strings (1 and '1' were merged by str()), the outcome exactly 0, 1
    or 2 (int() read 1.7, '1' and True as 1)."""
    if not isinstance(c, (tuple, list)) or len(c) != 3:
        raise StatsInputError(f"comparisons[{i}] is {c!r}: each must be (a, b, outcome).")
    x, y, o = c
    for side, v in (("a", x), ("b", y)):
        if not isinstance(v, str) or not v:
            raise StatsInputError(f"comparisons[{i}] names {side} as {v!r}: candidates are named by strings.")
    if isinstance(o, (bool, np.bool_)) or not isinstance(o, (int, np.integer)) or o not in (0, 1, 2):
        raise StatsInputError(f"comparisons[{i}] has outcome {o!r}: it must be 1 (first better), 2 (second "
                              "better) or 0 (tie).")
    return x, y, int(o)


def bradley_terry(
    comparisons: Sequence[tuple[str, str, int]],
    *,
    seed: int = 0,
    n_boot: int = 500,
    confidence: float = 0.95,
) -> list[BTRow]:
    """Rank candidates from (a, b, outcome) with outcome 1 = a better, 2 = b better, 0 = tie.

    Returns rows best first. A candidate's rank is 1 + the number of candidates whose interval lies
    wholly above its own (a cautious reading: overlapping intervals share a rank). With no comparisons
    the result is empty; with fewer than 2 comparisons (or n_boot=0) the intervals are None. Malformed input
    (a name that is not a string, an outcome other than 0/1/2, a confidence outside (0, 1)) is a
    `StatsInputError`.
    """
    check_confidence(confidence)
    for name, v in (("n_boot", n_boot), ("seed", seed)):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or v < 0:
            raise StatsInputError(f"{name} must be a whole number >= 0, got {v!r}.")
    if isinstance(comparisons, (str, bytes, Mapping, set, frozenset)):  # a set's order (hash order) moved the CI
        raise StatsInputError(f"comparisons must be a list of (a, b, outcome), got a {type(comparisons).__name__}.",
                              hint="Pass a list, in a fixed order: the bootstrap resamples by position.")
    rows = [_comparison(i, c) for i, c in enumerate(comparisons)]
    rows = [(x, y, o) for x, y, o in rows if x != y]
    if not rows:
        return []
    names = sorted({x for x, _, _ in rows} | {y for _, y, _ in rows})
    index = {n: i for i, n in enumerate(names)}
    a = np.array([index[x] for x, _, _ in rows])
    b = np.array([index[y] for _, y, _ in rows])
    out = np.array([o for _, _, o in rows])
    score_a = np.where(out == 1, 1.0, np.where(out == 2, 0.0, 0.5))
    est = _fit(len(names), a, b, score_a)
    low = high = None
    if len(rows) >= 2 and n_boot > 0:
        rng = np.random.default_rng(seed)
        boots = np.empty((n_boot, len(names)))
        for k in range(n_boot):
            idx = rng.integers(0, len(rows), len(rows))
            boots[k] = _fit(len(names), a[idx], b[idx], score_a[idx], iters=200)
        q = (1 - confidence) / 2
        low, high = np.quantile(boots, q, axis=0), np.quantile(boots, 1 - q, axis=0)
    wins = np.bincount(a, weights=(out == 1), minlength=len(names)) + np.bincount(b, weights=(out == 2),
                                                                                 minlength=len(names))
    losses = np.bincount(a, weights=(out == 2), minlength=len(names)) + np.bincount(b, weights=(out == 1),
                                                                                   minlength=len(names))
    ties = np.bincount(a, weights=(out == 0), minlength=len(names)) + np.bincount(b, weights=(out == 0),
                                                                                 minlength=len(names))
    n = np.bincount(a, minlength=len(names)) + np.bincount(b, minlength=len(names))
    result = []
    for i, name in enumerate(names):
        above = 0 if low is None else int(np.sum(low > high[i]))
        note = "fewer than 10 comparisons: the interval is rough" if n[i] < 10 else ""
        result.append(BTRow(
            candidate=name, log_strength=float(est[i]),
            low=None if low is None else float(low[i]), high=None if high is None else float(high[i]),
            win_prob=float(1 / (1 + np.exp(-est[i]))), wins=float(wins[i]), losses=float(losses[i]),
            ties=int(ties[i]), comparisons=int(n[i]), rank=1 + above, note=note,
        ))
    return sorted(result, key=lambda r: (-r.log_strength, r.candidate))
