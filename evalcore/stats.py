"""Statistics for choosing a model from a few dozen examples: intervals, paired tests, ranks, sample sizes.

Everything here is a pure function of its inputs (and an explicit `seed` where resampling is used), so the
same scores always give the same numbers. numpy and scipy only; pandas for the functions that take the
long score table.

Three decisions run through the module; each function's docstring says how it applies them.

* **The example is the unit.** Repeats of one example are averaged before any interval or test: three
  runs of 50 examples tell us about 50 draws from the task, not 150. Each example counts once.
* **Intervals for bounded scores are score intervals, not t intervals.** Scores live in a range (0-1,
  1-5) and the spread of a bounded score shrinks as its mean nears a bound. A t interval ignores that: at
  n=50 it covers the truth 88% of the time for 0/1 scores at p=0.9 and 90% for 1-5 ratings averaging 4.7.
  The interval used here (Wilson's score interval at the sample's effective size) covers 97% and 93% in
  the same simulations and equals the t interval away from the bounds. `method="t"` gives the textbook
  interval when you need it.
* **No interval has zero width.** Fifty identical scores do not prove the next example scores the same.
  A constant sample gets a "rule of three" style bound (see `mean_interval`), never a point.

Nothing returns NaN: "no data" is `None` with a note, and every result has `to_dict()` for JSON.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from scipy import optimize, special

from evalcore.errors import EvalcoreError

if TYPE_CHECKING:  # pandas is imported where the table-level functions need it
    import pandas as pd

__all__ = [
    "BoardRow",
    "ClusteredInterval",
    "Decision",
    "Interval",
    "McNemarResult",
    "PairRow",
    "PairedResult",
    "SampleSizeReport",
    "StatsInputError",
    "TagRow",
    "by_tag",
    "clustered_mean_interval",
    "clustered_proportion_interval",
    "decide",
    "holm",
    "leaderboard",
    "mcnemar_exact",
    "mean_interval",
    "minimum_detectable_difference",
    "paired_difference",
    "pairwise",
    "proportion_interval",
    "required_n",
    "sample_size_report",
]

MeanMethod = Literal["score", "t"]
PairMethod = Literal["t", "bca"]

DEFAULT_N_BOOT = 2000
MAX_REQUIRED_N = 100_000
# Values further than this outside `bounds` are an error; closer ones are float noise and are clipped.
_BOUND_TOL = 1e-9
# Two per-example scores closer than this are a tie, and a sample whose range is below it is constant.
_TIE_TOL = 1e-12


class StatsInputError(EvalcoreError, ValueError):
    """Inputs a statistic cannot be computed from (mismatched lengths, scores outside their bounds...)."""

    title = "Cannot compute statistics"


# --------------------------------------------------------------------------------------------------
# Result types
# --------------------------------------------------------------------------------------------------


def _opt(x: Any) -> float | None:
    """A plain float for JSON, or None; never NaN."""
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


class _ToDict:
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (nested results become dicts too)."""
        return asdict(self)  # type: ignore[call-overload]


@dataclass(frozen=True)
class Interval(_ToDict):
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

    `n` counts examples (the unit of the interval), `n_obs` counts individual runs. `within_sd` is the
    pooled standard deviation between repeats of the same example: how much a rerun moves one answer's
    score. It is None when no example has two repeats.
    """

    n_obs: int = 0
    repeats_per_example: float | None = None
    within_sd: float | None = None


@dataclass(frozen=True)
class PairedResult(_ToDict):
    """Candidate A minus candidate B on the examples both were run on."""

    diff: Interval
    p_value: float | None
    n: int
    wins: int
    losses: int
    ties: int
    significant: bool
    alpha: float = 0.05


@dataclass(frozen=True)
class McNemarResult(_ToDict):
    """Exact McNemar test. `b`: A passed and B failed; `c`: A failed and B passed."""

    b: int
    c: int
    n: int
    p_value: float
    note: str = ""


@dataclass(frozen=True)
class PairRow(_ToDict):
    """One pair of candidates for the dashboard. `a` has the higher overall mean.

    `p` is the paired test on per-example means and `p_holm` its Holm adjustment over every compared pair;
    `significant` uses `p_holm`. `mcnemar_p` is the exact McNemar test on pass/fail (with repeats: the sign
    test on per-example pass fractions, which is McNemar when there is one repeat); it is not adjusted.
    """

    a: str
    b: str
    n: int
    diff: Interval
    p: float | None
    p_holm: float | None
    significant: bool
    mcnemar_p: float | None
    wins: int
    losses: int
    ties: int


@dataclass(frozen=True)
class BoardRow(_ToDict):
    """One candidate on the leaderboard.

    `rank` is 1 + the number of candidates significantly better than this one (Holm-adjusted paired
    tests), so several candidates can share a rank; `tie_group` is that shared rank. Ties are not
    transitive (A~B and B~C while A>C is possible); the rank rule is the definition. `rank` is None for a
    candidate with no scored examples.
    """

    candidate: str
    n: int
    n_obs: int
    mean: ClusteredInterval
    pass_rate: ClusteredInterval | None
    within_sd: float | None
    rank: int | None
    tie_group: int | None
    better_than: list[str] = field(default_factory=list)
    worse_than: list[str] = field(default_factory=list)
    tied_with: list[str] = field(default_factory=list)
    not_compared: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SampleSizeReport(_ToDict):
    """How far the current sample can see, for the two best candidates.

    `mdd` is the smallest true gap a paired t test at this n would detect with the given power;
    `required_n` the examples needed to detect the observed gap (None: gap is zero, or needs more than
    `MAX_REQUIRED_N`), `additional_n` how many more than now. `required_n_adjusted` uses alpha divided by
    the number of pairs, the worst case of the Holm adjustment the leaderboard applies. The observed gap
    is itself uncertain: these are planning figures, not promises.
    """

    leader: str | None
    runner_up: str | None
    n: int
    observed_gap: float | None
    sd_diff: float | None
    alpha: float
    power: float
    mdd: float | None
    required_n: int | None
    additional_n: int | None
    required_n_adjusted: int | None
    n_pairs: int
    note: str = ""


@dataclass(frozen=True)
class TagRow(_ToDict):
    """One candidate on the examples carrying one tag. `too_small`: fewer than `min_n` examples."""

    tag: str
    candidate: str
    n: int
    n_obs: int
    mean: ClusteredInterval
    pass_rate: ClusteredInterval | None
    too_small: bool
    note: str = ""


@dataclass(frozen=True)
class Decision(_ToDict):
    """The recommendation in plain words.

    `winner` is the candidate with the best mean (None without data); `confident` is True only when it
    is significantly better than every other candidate. When it is not, `tied_with` lists the candidates
    it cannot be told apart from and `text` names the cheaper or faster ones.
    """

    winner: str | None
    confident: bool
    text: str
    lines: list[str] = field(default_factory=list)
    tied_with: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------------------


def _check_confidence(confidence: float) -> None:
    if not (0.0 < float(confidence) < 1.0):
        raise StatsInputError(
            f"confidence must be between 0 and 1, got {confidence!r}.", hint="Use 0.95 for a 95% interval."
        )


def _check_bounds(bounds: tuple[float, float]) -> tuple[float, float]:
    lo, hi = float(bounds[0]), float(bounds[1])
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise StatsInputError(
            f"bounds must be two finite numbers, low < high, got {bounds!r}.",
            hint="Use (0, 1) for automatic scores and (1, 5) for 1-5 ratings.",
        )
    return lo, hi


def _as_values(values: Iterable[float] | np.ndarray, lo: float, hi: float) -> tuple[np.ndarray, int]:
    """Float array without missing values, clipped to the bounds; returns (values, number dropped)."""
    x = np.asarray(values if isinstance(values, np.ndarray) else list(values), dtype=float).ravel()
    missing = np.isnan(x)
    x = x[~missing]
    if x.size and (x.min() < lo - _BOUND_TOL or x.max() > hi + _BOUND_TOL or not np.isfinite(x).all()):
        bad = x[(x < lo - _BOUND_TOL) | (x > hi + _BOUND_TOL) | ~np.isfinite(x)][0]
        raise StatsInputError(
            f"score {bad!r} is outside the bounds ({lo:g}, {hi:g}).",
            hint="Pass bounds=(1, 5) for 1-5 ratings, or rescale the scores.",
        )
    return np.clip(x, lo, hi), int(missing.sum())


def _missing_note(dropped: int) -> str:
    return f"{dropped} missing value{'s' if dropped != 1 else ''} ignored" if dropped else ""


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


# --------------------------------------------------------------------------------------------------
# Vectorised cores: one row per sample. The public functions call these with a single row, and the
# validation simulations call them with thousands, so the simulations test the shipped code path.
# --------------------------------------------------------------------------------------------------


def _z(confidence: float) -> float:
    return float(special.ndtri(0.5 + confidence / 2))


def _tq(confidence: float, df: int) -> float:
    """Two-sided t quantile (scipy.special directly: scipy.stats adds ~0.3 ms per call)."""
    return float(special.stdtrit(df, 0.5 + confidence / 2))


def _wilson_rows(p: np.ndarray, n_eff: np.ndarray, q: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for proportion(s) `p` at (effective) sample size `n_eff`, quantile `q`."""
    q2 = np.square(q)
    denom = 1.0 + q2 / n_eff
    centre = (p + q2 / (2 * n_eff)) / denom
    half = q / denom * np.sqrt(np.maximum(p * (1 - p), 0.0) / n_eff + q2 / (4 * np.square(n_eff)))
    # Clip float noise so the interval always holds p and stays in [0, 1].
    low = np.clip(np.minimum(centre - half, p), 0.0, 1.0)
    high = np.clip(np.maximum(centre + half, p), 0.0, 1.0)
    return low, high


def _constant_rows(
    c: np.ndarray, n: int, lo: float, hi: float, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Interval for a sample whose n values all equal `c` (a "rule of three" style bound).

    Read each example as "scored c" or "did not". None of n did not; Wilson's upper bound for 0 of n,
    u = z^2 / (n + z^2) (about 3.8/n), bounds the share of the task that could score otherwise, and in the
    worst case those score at a bound. So the mean lies in [c - u (c - lo), c + u (hi - c)]. At a bound
    this is exactly the Wilson interval for n of n (or 0 of n) successes, rescaled to the bounds.
    """
    z = _z(confidence)
    u = z * z / (n + z * z)
    return c - u * (c - lo), c + u * (hi - c)


def _constant_p(c: np.ndarray, n: int, span: float) -> np.ndarray:
    """Two-sided p for "mean difference is 0" that matches `_constant_rows` on [-span, span].

    The smallest alpha at which the constant-sample interval excludes 0: solve u(z) = |c| / (|c| + span).
    """
    c = np.abs(c)
    r = np.where(c > _TIE_TOL, c / (c + span), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.sqrt(n * r / (1 - r))
    return np.where(c > _TIE_TOL, np.minimum(1.0, 2 * special.ndtr(-z)), 1.0)


def _is_constant(x: np.ndarray, span: float) -> np.ndarray:
    return np.ptp(x, axis=1) <= _TIE_TOL * span


def _mean_rows(
    x: np.ndarray, lo: float, hi: float, confidence: float, method: MeanMethod
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(estimate, low, high, constant?) for each row of x (shape (rows, n), n >= 2, no NaN)."""
    n = x.shape[1]
    span = hi - lo
    est = x.mean(axis=1)
    const = _is_constant(x, span)
    q = _tq(confidence, n - 1)
    if method == "t":
        se = x.std(axis=1, ddof=1) / math.sqrt(n)
        low, high = np.clip(est - q * se, lo, hi), np.clip(est + q * se, lo, hi)
    else:
        p = np.clip((est - lo) / span, 0.0, 1.0)
        v = x.var(axis=1, ddof=1) / span**2
        with np.errstate(divide="ignore", invalid="ignore"):
            n_eff = np.where(const, float(n), n * p * (1 - p) / np.where(const, 1.0, v))
        n_eff = np.where(np.isfinite(n_eff) & (n_eff > 0), n_eff, float(n))
        pl, ph = _wilson_rows(p, n_eff, q)
        low, high = lo + span * pl, lo + span * ph
    if const.any():
        cl, ch = _constant_rows(est[const], n, lo, hi, confidence)
        low, high = low.copy(), high.copy()
        low[const], high[const] = cl, ch
    low = np.minimum(np.clip(low, lo, hi), est)
    high = np.maximum(np.clip(high, lo, hi), est)
    return est, low, high, const


def _clustered_wilson_rows(
    frac: np.ndarray, n_obs: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pass rate over examples from per-example pass fractions `frac` (rows, n): Wilson at effective n.

    The effective n is n * p(1-p) / v, with v the (ddof=0) variance of the per-example fractions: the
    design-effect adjustment. With one repeat v = p(1-p) exactly, so this is Wilson on n examples. It is
    capped at the number of runs, and when p is 0 or 1 (no spread to measure) it falls back to n examples.
    """
    n = frac.shape[1]
    p = frac.mean(axis=1)
    v = frac.var(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.where(v > 0, n * p * (1 - p) / np.where(v > 0, v, 1.0), n_obs)
    at_bound = (p <= 0) | (p >= 1)
    n_eff = np.where(at_bound, float(n), np.clip(n_eff, 1.0, n_obs))
    low, high = _wilson_rows(p, n_eff, _z(confidence))
    return p, low, high


def _paired_t_rows(
    d: np.ndarray, span: float, confidence: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Paired t interval and two-sided p on differences d (rows, n >= 2) in [-span, span]."""
    n = d.shape[1]
    est = d.mean(axis=1)
    se = d.std(axis=1, ddof=1) / math.sqrt(n)
    const = _is_constant(d, span)
    q = _tq(confidence, n - 1)
    low, high = est - q * se, est + q * se
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2 * special.stdtr(n - 1, -np.abs(est) / np.where(const, 1.0, se))
    if const.any():
        low[const], high[const] = _constant_rows(est[const], n, -span, span, confidence)
        p[const] = _constant_p(est[const], n, span)
    low = np.minimum(np.clip(low, -span, span), est)
    high = np.maximum(np.clip(high, -span, span), est)
    return est, low, high, np.clip(p, 0.0, 1.0), const


@functools.lru_cache(maxsize=4)
def _boot_weights(n: int, n_boot: int, seed: int) -> np.ndarray:
    """(n_boot, n) resampling counts from one index matrix; depends only on (seed, n, n_boot).

    Every pair of candidates compared on n examples is resampled with the same example draws, which keeps
    pairs comparable, and lets bootstrap means be one matrix product for all pairs at once. Memoised (a
    pure function of its arguments; read-only result) because a page computes it for several views.
    """
    rng = np.random.default_rng([int(seed), int(n), int(n_boot)])
    idx = rng.integers(0, n, size=(n_boot, n))
    idx += (np.arange(n_boot) * n)[:, None]
    weights = np.bincount(idx.ravel(), minlength=n_boot * n).reshape(n_boot, n).astype(float)
    weights.setflags(write=False)
    return weights


def _row_quantiles(sorted_rows: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Per-row quantile (linear interpolation) of already sorted rows at per-row probabilities."""
    b = sorted_rows.shape[1]
    pos = np.clip(probs, 0.0, 1.0) * (b - 1)
    i = np.floor(pos).astype(int)
    j = np.minimum(i + 1, b - 1)
    rows = np.arange(sorted_rows.shape[0])
    frac = pos - i
    return sorted_rows[rows, i] * (1 - frac) + sorted_rows[rows, j] * frac


def _paired_bca_rows(
    d: np.ndarray, weights: np.ndarray, span: float, confidence: float, boot: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Paired BCa bootstrap interval and its inverted two-sided p, for rows of differences d (rows, n).

    BCa (Efron 1987) corrects the percentile interval for bias (z0) and skew (acceleration a; for a mean
    the jackknife gives a closed form), with the small-sample expansion explained below. The p-value is
    the smallest alpha whose interval excludes 0, so `significant` and "the interval excludes 0" agree;
    its resolution is about 1/n_boot. `boot` may pass the bootstrap means of d precomputed (for pairs:
    the difference of each candidate's bootstrap means).
    """
    rows, n = d.shape
    n_boot = weights.shape[0]
    est = d.mean(axis=1)
    const = _is_constant(d, span)
    if boot is None:
        boot = d @ weights.T / n  # (rows, n_boot) bootstrap means
    tol = _TIE_TOL * span
    lo_clip, hi_clip = 0.5 / n_boot, 1 - 0.5 / n_boot

    # Bias correction from the share of bootstrap means below the estimate (ties count half).
    below_est = (boot < est[:, None] - tol).sum(axis=1)
    equal_est = (np.abs(boot - est[:, None]) <= tol).sum(axis=1)
    z0 = special.ndtri(np.clip((below_est + 0.5 * equal_est) / n_boot, lo_clip, hi_clip))
    dc = d - est[:, None]
    ss = np.square(dc).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        acc = np.where(ss > 0, (dc**3).sum(axis=1) / (6 * np.where(ss > 0, ss, 1.0) ** 1.5), 0.0)
    # Small-sample expansion (Hesterberg 2015, "expanded percentile"): the bootstrap spread of a mean is
    # s*sqrt((n-1)/n)/sqrt(n) and BCa uses a normal quantile, so plain BCa is ~3.5% too narrow at n=50
    # (simulated: 93% coverage, 6-7% false positives). Using sqrt(n/(n-1)) * t_{n-1} in place of z fixes
    # both and leaves the bias and skew corrections intact.
    expand = math.sqrt(n / (n - 1))
    zq = expand * _tq(confidence, n - 1)

    def level(zalpha: float) -> np.ndarray:
        u = z0 + zalpha
        denom = 1 - acc * u  # <= 0 only for extreme skew: the end is then the extreme draw
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(denom > 0, special.ndtr(z0 + u / np.where(denom > 0, denom, 1.0)), float(zalpha > 0))

    ordered = np.sort(boot, axis=1)
    low = _row_quantiles(ordered, level(-zq))
    high = _row_quantiles(ordered, level(zq))
    # p-value: the alpha at which 0 is an interval end, i.e. cdf(0) = level(z_alpha). Bootstrap means of
    # pass/fail differences pile up exactly on 0; such ties count for the null (the larger of the p-values
    # with cdf(0) taken as P(mean* < 0) and as P(mean* <= 0)), so p < alpha only when the interval
    # clears 0.
    below = (boot < -tol).sum(axis=1)
    at_most = (boot <= tol).sum(axis=1)
    p = np.zeros(rows)
    for count in (below, at_most):
        w = special.ndtri(np.clip(count / n_boot, lo_clip, hi_clip)) - z0
        denom = 1 + acc * w
        with np.errstate(divide="ignore", invalid="ignore"):
            zalpha = np.where(denom > 0, w / np.where(denom > 0, denom, 1.0) - z0, np.sign(w) * np.inf)
        one_sided = special.stdtr(n - 1, zalpha / expand)
        p = np.maximum(p, 2 * np.minimum(one_sided, 1 - one_sided))
    p = np.clip(p, 1.0 / n_boot, 1.0)
    if const.any():
        low[const], high[const] = _constant_rows(est[const], n, -span, span, confidence)
        p[const] = _constant_p(est[const], n, span)
    low = np.minimum(np.clip(low, -span, span), est)
    high = np.maximum(np.clip(high, -span, span), est)
    return est, low, high, p, const


def _sign_test_p(wins: np.ndarray, losses: np.ndarray) -> np.ndarray:
    """Exact two-sided binomial p for wins vs losses (ties dropped); 1.0 when there are none."""
    wins, losses = np.asarray(wins), np.asarray(losses)
    m = wins + losses
    p = 2 * special.bdtr(np.minimum(wins, losses), np.maximum(m, 1), 0.5)
    return np.where(m > 0, np.minimum(p, 1.0), 1.0)


# --------------------------------------------------------------------------------------------------
# Intervals
# --------------------------------------------------------------------------------------------------

_METHOD_NOTE = {
    "score": "score interval for a bounded mean (Wilson at the effective n, t quantile)",
    "t": "t interval, clipped to the bounds",
}


def mean_interval(
    values: Iterable[float] | np.ndarray,
    *,
    bounds: tuple[float, float] = (0.0, 1.0),
    confidence: float = 0.95,
    method: MeanMethod = "score",
) -> Interval:
    """Confidence interval for the mean of bounded scores (one value per example).

    `method="score"` (default): rescale to [0, 1] and use Wilson's score interval at the effective sample
    size n_eff = n * m(1 - m) / s^2 with a t quantile. This is the quasi-binomial score interval: it
    assumes the spread of a bounded score can shrink as its mean nears a bound, as it must. Far from the
    bounds it equals the t interval (the Wilson half-width tends to t * s / sqrt(n)); near them it is
    asymmetric and stays honest where the t interval undercovers (simulated coverage at n=50: 0/1 scores
    at p=0.9, t 88% vs score 97%; 1-5 ratings averaging 4.7, t 90% vs score 93%; elsewhere both ~95%).
    With 0/1 data it is Wilson with n - 1 and a t quantile.
    `method="t"`: the textbook t interval, clipped to the bounds.

    Degenerate inputs: n == 0 gives None/None/None ("no data"); n == 1 gives the whole bounds range
    ("one example: no estimate of spread"); n >= 2 identical values give the rule-of-three style interval
    of `_constant_rows` (Wilson for n of n at a bound), never zero width. Missing values (NaN) are dropped
    and counted in `note`; values outside `bounds` raise `StatsInputError`.
    """
    _check_confidence(confidence)
    lo, hi = _check_bounds(bounds)
    if method not in _METHOD_NOTE:
        raise StatsInputError(f"unknown method {method!r}.", hint="Use method='score' or method='t'.")
    x, dropped = _as_values(values, lo, hi)
    return _mean_interval_clean(x, lo, hi, confidence, method, _missing_note(dropped))


def _mean_interval_clean(
    x: np.ndarray, lo: float, hi: float, confidence: float, method: MeanMethod, note: str = ""
) -> Interval:
    n = int(x.size)
    if n == 0:
        return Interval(None, None, None, 0, method, _join("no data", note))
    if n == 1:
        return Interval(float(x[0]), lo, hi, 1, method, _join("one example: no estimate of spread", note))
    est, low, high, const = _mean_rows(x[None, :], lo, hi, confidence, method)
    if const[0]:
        note = _join(
            f"all {n} values equal: interval is the rule-of-three style bound, not zero width", note
        )
    return Interval(float(est[0]), float(low[0]), float(high[0]), n, method, note)


def proportion_interval(successes: int, n: int, *, confidence: float = 0.95) -> Interval:
    """Wilson score interval for successes out of n independent trials.

    Wilson rather than the normal (Wald) interval because Wald collapses to zero width at 0 or n successes
    and undercovers near the ends, exactly where pass rates of good models live. n == 0 gives None.
    """
    _check_confidence(confidence)
    successes, n = int(successes), int(n)
    if n < 0 or not (0 <= successes <= n):
        raise StatsInputError(f"need 0 <= successes <= n, got successes={successes}, n={n}.")
    if n == 0:
        return Interval(None, None, None, 0, "wilson", "no data")
    p = successes / n
    low, high = _wilson_rows(np.array([p]), np.array([float(n)]), _z(confidence))
    return Interval(p, float(low[0]), float(high[0]), n, "wilson")


def _group(clusters: Sequence[Any] | np.ndarray, size: int) -> tuple[np.ndarray, int]:
    c = np.asarray(clusters if isinstance(clusters, np.ndarray) else list(clusters))
    if c.shape != (size,):
        raise StatsInputError(
            f"values and clusters differ in length ({size} vs {c.size}).",
            hint="Pass one cluster (example id) per value.",
        )
    if size == 0:
        return np.zeros(0, dtype=int), 0
    _, inverse = np.unique(c, return_inverse=True)
    inverse = inverse.ravel()
    return inverse, int(inverse.max()) + 1


def _cluster_sums(x: np.ndarray, codes: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Per-cluster means and counts, plus the pooled within-cluster sum of squares and its df."""
    counts = np.bincount(codes, minlength=k)
    means = np.bincount(codes, weights=x, minlength=k) / np.maximum(counts, 1)
    wss = float(np.bincount(codes, weights=np.square(x - means[codes]), minlength=k).sum())
    wdf = int((counts - 1).clip(min=0).sum())
    return means[counts > 0], counts[counts > 0], wss, wdf


def _within_sd(wss: float, wdf: int) -> float | None:
    return math.sqrt(max(wss, 0.0) / wdf) if wdf > 0 else None


def _clustered_from_means(
    means: np.ndarray,
    counts: np.ndarray,
    wss: float,
    wdf: int,
    lo: float,
    hi: float,
    confidence: float,
    method: MeanMethod,
    note: str = "",
) -> ClusteredInterval:
    base = _mean_interval_clean(np.clip(means, lo, hi), lo, hi, confidence, method, note)
    n_obs = int(counts.sum())
    return ClusteredInterval(
        **asdict(base),
        n_obs=n_obs,
        repeats_per_example=(n_obs / means.size) if means.size else None,
        within_sd=_within_sd(wss, wdf),
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

    Repeats are averaged within each example first, then `mean_interval` runs on the example means, so n
    is the number of examples: 3 repeats of 50 examples is n=50, not 150. Why not a cluster-robust SE on
    all runs: with equal repeats the two give the same estimate and the same SE (the CR0 SE is the SE of
    the example means, up to the usual n/(n-1) factor); with unequal repeats, averaging first keeps each
    example's weight equal, which is the quantity we want (the score on a new example of the task); and
    it gives the t/score machinery its correct n - 1 degrees of freedom. Repeat noise is not lost: it is inside each example mean, and
    `within_sd` reports it. NaN values are dropped; degenerate cases are those of `mean_interval`.
    """
    _check_confidence(confidence)
    lo, hi = _check_bounds(bounds)
    raw = np.asarray(values if isinstance(values, np.ndarray) else list(values), dtype=float).ravel()
    codes, k = _group(clusters, raw.size)
    keep = ~np.isnan(raw)
    x, dropped = _as_values(raw, lo, hi)
    codes = codes[keep]
    means, counts, wss, wdf = _cluster_sums(x, codes, k)
    return _clustered_from_means(means, counts, wss, wdf, lo, hi, confidence, method, _missing_note(dropped))


def clustered_proportion_interval(
    passed: Iterable[bool] | np.ndarray,
    clusters: Sequence[Any] | np.ndarray,
    *,
    confidence: float = 0.95,
) -> ClusteredInterval:
    """Pass rate over examples when each example was run several times.

    The estimate is the mean over examples of each example's pass fraction. The interval is Wilson's at
    the effective sample size (design-effect adjustment, see `_clustered_wilson_rows`): with one repeat it
    is exactly `proportion_interval`; with repeats the effective n grows when examples are flaky and
    shrinks to the number of examples when each example always passes or always fails. Simulated coverage
    at n=50 with 1, 3 and 5 repeats: 93.5-97%; at n=20 with 5 repeats it can dip to 93%. All passes or all failures give Wilson on the examples (not
    the runs: the failures we have not seen may be concentrated in examples we have not drawn).
    Missing values (NaN/None) are dropped.
    """
    _check_confidence(confidence)
    raw = np.asarray(
        passed if isinstance(passed, np.ndarray) else [np.nan if v is None else v for v in passed], dtype=float
    ).ravel()
    codes, k = _group(clusters, raw.size)
    keep = ~np.isnan(raw)
    if np.any((raw[keep] != 0) & (raw[keep] != 1)):
        raise StatsInputError("passed must be True/False (or 1/0).", hint="Check the 'passed' column.")
    frac, counts, wss, wdf = _cluster_sums(raw[keep], codes[keep], k)
    return _clustered_pass_from_fracs(frac, counts, wss, wdf, confidence, _missing_note(int((~keep).sum())))


def _clustered_pass_from_fracs(
    frac: np.ndarray, counts: np.ndarray, wss: float, wdf: int, confidence: float, note: str = ""
) -> ClusteredInterval:
    n = int(frac.size)
    n_obs = int(counts.sum())
    extra: dict[str, Any] = {
        "n_obs": n_obs,
        "repeats_per_example": (n_obs / n) if n else None,
        "within_sd": _within_sd(wss, wdf),
    }
    one_repeat = bool(n) and bool(np.all(counts == 1))
    method = "wilson" if one_repeat else "wilson-clustered"
    if n == 0:
        return ClusteredInterval(None, None, None, 0, method, _join("no data", note), **extra)
    p, low, high = _clustered_wilson_rows(frac[None, :], np.array([float(n_obs)]), confidence)
    return ClusteredInterval(float(p[0]), float(low[0]), float(high[0]), n, method, note, **extra)


# --------------------------------------------------------------------------------------------------
# Paired comparisons
# --------------------------------------------------------------------------------------------------


def _paired_core(
    d: np.ndarray, span: float, confidence: float, method: PairMethod, weights: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    if method == "t":
        return _paired_t_rows(d, span, confidence)
    assert weights is not None
    return _paired_bca_rows(d, weights, span, confidence)


_PAIR_METHODS = ("t", "bca")


def _check_pair_method(method: str, n_boot: int) -> None:
    if method not in _PAIR_METHODS:
        raise StatsInputError(f"unknown method {method!r}.", hint="Use method='t' or method='bca'.")
    if method == "bca" and n_boot < 200:
        raise StatsInputError(f"n_boot={n_boot} is too few for a BCa interval.", hint="Use n_boot >= 1000.")


def _paired_degenerate(d: np.ndarray, span: float, method: str) -> tuple[Interval, float | None]:
    n = int(d.size)
    if n == 0:
        return Interval(None, None, None, 0, method, "no common examples"), None
    return (
        Interval(float(d[0]), -span, span, 1, method, "one common example: no estimate of spread"),
        1.0,
    )


def paired_difference(
    a: Iterable[float] | np.ndarray,
    b: Iterable[float] | np.ndarray,
    *,
    seed: int = 0,
    n_boot: int = DEFAULT_N_BOOT,
    confidence: float = 0.95,
    bounds: tuple[float, float] = (0.0, 1.0),
    alpha: float = 0.05,
    method: PairMethod = "t",
) -> PairedResult:
    """Mean of a - b over examples, where a and b are per-example means aligned on the same examples.

    Pairing removes the example-difficulty variance both candidates share, which is most of the noise.

    `method="t"` (default): paired t interval and t-test p on the differences. `method="bca"`: the paired
    bootstrap (BCa with a small-sample expansion, resampling examples; p inverted from the interval).
    Why t by default: in simulations of 50-example suites (continuous, 0/1, both near 0.9, rare
    disagreements) the t interval covered 94-95% and BCa 89-96%, and with truly equal candidates BCa
    called 5-7% of them different against t's 4-5.5%. BCa did better only for strongly skewed differences
    (rare big wins, frequent small losses: t 88%, BCa 94%). The plain percentile bootstrap undercovers
    (89-95%). `bench/bench_stats.py --coverage` reproduces the table.
    `seed` fixes the bootstrap draws (they depend only on seed and n).

    `significant` is p < alpha, and agrees with "the interval excludes 0". Degenerate: no examples gives
    None and p None; one example gives the whole range [-(hi-lo), hi-lo] and p 1; identical differences
    on every example give the rule-of-three style bound of `mean_interval` and a matching p (1 when all
    differences are 0), never a zero-width interval.
    """
    _check_confidence(confidence)
    _check_pair_method(method, n_boot)
    lo, hi = _check_bounds(bounds)
    xa = np.asarray(a if isinstance(a, np.ndarray) else list(a), dtype=float).ravel()
    xb = np.asarray(b if isinstance(b, np.ndarray) else list(b), dtype=float).ravel()
    if xa.shape != xb.shape:
        raise StatsInputError(
            f"a and b differ in length ({xa.size} vs {xb.size}).",
            hint="Pass per-example means for the same examples in the same order.",
        )
    keep = ~(np.isnan(xa) | np.isnan(xb))
    xa, _ = _as_values(xa[keep], lo, hi)
    xb, _ = _as_values(xb[keep], lo, hi)
    d = xa - xb
    span = hi - lo
    n = int(d.size)
    wins, losses = int((d > _TIE_TOL * span).sum()), int((d < -_TIE_TOL * span).sum())
    ties = n - wins - losses
    method_name = f"paired-{method}"
    if n < 2:
        diff, p = _paired_degenerate(d, span, method_name)
    else:
        weights = _boot_weights(n, n_boot, seed) if method == "bca" else None
        est, low, high, pv, const = _paired_core(d[None, :], span, confidence, method, weights)
        note = "identical differences on every example: rule-of-three style bound" if const[0] else ""
        diff = Interval(float(est[0]), float(low[0]), float(high[0]), n, method_name, note)
        p = float(pv[0])
    return PairedResult(diff, p, n, wins, losses, ties, p is not None and p < alpha, alpha)


def mcnemar_exact(a_pass: Iterable[bool] | np.ndarray, b_pass: Iterable[bool] | np.ndarray) -> McNemarResult:
    """Exact McNemar test for paired pass/fail: only examples where exactly one candidate passed count.

    b = A passed and B failed, c = A failed and B passed; p is the exact two-sided binomial test of b out of
    b + c at 1/2. No discordant pairs gives p = 1.0 (nothing distinguishes them).
    """
    xa = np.asarray(a_pass if isinstance(a_pass, np.ndarray) else list(a_pass), dtype=bool).ravel()
    xb = np.asarray(b_pass if isinstance(b_pass, np.ndarray) else list(b_pass), dtype=bool).ravel()
    if xa.shape != xb.shape:
        raise StatsInputError(
            f"a_pass and b_pass differ in length ({xa.size} vs {xb.size}).",
            hint="Pass one pass/fail per example for the same examples in the same order.",
        )
    b, c = int((xa & ~xb).sum()), int((~xa & xb).sum())
    p = float(_sign_test_p(np.array(b), np.array(c)))
    return McNemarResult(b, c, int(xa.size), p, "" if b + c else "no discordant pairs")


def holm(p_values: Iterable[float]) -> list[float]:
    """Holm step-down adjusted p-values (same order as given): monotone in the raw p, capped at 1.

    Holm controls the family-wise error rate like Bonferroni but is uniformly more powerful, and needs no
    assumption about how the pairwise tests depend on each other (they share candidates, so they do).
    """
    p = np.asarray(list(p_values), dtype=float)
    if p.size == 0:
        return []
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise StatsInputError("p-values must be numbers between 0 and 1.")
    m = p.size
    order = np.argsort(p, kind="stable")
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adjusted
    return [float(v) for v in out]


# --------------------------------------------------------------------------------------------------
# Table-level functions (long-format scores)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Table:
    """The long score table reduced to candidate x example matrices (NaN where not run)."""

    candidates: list[str]
    examples: list[str]
    mean: np.ndarray  # per-example mean value
    count: np.ndarray  # non-missing values per (candidate, example)
    wss: np.ndarray  # within-example sum of squares per (candidate, example)
    pass_frac: np.ndarray | None
    pass_count: np.ndarray | None
    pass_wss: np.ndarray | None
    tags: list[tuple[str, ...]] | None


_REQUIRED = ("candidate", "example_id", "value")


def _tags_of(value: Any) -> tuple[str, ...]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ()
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    return tuple(str(t) for t in value if t is not None and str(t).strip())


def _cell_stats(key: np.ndarray, x: np.ndarray, cells: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ok = ~np.isnan(x)
    key, x = key[ok], x[ok]
    count = np.bincount(key, minlength=cells)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.bincount(key, weights=x, minlength=cells) / count
    wss = np.bincount(key, weights=np.square(x - mean[key]), minlength=cells)
    return mean, count, wss


def _prepare(scores: pd.DataFrame, lo: float, hi: float, *, with_tags: bool = False) -> _Table:
    import pandas as pd

    if not isinstance(scores, pd.DataFrame):
        raise StatsInputError("scores must be a pandas DataFrame in long format.")
    missing = [c for c in _REQUIRED if c not in scores.columns]
    if missing:
        raise StatsInputError(
            f"scores is missing column(s) {', '.join(missing)}.",
            hint="Expected long format: candidate, example_id, repeat, value, passed, optional tags.",
        )
    cand_codes, cands = pd.factorize(scores["candidate"], sort=True)
    ex_codes, exs = pd.factorize(scores["example_id"], sort=True)
    c, e = len(cands), len(exs)
    key = cand_codes.astype(np.int64) * e + ex_codes
    values = pd.to_numeric(scores["value"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    finite = values[~np.isnan(values)]
    if finite.size and (finite.min() < lo - _BOUND_TOL or finite.max() > hi + _BOUND_TOL):
        bad = finite[(finite < lo - _BOUND_TOL) | (finite > hi + _BOUND_TOL)][0]
        raise StatsInputError(
            f"column 'value' has {bad!r}, outside the bounds ({lo:g}, {hi:g}).",
            hint="Pass bounds=(1, 5) for 1-5 ratings.",
        )
    values = np.clip(values, lo, hi)
    mean, count, wss = _cell_stats(key, values, c * e)
    pass_frac = pass_count = pass_wss = None
    if "passed" in scores.columns:
        passed = scores["passed"].to_numpy(dtype=float, na_value=np.nan)
        pf, pc, pw = _cell_stats(key, passed, c * e)
        pass_frac, pass_count, pass_wss = pf.reshape(c, e), pc.reshape(c, e), pw.reshape(c, e)
    tags = None
    if with_tags and "tags" in scores.columns:
        first = pd.Series(scores["tags"].to_numpy(dtype=object)).groupby(ex_codes).first()
        tags = [_tags_of(first.get(i)) for i in range(e)]
    return _Table(
        candidates=[str(x) for x in cands],
        examples=[str(x) for x in exs],
        mean=mean.reshape(c, e),
        count=count.reshape(c, e),
        wss=wss.reshape(c, e),
        pass_frac=pass_frac,
        pass_count=pass_count,
        pass_wss=pass_wss,
        tags=tags,
    )


def _candidate_intervals(
    t: _Table, i: int, cols: np.ndarray | None, lo: float, hi: float, confidence: float, method: MeanMethod
) -> tuple[ClusteredInterval, ClusteredInterval | None]:
    """Mean and pass-rate intervals for candidate i, over all its examples or those in `cols`."""
    count, mean, wss = t.count[i], t.mean[i], t.wss[i]
    sel = count > 0 if cols is None else (count > 0) & cols
    wdf = int((count[sel] - 1).sum())
    mean_iv = _clustered_from_means(
        mean[sel], count[sel], float(wss[sel].sum()), wdf, lo, hi, confidence, method
    )
    pass_iv = None
    if t.pass_frac is not None and t.pass_count is not None and t.pass_wss is not None:
        pc = t.pass_count[i]
        psel = pc > 0 if cols is None else (pc > 0) & cols
        pass_iv = _clustered_pass_from_fracs(
            t.pass_frac[i][psel],
            pc[psel],
            float(t.pass_wss[i][psel].sum()),
            int((pc[psel] - 1).sum()),
            confidence,
        )
    return mean_iv, pass_iv


def _order(t: _Table, intervals: list[ClusteredInterval]) -> list[int]:
    """Candidates by mean, best first; candidates without data last; name breaks ties."""
    return sorted(
        range(len(t.candidates)),
        key=lambda i: (intervals[i].estimate is None, -(intervals[i].estimate or 0.0), t.candidates[i]),
    )


def _pairs_from_table(
    t: _Table,
    order: list[int],
    *,
    seed: int,
    confidence: float,
    lo: float,
    hi: float,
    alpha: float,
    method: PairMethod,
    n_boot: int,
) -> list[PairRow]:
    """Every pair (a before b in `order`) on its common examples; tests vectorised over pairs.

    Pairs with the same common examples (all of them, when every candidate ran every example) are one
    batch. For the bootstrap, each candidate's bootstrap means are computed once per batch and a pair's
    are their difference: the same numbers as resampling the pair's differences, for 1/4 of the work.
    """
    span = hi - lo
    tol = _TIE_TOL * span
    pairs = [(order[x], order[y]) for x in range(len(order)) for y in range(x + 1, len(order))]
    has = t.count > 0
    groups: dict[bytes, list[tuple[int, int]]] = {}
    for ia, ib in pairs:
        groups.setdefault((has[ia] & has[ib]).tobytes(), []).append((ia, ib))
    method_name = f"paired-{method}"
    found: dict[tuple[int, int], tuple[Interval, float | None, int, int]] = {}
    for members in groups.values():
        common = has[members[0][0]] & has[members[0][1]]
        n = int(common.sum())
        a_idx = np.array([m[0] for m in members])
        b_idx = np.array([m[1] for m in members])
        d = t.mean[a_idx][:, common] - t.mean[b_idx][:, common]
        wins, losses = (d > tol).sum(axis=1), (d < -tol).sum(axis=1)
        if n < 2:
            for k, pair in enumerate(members):
                iv, p = _paired_degenerate(d[k], span, method_name)
                found[pair] = (iv, p, int(wins[k]), int(losses[k]))
            continue
        if method == "bca":
            weights = _boot_weights(n, n_boot, seed)
            involved, pos = np.unique(np.concatenate([a_idx, b_idx]), return_inverse=True)
            cand_boot = t.mean[involved][:, common] @ weights.T / n
            boot = cand_boot[pos[: len(members)]] - cand_boot[pos[len(members) :]]
            est, low, high, pv, const = _paired_bca_rows(d, weights, span, confidence, boot)
        else:
            est, low, high, pv, const = _paired_t_rows(d, span, confidence)
        for k, pair in enumerate(members):
            note = "identical differences on every example: rule-of-three style bound" if const[k] else ""
            iv = Interval(float(est[k]), float(low[k]), float(high[k]), n, method_name, note)
            found[pair] = (iv, float(pv[k]), int(wins[k]), int(losses[k]))

    tested = [pr for pr in pairs if found[pr][1] is not None]
    adjusted = dict(zip(tested, holm([found[pr][1] for pr in tested]), strict=True))  # type: ignore[misc]
    mc: dict[tuple[int, int], float] = {}
    if t.pass_frac is not None and t.pass_count is not None:
        has_pass = t.pass_count > 0
        sign = {}
        for ia, ib in pairs:
            common = has_pass[ia] & has_pass[ib]
            if common.any():
                pdiff = t.pass_frac[ia][common] - t.pass_frac[ib][common]
                sign[(ia, ib)] = (int((pdiff > _TIE_TOL).sum()), int((pdiff < -_TIE_TOL).sum()))
        if sign:
            w, l_ = np.array(list(sign.values())).T
            mc = dict(zip(sign, (float(v) for v in _sign_test_p(w, l_)), strict=True))
    rows: list[PairRow] = []
    for pair in pairs:
        iv, p, wins_, losses_ = found[pair]
        p_holm = adjusted.get(pair)
        rows.append(
            PairRow(
                a=t.candidates[pair[0]],
                b=t.candidates[pair[1]],
                n=iv.n,
                diff=iv,
                p=p,
                p_holm=p_holm,
                significant=p_holm is not None and p_holm < alpha,
                mcnemar_p=mc.get(pair),
                wins=wins_,
                losses=losses_,
                ties=iv.n - wins_ - losses_,
            )
        )
    return rows


def _board_parts(
    scores: pd.DataFrame,
    *,
    seed: int,
    confidence: float,
    bounds: tuple[float, float],
    alpha: float,
    method: PairMethod,
    n_boot: int,
    mean_method: MeanMethod,
) -> tuple[_Table, list[int], list[ClusteredInterval], list[ClusteredInterval | None], list[PairRow]]:
    _check_confidence(confidence)
    _check_pair_method(method, n_boot)
    if not (0 < alpha < 1):
        raise StatsInputError(f"alpha must be between 0 and 1, got {alpha!r}.")
    lo, hi = _check_bounds(bounds)
    t = _prepare(scores, lo, hi)
    ivs = [_candidate_intervals(t, i, None, lo, hi, confidence, mean_method) for i in range(len(t.candidates))]
    means = [m for m, _ in ivs]
    order = _order(t, means)
    with_data = [i for i in order if means[i].estimate is not None]
    rows = _pairs_from_table(
        t, with_data, seed=seed, confidence=confidence, lo=lo, hi=hi, alpha=alpha, method=method, n_boot=n_boot
    )
    return t, order, means, [p for _, p in ivs], rows


def pairwise(
    scores: pd.DataFrame,
    *,
    seed: int = 0,
    confidence: float = 0.95,
    bounds: tuple[float, float] = (0.0, 1.0),
    alpha: float = 0.05,
    method: PairMethod = "t",
    n_boot: int = DEFAULT_N_BOOT,
) -> list[PairRow]:
    """Every pair of candidates compared on the examples both have (per-example means), for the dashboard.

    Pairs are listed best-first (`a` has the higher overall mean). p-values are Holm-adjusted across all
    pairs that could be tested; a pair with no common example has p None and is left out of the
    adjustment; a pair with one common example has p 1. Candidates with no scored value at all are left
    out (the leaderboard lists them last, unranked). The paired method is that of
    `paired_difference`; with `method="bca"` all pairs on the same number of examples share one set of
    bootstrap draws (seeded by `seed`), so they are comparable and computed in one matrix product.
    """
    return _board_parts(
        scores,
        seed=seed,
        confidence=confidence,
        bounds=bounds,
        alpha=alpha,
        method=method,
        n_boot=n_boot,
        mean_method="score",
    )[4]


def leaderboard(
    scores: pd.DataFrame,
    *,
    seed: int = 0,
    confidence: float = 0.95,
    bounds: tuple[float, float] = (0.0, 1.0),
    alpha: float = 0.05,
    method: PairMethod = "t",
    n_boot: int = DEFAULT_N_BOOT,
) -> list[BoardRow]:
    """Candidates sorted by mean score (best first) with honest ranks.

    Each row's mean and pass rate are clustered intervals over all of that candidate's examples. Ranks come
    from the paired tests of `pairwise` (common examples of each pair, Holm-adjusted at `alpha`):
    rank = 1 + the number of candidates significantly better. Candidates sharing a rank form a tie group
    labelled by that rank. Ties are not transitive, so a tie group is a reading aid, not an equivalence
    class: the lists `better_than`, `worse_than` and `tied_with` hold the actual test results, and
    `not_compared` the candidates with no common example. A candidate missing some examples is compared on
    the intersection (see `pairwise` for the n of each pair).
    """
    t, order, means, passes, rows = _board_parts(
        scores,
        seed=seed,
        confidence=confidence,
        bounds=bounds,
        alpha=alpha,
        method=method,
        n_boot=n_boot,
        mean_method="score",
    )
    better: dict[str, list[str]] = {c: [] for c in t.candidates}
    worse: dict[str, list[str]] = {c: [] for c in t.candidates}
    tied: dict[str, list[str]] = {c: [] for c in t.candidates}
    unknown: dict[str, list[str]] = {c: [] for c in t.candidates}
    for r in rows:
        if r.p is None:
            unknown[r.a].append(r.b)
            unknown[r.b].append(r.a)
        elif r.significant and (r.diff.estimate or 0.0) > 0:
            better[r.a].append(r.b)
            worse[r.b].append(r.a)
        elif r.significant:
            better[r.b].append(r.a)
            worse[r.a].append(r.b)
        else:
            tied[r.a].append(r.b)
            tied[r.b].append(r.a)
    board = []
    for i in order:
        name = t.candidates[i]
        has_data = means[i].estimate is not None
        rank = 1 + len(worse[name]) if has_data else None
        board.append(
            BoardRow(
                candidate=name,
                n=means[i].n,
                n_obs=means[i].n_obs,
                mean=means[i],
                pass_rate=passes[i],
                within_sd=means[i].within_sd,
                rank=rank,
                tie_group=rank,
                better_than=better[name],
                worse_than=worse[name],
                tied_with=tied[name],
                not_compared=unknown[name] if has_data else [c for c in t.candidates if c != name],
            )
        )
    return board


# --------------------------------------------------------------------------------------------------
# Sample size
# --------------------------------------------------------------------------------------------------


def _paired_power(effect: float, n: np.ndarray | float, alpha: float) -> np.ndarray:
    """Power of the two-sided paired t test for standardised effect `effect` (gap / sd) at n examples."""
    n = np.asarray(n, dtype=float)
    df = n - 1
    crit = special.stdtrit(df, 1 - alpha / 2)
    nc = effect * np.sqrt(n)
    with np.errstate(invalid="ignore"):
        power = 1 - special.nctdtr(df, nc, crit) + special.nctdtr(df, nc, -crit)
    # scipy's noncentral t returns NaN far in the tail (large nc), where power is ~1; use the normal
    # approximation there, which is accurate exactly when nc is large.
    approx = special.ndtr(nc - crit) + special.ndtr(-nc - crit)
    return np.clip(np.where(np.isnan(power), approx, power), 0.0, 1.0)


def _check_alpha_power(alpha: float, power: float) -> None:
    if not (0 < alpha < 1 and 0 < power < 1):
        raise StatsInputError(f"alpha and power must be between 0 and 1, got {alpha!r} and {power!r}.")
    if power <= alpha:
        raise StatsInputError("power must exceed alpha.", hint="Use alpha=0.05, power=0.8.")


def minimum_detectable_difference(
    sd_diff: float, n: int, *, alpha: float = 0.05, power: float = 0.8
) -> float | None:
    """Smallest true mean difference a two-sided paired t test on n examples detects with `power`.

    Exact for the t test: solves the noncentral-t power equation (the normal approximation
    (z_{1-a/2} + z_power) * sd / sqrt(n) understates it at small n). n < 2 gives None (no test is
    possible); sd_diff == 0 gives 0.0 (the formula's answer; callers with an observed sd of 0 should say
    they have no spread to plan with, as `sample_size_report` does).
    """
    _check_alpha_power(alpha, power)
    if not (sd_diff >= 0 and math.isfinite(sd_diff)):
        raise StatsInputError(f"sd_diff must be a finite number >= 0, got {sd_diff!r}.")
    n = int(n)
    if n < 2:
        return None
    if sd_diff == 0:
        return 0.0
    normal = (_z(1 - alpha) + float(special.ndtri(power))) / math.sqrt(n)
    hi = normal * 2
    while _paired_power(hi, n, alpha) < power:
        hi *= 2
    effect = optimize.brentq(lambda e: float(_paired_power(e, n, alpha)) - power, 0.0, hi, xtol=1e-10)
    return float(effect * sd_diff)


def required_n(
    gap: float, sd_diff: float, *, alpha: float = 0.05, power: float = 0.8, max_n: int = MAX_REQUIRED_N
) -> int | None:
    """Examples needed for a two-sided paired t test to detect a true gap with `power` (smallest n >= 2).

    None when gap == 0 (no number of examples separates two equal candidates) or when more than `max_n`
    would be needed (at that point the candidates are equivalent for practical purposes). sd_diff == 0
    with a non-zero gap gives 2, the smallest n a t test runs on.
    """
    _check_alpha_power(alpha, power)
    if not (math.isfinite(gap) and math.isfinite(sd_diff) and sd_diff >= 0):
        raise StatsInputError(f"gap and sd_diff must be finite (sd_diff >= 0), got {gap!r}, {sd_diff!r}.")
    gap = abs(gap)
    if gap == 0:
        return None
    if sd_diff == 0:
        return 2
    effect = gap / sd_diff
    if _paired_power(effect, max_n, alpha) < power:
        return None
    lo_n, hi_n = 2, max_n  # power(lo_n) may already suffice; power is increasing in n
    if _paired_power(effect, lo_n, alpha) >= power:
        return lo_n
    while hi_n - lo_n > 1:
        mid = (lo_n + hi_n) // 2
        if _paired_power(effect, mid, alpha) >= power:
            hi_n = mid
        else:
            lo_n = mid
    return hi_n


def sample_size_report(
    scores: pd.DataFrame,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    bounds: tuple[float, float] = (0.0, 1.0),
    max_n: int = MAX_REQUIRED_N,
) -> SampleSizeReport:
    """Can this sample tell the two best candidates apart, and if not, how many examples would?

    Uses the paired differences of per-example means on the examples both have: their SD gives the
    minimum detectable difference at the current n, and the n needed to detect the observed gap. The
    observed gap is a noisy estimate (and the top two are chosen because they look good), so read
    `required_n` as "about". With fewer than two candidates, or fewer than two common examples, the
    numbers are None and `note` says why.
    """
    _check_alpha_power(alpha, power)
    lo, hi = _check_bounds(bounds)
    t = _prepare(scores, lo, hi)
    ivs = [_candidate_intervals(t, i, None, lo, hi, 0.95, "score")[0] for i in range(len(t.candidates))]
    order = [i for i in _order(t, ivs) if ivs[i].estimate is not None]
    k = len(order)
    n_pairs = k * (k - 1) // 2
    if k < 2:
        leader = t.candidates[order[0]] if order else None
        return SampleSizeReport(
            leader, None, 0, None, None, alpha, power, None, None, None, None, n_pairs,
            "fewer than two candidates with scores: nothing to separate",
        )  # fmt: skip
    ia, ib = order[0], order[1]
    common = (t.count[ia] > 0) & (t.count[ib] > 0)
    d = t.mean[ia][common] - t.mean[ib][common]
    n = int(d.size)
    names = (t.candidates[ia], t.candidates[ib])
    if n < 2:
        return SampleSizeReport(
            *names, n, float(d.mean()) if n else None, None, alpha, power, None, None, None, None, n_pairs,
            f"only {n} common example{'s' if n != 1 else ''}: cannot estimate the spread of differences",
        )  # fmt: skip
    gap = float(d.mean())
    sd = float(d.std(ddof=1))
    notes = []
    if sd <= _TIE_TOL * (hi - lo):
        mdd = None
        notes.append("the two agree exactly on every common example: no spread to plan with")
        req = req_adj = None if abs(gap) <= _TIE_TOL * (hi - lo) else 2
    else:
        mdd = minimum_detectable_difference(sd, n, alpha=alpha, power=power)
        req = required_n(gap, sd, alpha=alpha, power=power, max_n=max_n)
        req_adj = required_n(gap, sd, alpha=alpha / max(n_pairs, 1), power=power, max_n=max_n)
        if abs(gap) <= _TIE_TOL * (hi - lo):
            notes.append("observed gap is 0: no number of examples would separate them")
        elif req is None:
            notes.append(f"more than {max_n:,} examples would be needed: equivalent for practical purposes")
    if n_pairs > 1:
        notes.append(
            f"the leaderboard adjusts for {n_pairs} pairs; required_n_adjusted is the worst case of that"
        )
    return SampleSizeReport(
        leader=names[0],
        runner_up=names[1],
        n=n,
        observed_gap=gap,
        sd_diff=sd,
        alpha=alpha,
        power=power,
        mdd=mdd,
        required_n=req,
        additional_n=None if req is None else max(0, req - n),
        required_n_adjusted=req_adj,
        n_pairs=n_pairs,
        note="; ".join(notes),
    )


# --------------------------------------------------------------------------------------------------
# Per tag
# --------------------------------------------------------------------------------------------------


def by_tag(
    scores: pd.DataFrame,
    *,
    seed: int = 0,
    min_n: int = 10,
    confidence: float = 0.95,
    bounds: tuple[float, float] = (0.0, 1.0),
) -> list[TagRow]:
    """Each candidate's mean and pass rate on the examples carrying each tag (clustered intervals).

    A slice of 8 examples gives an interval too wide to act on, so rows with n < `min_n` are flagged
    `too_small` ("too small to conclude from") rather than hidden. Tags come from the first row of each
    example. Examples without tags appear under no tag; a table without a `tags` column, or with no tags
    at all, gives an empty list. Rows are sorted by tag, then mean (best first). `seed` is accepted for
    a stable signature; the intervals used here need no resampling.
    """
    del seed
    _check_confidence(confidence)
    lo, hi = _check_bounds(bounds)
    t = _prepare(scores, lo, hi, with_tags=True)
    if not t.tags:
        return []
    columns: dict[str, np.ndarray] = {}
    for j, tags in enumerate(t.tags):
        for tag in set(tags):
            columns.setdefault(tag, np.zeros(len(t.examples), dtype=bool))[j] = True
    out: list[TagRow] = []
    for tag in sorted(columns):
        rows = []
        for i, name in enumerate(t.candidates):
            if not (t.count[i][columns[tag]] > 0).any() and not (
                t.pass_count is not None and (t.pass_count[i][columns[tag]] > 0).any()
            ):
                continue
            mean_iv, pass_iv = _candidate_intervals(t, i, columns[tag], lo, hi, confidence, "score")
            n = mean_iv.n
            small = n < min_n
            rows.append(
                TagRow(
                    tag=tag,
                    candidate=name,
                    n=n,
                    n_obs=mean_iv.n_obs,
                    mean=mean_iv,
                    pass_rate=pass_iv,
                    too_small=small,
                    note=f"{n} example{'s' if n != 1 else ''}: too small to conclude from" if small else "",
                )
            )
        rows.sort(key=lambda r: (r.mean.estimate is None, -(r.mean.estimate or 0.0), r.candidate))
        out.extend(rows)
    return out


# --------------------------------------------------------------------------------------------------
# Decision
# --------------------------------------------------------------------------------------------------


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def _fmt_iv(iv: Interval) -> str:
    if iv.estimate is None:
        return "no data"
    return f"{_fmt(iv.estimate)} [{_fmt(iv.low)}, {_fmt(iv.high)}]"


def _fmt_pct(iv: Interval | None) -> str:
    if iv is None or iv.estimate is None or iv.low is None or iv.high is None:
        return "n/a"
    return f"{iv.estimate:.0%} [{iv.low:.0%}, {iv.high:.0%}]"


def _known(d: Mapping[str, float | None], name: str) -> float | None:
    v = d.get(name)
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) and v >= 0 else None


def _cost_phrase(other: float, base: float) -> str:
    """`other`'s cost against `base`'s in words: "costs 1/5 as much", "costs 30% less", "costs 2.0x as much"."""
    if base == 0:
        return "costs the same (nothing)" if other == 0 else "costs more (the leader is free)"
    r = other / base
    if r == 0:
        return "costs nothing"
    if r <= 0.5:
        return f"costs 1/{round(1 / r)} as much"
    if r < 0.995:
        return f"costs {1 - r:.0%} less"
    if r <= 1.005:
        return "costs the same"
    return f"costs {r:.1f}x as much" if r < 10 else f"costs {r:.0f}x as much"


def _speed_phrase(other: float, base: float) -> str:
    if base == 0:
        return "is as fast" if other == 0 else "is slower"
    r = other / base
    if r < 0.995:
        return f"is {1 - r:.0%} faster"
    if r <= 1.005:
        return "is as fast"
    return f"is {r - 1:.0%} slower"


def _names(names: list[str], limit: int = 3) -> str:
    """"A", "A and B", "A, B and C", "A, B, C and 2 others"."""
    if len(names) <= limit:
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    rest = len(names) - limit
    return ", ".join(names[:limit]) + f" and {rest} other{'s' if rest != 1 else ''}"


def _fmt_gap(x: float) -> str:
    """Gaps between close candidates are small: keep three decimals below 0.1 so 0.015 is not "0.02"."""
    return f"{x:.3f}" if abs(x) < 0.1 else f"{x:.2f}"


def decide(
    board: list[BoardRow],
    *,
    cost_per_example: Mapping[str, float | None] | None = None,
    latency_ms: Mapping[str, float | None] | None = None,
    sample: SampleSizeReport | None = None,
) -> Decision:
    """Turn the leaderboard into a recommendation a person can act on, with the facts behind it.

    Confident: the leader is significantly better than every other candidate. Otherwise the text says who
    it is tied with and, for tied candidates that are cheaper or faster, by how much ("statistically tied
    with Y, which costs 1/5 as much and is 40% faster"), and, given a `sample` report for the same top
    two, how many more examples would likely separate them. Missing cost or latency is said, not guessed.
    """
    cost = dict(cost_per_example or {})
    lat = dict(latency_ms or {})
    rows = [r for r in board if r.mean.estimate is not None]
    if not rows:
        return Decision(None, False, "No scored results to compare yet.", [])
    by_name = {r.candidate: r for r in board}
    # The leader is the best-ranked candidate, best mean first. It is rows[0] unless a lower-mean candidate
    # beat it on their common examples (possible when candidates ran on different examples).
    best_rank = min(r.rank if r.rank is not None else len(board) + 1 for r in rows)
    top = next(r for r in rows if (r.rank if r.rank is not None else len(board) + 1) == best_rank)
    lines = [
        f"{r.candidate}: mean {_fmt_iv(r.mean)} over {r.n} example{'s' if r.n != 1 else ''}"
        + (f" ({r.n_obs} runs)" if r.n_obs != r.n else "")
        + (f"; pass rate {_fmt_pct(r.pass_rate)}" if r.pass_rate is not None else "")
        + (f"; rank {r.rank}" if r.rank is not None else "")
        + (f"; repeats vary by SD {r.within_sd:.2f}" if r.within_sd is not None else "")
        for r in rows
    ]
    lines.append("Ranks come from paired tests on the examples both candidates ran, Holm-adjusted.")
    unknown_cost = [r.candidate for r in rows if _known(cost, r.candidate) is None]
    unknown_lat = [r.candidate for r in rows if _known(lat, r.candidate) is None]
    if unknown_cost:
        lines.append(f"Cost unknown for {_names(unknown_cost, 5)}.")
    if unknown_lat:
        lines.append(f"Latency unknown for {_names(unknown_lat, 5)}.")

    if len(rows) == 1:
        text = f"{top.candidate} is the only candidate with scores: {_fmt_iv(top.mean)}. Nothing to compare."
        return Decision(top.candidate, False, text, lines)

    def known_pair(d: Mapping[str, float | None], name: str) -> tuple[float, float] | None:
        base, other = _known(d, top.candidate), _known(d, name)
        return None if base is None or other is None else (other, base)

    def tradeoff(name: str) -> str:
        parts = []
        if (c := known_pair(cost, name)) is not None:
            parts.append(_cost_phrase(*c))
        if (lt := known_pair(lat, name)) is not None:
            parts.append(_speed_phrase(*lt))
        return " and ".join(parts)

    def cheaper_or_faster(name: str) -> bool:
        c, lt = known_pair(cost, name), known_pair(lat, name)
        return (c is not None and c[0] < c[1]) or (lt is not None and lt[0] < lt[1])

    others = [r for r in rows if r is not top]
    tied = [c for c in top.tied_with if c in by_name and by_name[c].mean.estimate is not None]
    confident = set(top.better_than) >= {r.candidate for r in others}
    if confident:
        nxt = others[0]
        text = (
            f"{top.candidate} is the clear winner: {_fmt_iv(top.mean)}, significantly ahead of every other "
            f"candidate (next: {nxt.candidate}, {_fmt_iv(nxt.mean)})."
        )
        trade = tradeoff(nxt.candidate)
        if trade and cheaper_or_faster(nxt.candidate):
            text += f" {nxt.candidate} {trade}, if its lower score is acceptable."
        return Decision(top.candidate, True, text, lines, [])

    # Cheaper or faster tied candidates first: they are the real alternatives.
    ordered = [c for c in tied if cheaper_or_faster(c)] + [c for c in tied if not cheaper_or_faster(c)]
    text = f"{top.candidate} leads: {_fmt_iv(top.mean)}"
    if len(ordered) == 1:
        trade = tradeoff(ordered[0])
        text += f"; statistically tied with {ordered[0]}" + (f", which {trade}" if trade else "")
    elif ordered:
        parts = [c + (f" (which {t})" if (t := tradeoff(c)) else "") for c in ordered]
        text += "; statistically tied with " + (", ".join(parts[:-1]) + " and " + parts[-1])
    text += "."
    if top.not_compared:
        lines.append(f"{top.candidate} shares no examples with {_names(top.not_compared, 5)}: not compared.")
    group = [top.candidate, *tied] if tied else [top.candidate, *top.not_compared]
    if len(group) == 1:  # tied with nobody, beaten by nobody, yet not ahead of all: only via missing overlap
        unbeaten = [r.candidate for r in others if r.candidate not in top.better_than]
        text += f" It is not significantly ahead of {_names(unbeaten)}."
        return Decision(top.candidate, False, text, lines, tied)
    if sample is not None and sample.leader == top.candidate and sample.runner_up in group:
        if sample.additional_n is not None and sample.observed_gap is not None:
            text += (
                f" No clear winner between {_names(group)}: about {sample.additional_n:,} more examples would "
                f"separate {top.candidate} and {sample.runner_up} at the observed gap of "
                f"{_fmt_gap(abs(sample.observed_gap))}."
            )
        elif sample.observed_gap is not None and abs(sample.observed_gap) <= _TIE_TOL:
            text += (
                f" No clear winner between {_names(group)}: {top.candidate} and {sample.runner_up} scored the "
                "same on these examples, so more examples are unlikely to separate them."
            )
        elif sample.observed_gap is not None:
            text += (
                f" No clear winner between {_names(group)}: separating {top.candidate} and "
                f"{sample.runner_up} at the observed gap of {_fmt_gap(abs(sample.observed_gap))} would take "
                "more examples than is practical; treat them as equivalent on this task."
            )
        else:
            text += f" No clear winner between {_names(group)}."
        if sample.mdd is not None:
            lines.append(
                f"With {sample.n} common examples, a true gap of {_fmt_gap(sample.mdd)} or more between "
                f"{sample.leader} and {sample.runner_up} would be detected {sample.power:.0%} of the time "
                f"(two-sided paired test at {sample.alpha:g})."
            )
        if sample.note:
            lines.append(f"Sample size: {sample.note}.")
    else:
        text += f" No clear winner between {_names(group)}."
    return Decision(top.candidate, False, text, lines, tied)
