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
* **Rare large differences against frequent small ones make the t interval miss on one side.** (One candidate
  loses partial credit anywhere in (0, 1) on 5% of examples, the other loses a few hundredths on 10%.) A sample
  showing few of the rare large ones has a mean too far to one side and a standard deviation too small, and the
  symmetric t interval missed on that side in up to 10.9% of samples (nominal 2.5%), which made the
  non-inferiority test behind the recommendation anti-conservative. So the end on the long-tail side is moved out
  to the Cornish-Fisher quantile of the studentized mean, q + |g| (2 q^2 + 1) / (6 sqrt(n)) (`skew_ends`), and the
  tests use the same quantile (`_skew_p`); the other end stays the t end, since the sample skewness is noisy and
  moves with the chance outlier that moves the mean (Hall's correction used both ways raised false positives on
  equal candidates to 6.5-8.5%). No end is ever inside the t interval's and no test rejects where the t test
  would not. The skewness g counts the rarer sign as often as its count plausibly allows
  (`sign_plausible_skewness`): the samples that miss drew few of the rare large differences, and their sizes
  show while their count is what chance moved. For pass/fail (one size) g is 0 and nothing changes.
  Not enough: the studentized mean of the 95%/90% shape above has its 97.5% point at 1.93 times t's on 100
  examples, the expansion with the true skewness (-5.2) gives 1.39, and this one misses 5.4% on that side
  (t: 10.9%). Hall's (1992) cubic transformation reaches 3.5% but only by running past where its expansion holds
  (at |g| near 0.55 sqrt(n) it moves an end 3 to 4 times as far as t's), which put a candidate that lost 26 of 28
  disagreements at up to +0.17 over the leader on the demo. And samples that show none of the rare large
  differences cannot be helped by any use of the sample (README, "Skewed differences").
* **Pass/fail differences get Tango's score interval.** When every difference is 0 or the whole range, the
  differences are wins and losses, and Wald's t on their sample variance is anti-conservative where they are
  rare: a sample that drew few of the losses also has a small variance. Tango's (1998) score statistic takes the
  variance at the loss rate the null expects (`tango_z`); its interval (`tango_ends`) replaces the t ends and its
  one-sided test is the non-inferiority test (`one_sided_p`), so a pass lost on 2% of 400 examples is shown to
  lose at most 0.02 in 1.4% of samples, not 8.5%. p at 0 is also at least its two-sided p (McNemar's).
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
    check_aligned,
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


def sign_plausible_skewness(d: np.ndarray, sd: np.ndarray, span: float, confidence: float) -> np.ndarray:
    """Skewness of the differences, per row of d, in units of `sd` (the floored standard deviation), with the rarer
    sign counted as often as its count plausibly allows.

    The third central moment of the sample reweighted so that the sign with fewer non-zero differences carries the
    share of them at its Clopper-Pearson upper bound (one-sided, at the interval's level (1 - confidence) / 2), at
    most half; the other sign gives that share up and ties keep weight 1. The samples whose t interval misses are
    those that drew few of the rare large differences (module docstring); their sizes show, their count is what
    chance moved. One large loss among 8 disagreements counts as 4 of them (half: its upper bound is 4.2); 2 wins
    among 28 as 6.6, not as half (which would make a candidate that lost 26 of 28 disagreements look as if it
    could win as often). Equal sizes on both sides score about 0 where the counts are alike. 0 where sd is 0.
    """
    tol = TIE_TOL * span
    k_pos, k_neg = (d > tol).sum(axis=1), (d < -tol).sum(axis=1)
    k = k_pos + k_neg
    rare = np.minimum(k_pos, k_neg)
    with np.errstate(divide="ignore", invalid="ignore"):
        upper = np.where(rare < k, special.betaincinv(rare + 1, np.maximum(k - rare, 1), 0.5 + confidence / 2), 1.0)
    share = np.minimum(upper * k, k / 2)  # the rare sign's plausible count
    rare_pos = k_pos < k_neg
    n_pos = np.where(rare_pos, share, k - share)
    w_pos, w_neg = n_pos / np.maximum(k_pos, 1), (k - n_pos) / np.maximum(k_neg, 1)
    total = (d.shape[1] - k) + w_pos * k_pos + w_neg * k_neg
    # sums of d^j over each sign without a masked copy: sum over d > 0 of d^j = (sum d^j + sum sign(d) d^j) / 2
    absd = np.abs(d)
    sums = (d.sum(axis=1), np.einsum("ij,ij->i", d, d), np.einsum("ij,ij,ij->i", d, d, d))
    signed = (absd.sum(axis=1), np.einsum("ij,ij->i", d, absd), np.einsum("ij,ij,ij->i", absd, d, d))
    m1, m2, m3 = ((w_pos * (a + b) + w_neg * (a - b)) / 2 / total for a, b in zip(sums, signed, strict=True))
    central3 = m3 - 3 * m1 * m2 + 2 * m1**3
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sd > 0, central3 / np.where(sd > 0, sd, 1.0) ** 3, 0.0)


def row_skewness(d: np.ndarray, var: np.ndarray, same_size: np.ndarray, span: float, confidence: float) -> np.ndarray:
    """The skewness the ends use: `sign_plausible_skewness` on the floored variance; 0 where every non-zero
    difference has the same size (pass/fail: the sign test's rows keep the t interval exactly)."""
    return np.where(same_size, 0.0, sign_plausible_skewness(d, np.sqrt(var), span, confidence))


def _long_tail_shift(g: np.ndarray, n: int) -> np.ndarray:
    """c in the Cornish-Fisher quantile of the studentized mean on the long-tail side, q + c (2 q^2 + 1):
    c = |g| / (6 sqrt(n)) (the n^-1/2 term of its Edgeworth expansion; Johnson 1978, Hall 1992 ch. 2)."""
    return np.abs(g) / (6 * np.sqrt(n))


def _long_tail_quantile(t0: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The q whose long-tail quantile q + c (2 q^2 + 1) is t0 (the root of 2 c q^2 + q + c - t0 = 0 that is t0 at
    c = 0): so one-sided p = P(t > q) agrees with the end at every level."""
    with np.errstate(divide="ignore", invalid="ignore"):
        root = (np.sqrt(np.maximum(1 + 8 * c * (t0 - c), 0.0)) - 1) / (4 * np.where(c > 0, c, 1.0))
    return np.where(c > 0, root, t0)


def skew_ends(est: np.ndarray, se: np.ndarray, g: np.ndarray, n: int, q: float) -> tuple[np.ndarray, np.ndarray]:
    """The t interval est -/+ q se with the end on the long-tail side (below for g < 0) at the Cornish-Fisher
    quantile q + c (2 q^2 + 1), which is never inside it; the other end stays the t end."""
    out = q + _long_tail_shift(g, n) * (2 * q * q + 1)
    return est - se * np.where(g < 0, out, q), est + se * np.where(g > 0, out, q)


def _skew_p(est: np.ndarray, se: np.ndarray, g: np.ndarray, n: int, shift: np.ndarray | float,
            two_sided: bool) -> np.ndarray:
    """p of the t test of mean = shift (two-sided) or mean <= shift (one-sided), with the long-tail quantile where
    `shift` lies on the long-tail side of the estimate: p < alpha exactly when `skew_ends` at 1 - alpha exclude it."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t0 = (est - shift) / np.where(se > 0, se, 1.0)
    long_side = (g < 0) & (t0 > 0) | (g > 0) & (t0 < 0) if two_sided else g < 0
    stat = np.abs(t0) if two_sided else t0
    stat = np.where(long_side, np.minimum(stat, _long_tail_quantile(stat, _long_tail_shift(g, n))), stat)
    return (2 if two_sided else 1) * special.stdtr(n - 1, -stat)


def tango_z(wins: np.ndarray, losses: np.ndarray, n: int, theta0: np.ndarray | float) -> np.ndarray:
    """Tango's (1998) score statistic for H0: P(win) - P(loss) = theta0, from the wins and losses of n pairs.

    The variance is the trinomial's at the restricted maximum-likelihood P(loss) under H0, not at the sample's
    shares: with 4 losses of 400 and theta0 = -0.02 the sample's variance (that of 4 losses) puts the mean 2.0
    standard errors above -0.02, the restricted one (that of the 8 losses H0 expects) 1.43. Decreasing in theta0;
    +inf or -inf where the variance under H0 is 0 and the count differs from n theta0.
    """
    th = np.clip(np.asarray(theta0, dtype=float), -1.0, 1.0)
    wins, losses = np.asarray(wins, dtype=float), np.asarray(losses, dtype=float)
    a = 2.0 * n
    b = -wins - losses + (2.0 * n - wins + losses) * th
    c = -losses * th * (1 - th)
    q = (np.sqrt(np.maximum(b * b - 4 * a * c, 0.0)) - b) / (2 * a)  # restricted P(loss)
    var = n * (2 * q + th * (1 - th))
    num = wins - losses - n * th
    with np.errstate(divide="ignore", invalid="ignore"):
        z = num / np.sqrt(np.where(var > 0, var, 1.0))
    return np.where(var > 1e-12 * n, z, np.where(num > 0, np.inf, np.where(num < 0, -np.inf, 0.0)))


def tango_ends(wins: np.ndarray, losses: np.ndarray, n: int, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Tango's score interval for P(win) - P(loss), by bisection on `tango_z` (the theta0 it stops rejecting at
    (1 - confidence) / 2 each side): its one-sided tests are what `one_sided_p` adds for same-size differences."""
    zq = float(special.ndtri(0.5 + confidence / 2))
    est = (np.asarray(wins, dtype=float) - losses) / n
    ends = []
    for sign in (1.0, -1.0):  # lower end: where z falls to zq; upper: where it falls to -zq
        inner, outer = est.copy(), np.full_like(est, -sign)
        for _ in range(60):
            mid = (inner + outer) / 2
            rejected = sign * tango_z(wins, losses, n, mid) > zq
            outer, inner = np.where(rejected, mid, outer), np.where(rejected, inner, mid)
        ends.append(outer)  # the last theta0 still rejected: the interval never narrower than the test
    return ends[0], ends[1]


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
    g = row_skewness(d, var, same_size, span, confidence)
    p = _skew_p(est, se, g, n, 0.0, two_sided=True)  # the t test's p where 0 lies on the short side
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
    low, high = skew_ends(est, se, g, n, q)
    scored = _pass_fail_rows(d, span) & ~const
    if scored.any():  # pass/fail: Tango's score interval, not Wald's (`_same_size_p`), and its p at 0 counts
        size = _common_size(d[scored], tol)
        tl, th = tango_ends(wins[scored], losses[scored], n, confidence)
        low, high, p = low.copy(), high.copy(), p.copy()
        low[scored], high[scored] = tl * size, th * size
        p[scored] = np.maximum(p[scored], 2 * special.ndtr(-np.abs(tango_z(wins[scored], losses[scored], n, 0.0))))
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

    With `shift` = -margin this is the non-inferiority test ("A loses at most `margin` to B"): the t test on the
    floored variance of `paired_rows`, with the Cornish-Fisher quantile when the lower tail is the long one
    (module docstring), so p < (1 - confidence) / 2 exactly when the lower end of `skew_ends` is above `shift`
    (never less than the t test's p); identical differences use the rule-of-three bound.
    """
    rows, n = d.shape
    tol = TIE_TOL * span
    shift = np.broadcast_to(np.asarray(shift, dtype=float), (rows,))
    est = d.mean(axis=1)
    var, _, same_size = floored_variance(d, span, confidence)
    se = np.sqrt(var / n)
    g = row_skewness(d, var, same_size, span, confidence)
    const = np.ptp(d, axis=1) <= tol
    p = _skew_p(est, se, g, n, shift, two_sided=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        # identical differences c: the smallest alpha whose lower bound (`constant_difference_rows`) is above
        # `shift`: c - u (span + c) for c <= 0, c (1 - u) for c > 0 (the sign test alone when shift < 0)
        r = np.where(est > 0, 1 - shift / np.where(est > 0, est, 1.0), (est - shift) / (est + span))
        r = np.where(est > shift, np.clip(r, 0.0, 1.0), 0.0)
        zc = np.sqrt(n * r / np.where(r < 1, 1 - r, 1e-300))
    pc = np.where(est > shift, special.ndtr(-zc), 1.0)
    pc = np.where((est > tol) & (shift < 0), 0.5**n, pc)
    p = np.where(const | (se <= 0), pc, p)
    scored = _pass_fail_rows(d, span) & ~const
    if scored.any():
        p = p.copy()
        p[scored] = _same_size_p(d[scored], shift[scored], tol)
    return np.clip(p, 0.0, 1.0)


def _pass_fail_rows(d: np.ndarray, span: float) -> np.ndarray:
    """Rows whose differences are all 0 or the whole range either way (pass/fail scores), with at least one not 0.
    Only there are the differences counts of wins and losses, what Tango's test models; a single disagreement of
    partial credit is "one size" too, but its interval keeps the t end on the rule-of-three floor, which allows
    for the unseen ones being larger (Tango's there under-covered A's partial credit against B's near misses)."""
    tol = TIE_TOL * span
    absd = np.abs(d)
    return ((absd <= tol) | (np.abs(absd - span) <= tol)).all(axis=1) & (absd > tol).any(axis=1)


def _common_size(d: np.ndarray, tol: float) -> np.ndarray:
    """The one size of each row's non-zero differences (rows where every non-zero difference has the same size)."""
    return np.where(np.abs(d) > tol, np.abs(d), 0.0).max(axis=1)


def _same_size_p(d: np.ndarray, shift: np.ndarray, tol: float) -> np.ndarray:
    """One-sided p for mean(d) <= shift where every non-zero difference has one size s (pass/fail): Tango's score
    test on the wins and losses at theta0 = shift / s. The t test on the sample's variance is Wald's there, which
    is anti-conservative where the differences are rare (a sample that drew few of them also has a small
    variance): a candidate that loses a pass on 2% of 400 examples more than the other was shown to lose at most
    0.02 in 8.5% of samples (nominal 2.5%), since a sample with 4 losses of the 8 expected has the variance of 4.
    Used on both sides, whichever sign the sample shows more of: the samples that mislead are those that drew few
    of the commoner sign in truth (0/1 at 0.95 vs 0.97 on 200 examples: 5.1% with Tango only where losses
    outnumber wins in the sample)."""
    n = d.shape[1]
    size = _common_size(d, tol)
    wins, losses = (d > tol).sum(axis=1), (d < -tol).sum(axis=1)
    return special.ndtr(-tango_z(wins, losses, n, shift / size))


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
    None, strings and lengths that differ raise `StatsInputError`, and so do two pandas Series with different
    indexes: values are paired by position, never aligned by index (align them first, or pass .to_numpy()).
    """
    del seed
    check_confidence(confidence)
    check_alpha(alpha)
    _check_method(method)
    lo, hi = check_bounds(bounds)
    check_aligned(a, b)
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
    check_aligned(a_pass, b_pass, ("a_pass", "b_pass"))
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
    """Holm step-down adjusted p-values (same order as given): monotone in the raw p, capped at 1. True/False
    are refused (they are not p-values)."""
    p = numbers_array(p_values, "p_values", bools=False)
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


