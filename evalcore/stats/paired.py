"""Paired comparisons of two candidates on the examples both ran: the difference, its interval and exact tests.

Pairing removes the example-difficulty variance both candidates share, which is most of the noise.

* **The p-value is exact where the t test is not trustworthy.** When every non-zero difference has the same
  size (pass/fail scores, or one candidate ahead by the same amount everywhere) the sign-flip permutation test
  is the exact sign test: McNemar for pass/fail, and 2 / 2^50 for 50 wins and 0 losses (the old rule-of-three
  p of 0.025 called that "not significant"). With at most `EXACT_MAX` non-zero differences the permutation
  distribution is enumerated. Otherwise the paired t test, which the audit found holds its error rate.
* **Few disagreements say little about how often candidates disagree.** The variance used for the interval is
  at least the rule-of-three variance u(1-u)(hi-lo)^2 (u about 3.8/n) scaled by the share of tied examples and
  divided by 2 (m - 1), m the examples that differ (by (m - 1) for pass/fail, see `variance_floor`): with 0 or 1
  disagreement the interval is as wide as for identical candidates, and the floor fades as disagreements
  accumulate (it is 0 when no example ties).
* **The interval agrees with the test.** Where an exact test is used, p is the larger of the exact p and the t
  test's on the floored variance, and when that does not reject the interval is widened to include 0: so
  "significant" and "the interval excludes 0" never contradict each other.
* BCa bootstrap p-values were removed: they lost error control near the ceiling (14.9% false positives).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
from scipy import special

from evalcore.stats._core import (
    TIE_TOL,
    StatsInputError,
    ToDict,
    bools_array,
    check_alpha,
    check_bounds,
    check_confidence,
    in_bounds,
    numbers_array,
    rule_of_three_share,
    t_quantile,
)
from evalcore.stats.intervals import Interval

PairMethod = Literal["t"]
EXACT_MAX = 12  # enumerate 2^m sign patterns up to this many non-zero differences


@dataclass(frozen=True)
class PairedResult(ToDict):
    """Candidate A minus candidate B on the examples both were run on. `test` names how p was computed."""

    diff: Interval
    p_value: float | None
    n: int
    wins: int
    losses: int
    ties: int
    significant: bool
    alpha: float = 0.05
    test: str = ""


@dataclass(frozen=True)
class McNemarResult(ToDict):
    """Exact McNemar test. `b`: A passed and B failed; `c`: A failed and B passed."""

    b: int
    c: int
    n: int
    p_value: float
    note: str = ""


@dataclass(frozen=True)
class PairedRows:
    """Vectorised paired results, one entry per row of differences."""

    est: np.ndarray
    se: np.ndarray  # with the sparse-disagreement floor
    low: np.ndarray
    high: np.ndarray
    p: np.ndarray  # two-sided
    test: np.ndarray  # 0 = paired t, 1 = exact sign test, 2 = exact permutation
    const: np.ndarray
    wins: np.ndarray
    losses: np.ndarray


TEST_NAMES = ("paired t test", "exact sign test", "exact permutation test")


def sign_test_p(wins: np.ndarray, losses: np.ndarray) -> np.ndarray:
    """Exact two-sided binomial p for wins vs losses (ties dropped); 1.0 when there are none."""
    wins, losses = np.asarray(wins), np.asarray(losses)
    m = wins + losses
    p = 2 * special.bdtr(np.minimum(wins, losses), np.maximum(m, 1), 0.5)
    return np.where(m > 0, np.minimum(p, 1.0), 1.0)


@lru_cache(maxsize=EXACT_MAX + 1)
def _signs(m: int) -> np.ndarray:
    s = np.array(list(itertools.product((1.0, -1.0), repeat=m)), dtype=float).reshape(-1, m)
    s.setflags(write=False)
    return s


def _permutation_p(absd: np.ndarray, total: np.ndarray, tol: float) -> np.ndarray:
    """Exact two-sided sign-flip p for rows of |non-zero differences| (rows, m) with observed sums `total`."""
    sums = absd @ _signs(absd.shape[1]).T
    return (np.abs(sums) >= np.abs(total)[:, None] - tol).mean(axis=1)


def constant_difference_rows(c: np.ndarray, n: int, span: float, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Interval for n identical differences c (never a point).

    c = 0: the rule-of-three bound [-u span, u span] (u about 3.8/n): up to a share u of the task could differ
    either way. c != 0: the exact sign test rules out a change of sign (p = 2^(1-n)), so the share u that may not
    show the difference is bounded by a tie on the side of 0 and by the bound on the far side:
    [c (1 - u), c + u (span - c)] for c > 0, mirrored for c < 0. So one candidate ahead by the same amount on every
    example is significant with an interval that agrees (the old rule-of-three bound let a constant 0.05 gap
    straddle 0 while its sign test said p = 2e-15).
    """
    u = rule_of_three_share(n, confidence)
    mag = np.abs(c)
    near, far = mag * (1 - u), mag + u * (span - mag)
    low = np.where(c > 0, near, np.where(c < 0, -far, -u * span))
    high = np.where(c > 0, far, np.where(c < 0, -near, u * span))
    return low, high


FLOOR_FADE = 2.0  # how fast the floor fades with the disagreements seen, for differences of varying size


def variance_floor(n: int, m: np.ndarray, span: float, confidence: float,
                   fade: np.ndarray | float = FLOOR_FADE) -> np.ndarray:
    """The least variance of differences to trust when only m of n examples differ (module docstring).

    u(1-u) span^2 (share tied) / max(1, fade (m - 1)): with 0 or 1 disagreement the variance of identical
    candidates, fading as disagreements accumulate. Where every difference has the same size (pass/fail), the
    differences are counts of wins and losses and the t interval on them is Wald's, which runs narrow with few
    disagreements: there the floor fades at the slower rate 1 (`floored_variance`). Both rates were chosen by the
    validation simulations (tests/evalcore/test_stats_validation.py): fade 1 everywhere over-covers differences of
    scores (97-99% at 50 examples), fade 2 on pass/fail under-covers (92.9% at p = 0.9 vs 0.8, n = 50).
    The scale is the whole range, not the differences or scores seen: a few small disagreements do not show that
    the unseen ones are small, and floors scaled to what was seen under-cover held-out look-alikes (91.5% and
    86.2%) while bringing near misses 95% vs 90% on 50 examples from 99.8% to 95.0% (README's **).
    """
    u = float(rule_of_three_share(n, confidence))
    ties = 1.0 - m / n
    return u * (1 - u) * span**2 * ties / np.maximum(1.0, fade * (m - 1))


def floored_variance(d: np.ndarray, span: float, confidence: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(variance with the floor, non-zero count m, every-non-zero-difference-the-same-size?) per row of d."""
    n = d.shape[1]
    tol = TIE_TOL * span
    absd = np.abs(d)
    nz = absd > tol
    m = nz.sum(axis=1)
    big = np.where(nz, absd, -np.inf).max(axis=1)
    small = np.where(nz, absd, np.inf).min(axis=1)
    same_size = (m == 0) | (big - small <= 1e-9 * span)
    fade = np.where(same_size, 1.0, FLOOR_FADE)
    var = np.maximum(d.var(axis=1, ddof=1), variance_floor(n, m, span, confidence, fade))
    return var, m, same_size


def paired_rows(d: np.ndarray, span: float, confidence: float = 0.95) -> PairedRows:
    """Paired interval and two-sided p for each row of differences d (rows, n >= 2) in [-span, span]."""
    rows, n = d.shape
    tol = TIE_TOL * span
    est = d.mean(axis=1)
    nz = np.abs(d) > tol
    wins, losses = (d > tol).sum(axis=1), (d < -tol).sum(axis=1)
    const = np.ptp(d, axis=1) <= tol
    var, m, same_size = floored_variance(d, span, confidence)
    se = np.sqrt(var / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2 * special.stdtr(n - 1, -np.abs(est) / np.where(se > 0, se, 1.0))
    p = np.where(se > 0, p, np.where(np.abs(est) > tol, 0.0, 1.0))
    p_t = p.copy()
    test = np.zeros(rows, dtype=int)
    absd = np.abs(d)
    p = np.where(same_size, sign_test_p(wins, losses), p)
    test[same_size] = 1
    exact = ~same_size & (m <= EXACT_MAX)
    for k in np.unique(m[exact]):
        idx = np.flatnonzero(exact & (m == k))
        vals = np.sort(np.where(nz[idx], absd[idx], 0.0), axis=1)[:, -k:]
        p[idx] = _permutation_p(vals, d[idx].sum(axis=1), tol * n)
        test[idx] = 2
    # An exact test is reported only as far as the interval agrees: p = max(exact, t on the floored variance),
    # so p < alpha exactly when the interval excludes 0 (identical differences keep the exact p).
    p = np.where((test > 0) & ~const, np.maximum(p, p_t), p)
    q = t_quantile(confidence, n - 1)
    low, high = est - q * se, est + q * se
    if const.any():
        cl, ch = constant_difference_rows(est[const], n, span, confidence)
        low, high = low.copy(), high.copy()
        low[const], high[const] = cl, ch
    # The interval agrees with the test: widen to include 0 where the test does not reject.
    keep = p >= 1 - confidence
    low = np.where(keep, np.minimum(low, 0.0), low)
    high = np.where(keep, np.maximum(high, 0.0), high)
    low = np.minimum(np.clip(low, -span, span), est)
    high = np.maximum(np.clip(high, -span, span), est)
    return PairedRows(est, se, low, high, np.clip(p, 0.0, 1.0), test, const, wins, losses)


def one_sided_p(d: np.ndarray, shift: np.ndarray | float, span: float, confidence: float = 0.95) -> np.ndarray:
    """p for H0: mean(d) <= shift against mean(d) > shift, per row of d (rows, n >= 2).

    With `shift` = -margin this is the non-inferiority test ("A loses at most `margin` to B"). Uses the t
    statistic on the floored variance of `paired_rows`; identical differences use the rule-of-three bound.
    """
    rows, n = d.shape
    tol = TIE_TOL * span
    shift = np.broadcast_to(np.asarray(shift, dtype=float), (rows,))
    est = d.mean(axis=1)
    var, _, _ = floored_variance(d, span, confidence)
    se = np.sqrt(var / n)
    const = np.ptp(d, axis=1) <= tol
    with np.errstate(divide="ignore", invalid="ignore"):
        p = special.stdtr(n - 1, -(est - shift) / np.where(se > 0, se, 1.0))
        # identical differences c: the smallest alpha whose lower bound (`constant_difference_rows`) is above
        # `shift`: c - u (span + c) for c <= 0, c (1 - u) for c > 0 (the sign test alone when shift < 0)
        r = np.where(est > 0, 1 - shift / np.where(est > 0, est, 1.0), (est - shift) / (est + span))
        r = np.where(est > shift, np.clip(r, 0.0, 1.0), 0.0)
        zc = np.sqrt(n * r / np.where(r < 1, 1 - r, 1e-300))
    pc = np.where(est > shift, special.ndtr(-zc), 1.0)
    pc = np.where((est > tol) & (shift < 0), 0.5**n, pc)
    p = np.where(const | (se <= 0), pc, p)
    return np.clip(p, 0.0, 1.0)


def _check_method(method: str) -> None:
    if method == "bca":
        raise StatsInputError(
            "method='bca' was removed: its p-values lost error control near the ceiling (14.9% false positives).",
            hint="Use the default method='t' (exact sign/permutation tests where the t test is not trustworthy).",
        )
    if method != "t":
        raise StatsInputError(f"unknown method {method!r}.", hint="Use method='t'.")


def paired_difference(
    a: Iterable[float] | np.ndarray,
    b: Iterable[float] | np.ndarray,
    *,
    seed: int = 0,
    confidence: float = 0.95,
    bounds: tuple[float, float] = (0.0, 1.0),
    alpha: float = 0.05,
    method: PairMethod = "t",
) -> PairedResult:
    """Mean of a - b over examples, where a and b are per-example means aligned on the same examples.

    Interval: t on the differences with the sparse-disagreement variance floor, widened to agree with the test.
    p: exact sign test when every non-zero difference has the same size, exact permutation test with few
    differences, paired t otherwise (module docstring). `seed` is accepted for a stable signature; nothing is
    random. Degenerate: no examples gives None and p None; one example gives the whole range and p 1. NaN,
    None, strings and lengths that differ raise `StatsInputError`.
    """
    del seed
    check_confidence(confidence)
    check_alpha(alpha)
    _check_method(method)
    lo, hi = check_bounds(bounds)
    xa = in_bounds(numbers_array(a, "a"), lo, hi)
    xb = in_bounds(numbers_array(b, "b"), lo, hi)
    if xa.shape != xb.shape:
        raise StatsInputError(
            f"a and b differ in length ({xa.size} vs {xb.size}).",
            hint="Pass per-example means for the same examples in the same order.",
        )
    d = xa - xb
    span = hi - lo
    n = int(d.size)
    wins, losses = int((d > TIE_TOL * span).sum()), int((d < -TIE_TOL * span).sum())
    if n == 0:
        return PairedResult(Interval(None, None, None, 0, "paired", "no common examples"), None, 0, 0, 0, 0,
                            False, alpha, "")
    if n == 1:
        iv = Interval(float(d[0]), -span, span, 1, "paired", "one common example: no estimate of spread")
        return PairedResult(iv, 1.0, 1, wins, losses, 1 - wins - losses, False, alpha, "")
    r = paired_rows(d[None, :], span, confidence)
    note = "identical differences on every example: exact sign test, rule-of-three share" if r.const[0] else ""
    iv = Interval(float(r.est[0]), float(r.low[0]), float(r.high[0]), n, "paired", note)
    p = float(r.p[0])
    return PairedResult(iv, p, n, wins, losses, n - wins - losses, p < alpha, alpha, TEST_NAMES[int(r.test[0])])


def mcnemar_exact(a_pass: Iterable[bool] | np.ndarray, b_pass: Iterable[bool] | np.ndarray) -> McNemarResult:
    """Exact McNemar test for paired pass/fail: only examples where exactly one candidate passed count.

    b = A passed and B failed, c = A failed and B passed; p is the exact two-sided binomial test of b out of
    b + c at 1/2. No discordant pairs gives p = 1.0. Values must be True/False or 1/0 (NaN and 'False' are
    refused, not counted as passes).
    """
    xa = bools_array(a_pass, "a_pass")
    xb = bools_array(b_pass, "b_pass")
    if xa.shape != xb.shape:
        raise StatsInputError(
            f"a_pass and b_pass differ in length ({xa.size} vs {xb.size}).",
            hint="Pass one pass/fail per example for the same examples in the same order.",
        )
    b, c = int((xa & ~xb).sum()), int((~xa & xb).sum())
    p = float(sign_test_p(np.array(b), np.array(c)))
    return McNemarResult(b, c, int(xa.size), p, "" if b + c else "no discordant pairs")


def holm(p_values: Iterable[float]) -> list[float]:
    """Holm step-down adjusted p-values (same order as given): monotone in the raw p, capped at 1."""
    p = numbers_array(p_values, "p_values")
    if p.size == 0:
        return []
    if (p < 0).any() or (p > 1).any():
        raise StatsInputError("p-values must be numbers between 0 and 1.")
    m = p.size
    order = np.argsort(p, kind="stable")
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adjusted
    return [float(v) for v in out]


