"""Confidence intervals for one candidate: the mean of bounded scores, a pass rate, and both with repeats.

* **The example is the unit.** Repeats of one example are averaged first: three runs of 50 examples tell us
  about 50 draws from the task, not 150.
* **Score intervals, not t intervals.** Scores live in a range (0-1, 1-5) and their spread shrinks as the mean
  nears a bound; the interval here is Wilson's score interval at the sample's effective size, which equals the
  t interval away from the bounds and stays honest near them.
* **Near the bound, the effective n is capped by what the sample can show.** When most examples sit exactly at
  the bound (F1 = 1.0 on an easy task), the spread of the few that do not says little about how often and how
  far the task falls short. The effective n is therefore at most n * max(1, CAP_GROWTH (m - 1) / f), with m the
  examples off the bound and f the share at it: with zero or one example off the bound it is n, the binomial
  worst case, so one score off the bound can never buy a narrower interval than a perfect sample
  (`[1.0]*49 + [0.999]` is not narrower than 50 perfect scores); with no mass at the bound the cap is off. More
  near misses (25 scores of 0.999) do narrow it: they are evidence that the misses are small, which a perfect
  sample is not. CAP_GROWTH = 2 was chosen by the validation simulations over every score shape: 1 over-covers
  near misses (97-99% at 20-50 examples), 3 or more under-covers them at 200 (92%), and no cap at all gives
  87-92% (the audit's finding); see tests/evalcore/test_stats_validation.py and the README's table.
* **No interval has zero width.** n identical scores give a rule-of-three style bound, never a point.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from evalcore.stats._core import (
    MAX_COUNT,
    StatsInputError,
    ToDict,
    bools_array,
    check_bounds,
    check_confidence,
    id_codes,
    in_bounds,
    join_notes,
    numbers_array,
    t_quantile,
    wilson_rows,
    z_quantile,
)

MeanMethod = Literal["score", "t"]

_METHOD_NOTE = {
    "score": "score interval for a bounded mean (Wilson at the effective n, t quantile)",
    "t": "t interval, clipped to the bounds",
}
_AT_BOUND = 1e-9  # a rescaled score this close to 0 or 1 counts as at the bound
CAP_SHIFT = 1  # (m - 1): with one example off the bound the effective n is n, the binomial worst case
CAP_GROWTH = 2.0  # how fast the cap grows with each further example off the bound (module docstring)


@dataclass(frozen=True)
class Interval(ToDict):
    """An estimate with a confidence interval. `None` means no data (n == 0), never a computed value.

    `method` names how the interval was computed; `note` says when a fallback was used and why.
    """

    estimate: float | None
    low: float | None
    high: float | None
    n: int
    method: str
    note: str = ""

    @property
    def width(self) -> float | None:
        return None if self.low is None or self.high is None else self.high - self.low


@dataclass(frozen=True)
class ClusteredInterval(Interval):
    """An interval over examples that may have several repeats each.

    `n` counts examples (the unit of the interval), `n_obs` counts individual runs. `within_sd` is the pooled
    standard deviation between repeats of the same example: how much a rerun moves one answer's score. None
    when no example has two repeats.
    """

    n_obs: int = 0
    repeats_per_example: float | None = None
    within_sd: float | None = None


def constant_rows(c: np.ndarray, n: int, lo: float, hi: float, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Interval for a sample whose n values all equal `c` (a "rule of three" style bound).

    Read each example as "scored c" or "did not". None of n did not; Wilson's upper bound for 0 of n,
    u = q^2 / (n + q^2) (about 4/n), bounds the share of the task that could score otherwise, and in the worst
    case those score at a bound. So the mean lies in [c - u (c - lo), c + u (hi - c)]. q is the t quantile the
    other samples' score interval uses (`mean_rows`), so at a bound this is exactly that interval for n of n: with
    z here, five perfect scores had a lower bound of 0.566 and 1, 1, 1, 1, 0.999 one of 0.393 (t at 4 df is 2.78,
    z 1.96), and five scores of 0.9 (0.509) looked safer than the near-perfect sample in `evalcore tags`.
    """
    q = t_quantile(confidence, n - 1)
    u = q * q / (n + q * q)
    return c - u * (c - lo), c + u * (hi - c)


def mean_rows(
    x: np.ndarray, lo: float, hi: float, confidence: float, method: MeanMethod = "score"
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(estimate, low, high, constant?) for each row of x (shape (rows, n), n >= 2, finite, in bounds).

    Vectorised over rows so the validation simulations run the shipped code path.
    """
    n = x.shape[1]
    span = hi - lo
    est = x.mean(axis=1)
    const = np.ptp(x, axis=1) <= 1e-12 * span
    q = t_quantile(confidence, n - 1)
    if method == "t":
        se = x.std(axis=1, ddof=1) / math.sqrt(n)
        low, high = est - q * se, est + q * se
    else:
        u = (x - lo) / span
        p = np.clip(u.mean(axis=1), 0.0, 1.0)
        v = u.var(axis=1, ddof=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            n_eff = n * p * (1 - p) / np.where(v > 0, v, 1.0)
        n_eff = np.where((v > 0) & np.isfinite(n_eff) & (n_eff > 0), n_eff, float(n))
        near = np.where(p >= 0.5, 1.0, 0.0)
        off = (np.abs(u - near[:, None]) > _AT_BOUND).sum(axis=1)
        at_share = 1.0 - off / n
        with np.errstate(divide="ignore", invalid="ignore"):
            cap = np.where(at_share > 0,
                           n * np.maximum(1.0, CAP_GROWTH * (off - CAP_SHIFT) / np.where(at_share > 0, at_share, 1.0)),
                           np.inf)
        n_eff = np.minimum(n_eff, cap)
        pl, ph = wilson_rows(p, n_eff, q)
        low, high = lo + span * pl, lo + span * ph
    if const.any():
        cl, ch = constant_rows(est[const], n, lo, hi, confidence)
        low, high = low.copy(), high.copy()
        low[const], high[const] = cl, ch
    low = np.minimum(np.clip(low, lo, hi), est)
    high = np.maximum(np.clip(high, lo, hi), est)
    return est, low, high, const


def clustered_wilson_rows(
    frac: np.ndarray, n_obs: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pass rate over examples from per-example pass fractions `frac` (rows, n): Wilson at effective n.

    The effective n is n * p(1-p) / v, v the (ddof=0) variance of the per-example fractions: the design-effect
    adjustment. With one repeat v = p(1-p) exactly, so this is Wilson on n examples. It is capped at the number
    of runs, and when p is 0 or 1 (no spread to measure) it falls back to n examples.
    """
    n = frac.shape[1]
    p = frac.mean(axis=1)
    v = frac.var(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.where(v > 0, n * p * (1 - p) / np.where(v > 0, v, 1.0), n_obs)
    at_bound = (p <= 0) | (p >= 1)
    n_eff = np.where(at_bound, float(n), np.clip(n_eff, 1.0, n_obs))
    low, high = wilson_rows(p, n_eff, z_quantile(confidence))
    return p, low, high


def _check_method(method: str) -> None:
    if method not in _METHOD_NOTE:
        raise StatsInputError(f"unknown method {method!r}.", hint="Use method='score' or method='t'.")


def mean_interval(
    values: Iterable[float] | np.ndarray,
    *,
    bounds: tuple[float, float] = (0.0, 1.0),
    confidence: float = 0.95,
    method: MeanMethod = "score",
) -> Interval:
    """Confidence interval for the mean of bounded scores (one value per example).

    `method="score"` (default): rescale to [0, 1] and use Wilson's score interval at the effective sample size
    n_eff = n * m(1 - m) / s^2 with a t quantile, n_eff capped near the bound as the module docstring explains.
    `method="t"`: the textbook t interval, clipped to the bounds.

    Degenerate inputs: n == 0 gives None/None/None ("no data"); n == 1 gives the whole bounds range; n >= 2
    identical values give the rule-of-three style interval, never zero width. NaN, None, strings and values
    outside `bounds` raise `StatsInputError` (drop missing values first and say how many).
    """
    check_confidence(confidence)
    lo, hi = check_bounds(bounds)
    _check_method(method)
    x = in_bounds(numbers_array(values, "values"), lo, hi)
    return mean_interval_clean(x, lo, hi, confidence, method)


def mean_interval_clean(
    x: np.ndarray, lo: float, hi: float, confidence: float, method: MeanMethod, note: str = ""
) -> Interval:
    n = int(x.size)
    if n == 0:
        return Interval(None, None, None, 0, method, join_notes("no data", note))
    if n == 1:
        return Interval(float(x[0]), lo, hi, 1, method, join_notes("one example: no estimate of spread", note))
    est, low, high, const = mean_rows(x[None, :], lo, hi, confidence, method)
    if const[0]:
        note = join_notes(f"all {n} values equal: interval is the rule-of-three style bound, not zero width", note)
    return Interval(float(est[0]), float(low[0]), float(high[0]), n, method, note)


def _count(v: Any, name: str) -> int:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer, float, np.floating)):
        raise StatsInputError(f"{name} must be a whole number, got {v!r}.")
    if isinstance(v, (float, np.floating)) and not (math.isfinite(v) and float(v).is_integer()):
        raise StatsInputError(f"{name} must be a whole number, got {v!r}.", hint="Count successes, not rates.")
    if abs(v) >= MAX_COUNT:  # 1e300 of 1e300 overflowed inside Wilson's formula; no float counts that exactly
        raise StatsInputError(f"{name} = {v!r} is too large to count exactly (the limit is 2**53).",
                              hint="Pass the numbers of examples and successes as counts.")
    return int(v)


def proportion_interval(successes: int, n: int, *, confidence: float = 0.95) -> Interval:
    """Wilson score interval for successes out of n independent trials.

    Wilson rather than the normal (Wald) interval because Wald collapses to zero width at 0 or n successes and
    undercovers near the ends, where pass rates of good models live. n == 0 gives None. Counts must be whole
    numbers (5.7 of 10 is refused, not read as 5).
    """
    check_confidence(confidence)
    successes, n = _count(successes, "successes"), _count(n, "n")
    if n < 0 or not (0 <= successes <= n):
        raise StatsInputError(f"need 0 <= successes <= n, got successes={successes}, n={n}.")
    if n == 0:
        return Interval(None, None, None, 0, "wilson", "no data")
    p = successes / n
    low, high = wilson_rows(np.array([p]), np.array([float(n)]), z_quantile(confidence))
    return Interval(p, float(low[0]), float(high[0]), n, "wilson")


def cluster_sums(x: np.ndarray, codes: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Per-cluster means and counts, plus the pooled within-cluster sum of squares and its df."""
    counts = np.bincount(codes, minlength=k)
    means = np.bincount(codes, weights=x, minlength=k) / np.maximum(counts, 1)
    wss = float(np.bincount(codes, weights=np.square(x - means[codes]), minlength=k).sum())
    wdf = int((counts - 1).clip(min=0).sum())
    return means[counts > 0], counts[counts > 0], wss, wdf


def within_sd(wss: float, wdf: int) -> float | None:
    return math.sqrt(max(wss, 0.0) / wdf) if wdf > 0 else None


def clustered_from_means(
    means: np.ndarray, counts: np.ndarray, wss: float, wdf: int, lo: float, hi: float, confidence: float,
    method: MeanMethod, note: str = "",
) -> ClusteredInterval:
    base = mean_interval_clean(np.clip(means, lo, hi), lo, hi, confidence, method, note)
    n_obs = int(counts.sum())
    return ClusteredInterval(
        **asdict(base),
        n_obs=n_obs,
        repeats_per_example=(n_obs / means.size) if means.size else None,
        within_sd=within_sd(wss, wdf),
    )


def clustered_mean_interval(
    values: Iterable[float] | np.ndarray,
    clusters: Sequence[Any] | np.ndarray,
    *,
    bounds: tuple[float, float] = (0.0, 1.0),
    confidence: float = 0.95,
    method: MeanMethod = "score",
) -> ClusteredInterval:
    """Mean over examples when each example (cluster) was run several times.

    Repeats are averaged within each example first, then `mean_interval` runs on the example means, so n is the
    number of examples. With equal repeats this equals the cluster-robust SE on all runs; with unequal repeats it
    keeps each example's weight equal, which is the quantity we want (the score on a new example of the task).
    Repeat noise is inside each example mean, and `within_sd` reports it. Missing values or cluster ids, and
    cluster ids of mixed types, raise `StatsInputError`.
    """
    check_confidence(confidence)
    lo, hi = check_bounds(bounds)
    _check_method(method)
    x = in_bounds(numbers_array(values, "values"), lo, hi)
    codes, k = id_codes(clusters, x.size)
    means, counts, wss, wdf = cluster_sums(x, codes, k)
    return clustered_from_means(means, counts, wss, wdf, lo, hi, confidence, method)


def clustered_proportion_interval(
    passed: Iterable[bool] | np.ndarray,
    clusters: Sequence[Any] | np.ndarray,
    *,
    confidence: float = 0.95,
) -> ClusteredInterval:
    """Pass rate over examples when each example was run several times.

    The estimate is the mean over examples of each example's pass fraction; the interval is Wilson's at the
    effective sample size (design effect, see `clustered_wilson_rows`): with one repeat exactly
    `proportion_interval`. All passes or all failures give Wilson on the examples, not the runs. `passed` must be
    True/False or 1/0: NaN, None and strings such as 'False' raise `StatsInputError`.
    """
    check_confidence(confidence)
    raw = bools_array(passed, "passed").astype(float)
    codes, k = id_codes(clusters, raw.size)
    frac, counts, wss, wdf = cluster_sums(raw, codes, k)
    return clustered_pass_from_fracs(frac, counts, wss, wdf, confidence)


def clustered_pass_from_fracs(
    frac: np.ndarray, counts: np.ndarray, wss: float, wdf: int, confidence: float, note: str = ""
) -> ClusteredInterval:
    n = int(frac.size)
    n_obs = int(counts.sum())
    extra: dict[str, Any] = {
        "n_obs": n_obs,
        "repeats_per_example": (n_obs / n) if n else None,
        "within_sd": within_sd(wss, wdf),
    }
    one_repeat = bool(n) and bool(np.all(counts == 1))
    method = "wilson" if one_repeat else "wilson-clustered"
    if n == 0:
        return ClusteredInterval(None, None, None, 0, method, join_notes("no data", note), **extra)
    p, low, high = clustered_wilson_rows(frac[None, :], np.array([float(n_obs)]), confidence)
    return ClusteredInterval(float(p[0]), float(low[0]), float(high[0]), n, method, note, **extra)
