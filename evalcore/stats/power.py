"""How far a sample can see: the smallest detectable gap, and how many examples a test would need.

Planning figures, stated with their assumptions and never as promises. In particular the observed gap between
two candidates is not their true gap (and the top two are chosen because they look far apart or close), so
advice here is framed at a gap the user names, the practical margin: "to show B loses at most 0.02 to A if
they are truly equal, about N examples", at the threshold the leaderboard actually uses (alpha / (k - 1)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import optimize, special

from evalcore.stats._core import (
    MAX_REQUIRED_N,
    TIE_TOL,
    StatsInputError,
    ToDict,
    check_bounds,
    is_real,
    z_quantile,
)
from evalcore.stats.ranking import candidate_intervals, order_by_mean
from evalcore.stats.table import Table, prepare

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class SampleSizeReport(ToDict):
    """What the current sample can tell apart, for the leader and the runner-up on the examples both have.

    `alpha_adjusted` is alpha / (k - 1), the one-sided level of each of the leaderboard's comparisons.
    `mdd`: the smallest true gap a one-sided paired test at `alpha_adjusted` detects with `power` at this n.
    `required_n_margin`: examples for a one-sided test at alpha / 2 (the recommendation's) to show the runner-up
    loses at most `margin` to the leader *if the two are truly equal* (the question a cost-driven choice asks).
    `required_n_observed`: examples to detect the observed gap (one-sided at `alpha_adjusted`) if it were the true
    gap; None when the gap is 0 or more than `MAX_REQUIRED_N` would be needed. All assume the SD of the differences stays at `sd_diff`.
    """

    leader: str | None
    runner_up: str | None
    n: int
    observed_gap: float | None
    sd_diff: float | None
    alpha: float
    alpha_adjusted: float
    power: float
    margin: float
    mdd: float | None
    required_n_margin: int | None
    required_n_observed: int | None
    n_compared: int
    note: str = ""


def paired_power(effect: float, n: np.ndarray | float, alpha: float, one_sided: bool = False) -> np.ndarray:
    """Power of the paired t test for standardised effect `effect` (gap / sd) at n examples."""
    n = np.asarray(n, dtype=float)
    df = n - 1
    crit = special.stdtrit(df, 1 - (alpha if one_sided else alpha / 2))
    nc = effect * np.sqrt(n)
    with np.errstate(invalid="ignore"):
        power = 1 - special.nctdtr(df, nc, crit)
        if not one_sided:
            power = power + special.nctdtr(df, nc, -crit)
    # scipy's noncentral t returns NaN far in the tail (large nc), where the normal approximation is accurate.
    approx = special.ndtr(nc - crit) + (0.0 if one_sided else special.ndtr(-nc - crit))
    return np.clip(np.where(np.isnan(power), approx, power), 0.0, 1.0)


def _check_alpha_power(alpha: float, power: float) -> None:
    for name, v in (("alpha", alpha), ("power", power)):
        if not is_real(v):  # np.float32(0.05) as well as 0.05: numpy scalars are numbers too
            raise StatsInputError(f"{name} must be a number between 0 and 1, got {v!r}.")
    if not (0 < alpha < 1 and 0 < power < 1):
        raise StatsInputError(f"alpha and power must be between 0 and 1, got {alpha!r} and {power!r}.")
    if power <= alpha:
        raise StatsInputError("power must exceed alpha.", hint="Use alpha=0.05, power=0.8.")


def _finite(v: float, name: str) -> float:
    if not is_real(v):
        raise StatsInputError(f"{name} must be a finite number, got {v!r}.")
    return float(v)


def _check_one_sided(one_sided: object) -> None:
    if not isinstance(one_sided, (bool, np.bool_)):  # 'no' is truthy: it silently gave the one-sided answer
        raise StatsInputError(f"one_sided must be True or False, got {one_sided!r}.")


def _check_max_n(max_n: object) -> int:
    if isinstance(max_n, (bool, np.bool_)) or not isinstance(max_n, (int, np.integer)) or max_n < 2:
        raise StatsInputError(f"max_n must be a whole number of at least 2, got {max_n!r}.",
                              hint=f"The default is {MAX_REQUIRED_N:,}.")
    return int(max_n)


def minimum_detectable_difference(
    sd_diff: float, n: int, *, alpha: float = 0.05, power: float = 0.8, one_sided: bool = False
) -> float | None:
    """Smallest true mean difference a paired t test on n examples detects with `power` (noncentral t, exact).

    n < 2 gives None (no test is possible); sd_diff == 0 gives 0.0; a negative n is an error.
    """
    _check_alpha_power(alpha, power)
    _check_one_sided(one_sided)
    sd_diff = _finite(sd_diff, "sd_diff")
    if sd_diff < 0:
        raise StatsInputError(f"sd_diff must be >= 0, got {sd_diff!r}.")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise StatsInputError(f"n must be a whole number, got {n!r}.")
    n = int(n)
    if n < 0:
        raise StatsInputError(f"n must be a whole number >= 0, got {n!r}.")
    if n < 2:
        return None
    if sd_diff == 0:
        return 0.0
    normal = (z_quantile(1 - alpha) + float(special.ndtri(power))) / math.sqrt(n)
    hi = normal * 2
    while paired_power(hi, n, alpha, one_sided) < power:
        hi *= 2
    effect = optimize.brentq(lambda e: float(paired_power(e, n, alpha, one_sided)) - power, 0.0, hi, xtol=1e-10)
    return float(effect * sd_diff)


def required_n(
    gap: float, sd_diff: float, *, alpha: float = 0.05, power: float = 0.8, max_n: int = MAX_REQUIRED_N,
    one_sided: bool = False,
) -> int | None:
    """Examples a paired t test needs to detect a true gap with `power` (smallest n >= 2).

    None when gap == 0 (no number of examples separates two equal candidates) or when more than `max_n` would be
    needed. sd_diff == 0 with a non-zero gap gives 2. The gap's sign does not matter (a gap of -0.05 needs what
    0.05 needs); `max_n` must be a whole number >= 2.
    """
    _check_alpha_power(alpha, power)
    _check_one_sided(one_sided)
    max_n = _check_max_n(max_n)
    gap, sd_diff = abs(_finite(gap, "gap")), _finite(sd_diff, "sd_diff")
    if sd_diff < 0:
        raise StatsInputError(f"sd_diff must be >= 0, got {sd_diff!r}.")
    if gap == 0:
        return None
    if sd_diff == 0:
        return 2
    effect = gap / sd_diff
    if paired_power(effect, max_n, alpha, one_sided) < power:
        return None
    lo_n, hi_n = 2, max_n
    if paired_power(effect, lo_n, alpha, one_sided) >= power:
        return lo_n
    while hi_n - lo_n > 1:
        mid = (lo_n + hi_n) // 2
        if paired_power(effect, mid, alpha, one_sided) >= power:
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
    margin: float = 0.02,
    max_n: int = MAX_REQUIRED_N,
) -> SampleSizeReport:
    """Can this sample tell the two best candidates apart, and how many examples would the margin question need?

    Uses the paired differences of per-example means on the examples the leader and runner-up share. With fewer
    than two candidates, or fewer than two common examples, the numbers are None and `note` says why.
    """
    _check_alpha_power(alpha, power)
    lo, hi = check_bounds(bounds)
    margin = _finite(margin, "margin")
    max_n = _check_max_n(max_n)
    if not 0 < margin < hi - lo:
        raise StatsInputError(f"margin must be between 0 and {hi - lo:g}, got {margin!r}.", hint="Use 0.02.")
    return report_from_table(prepare(scores, lo, hi), alpha=alpha, power=power, lo=lo, hi=hi, margin=margin,
                             max_n=max_n)


def report_from_table(t: Table, *, alpha: float, power: float, lo: float, hi: float, margin: float,
                      max_n: int = MAX_REQUIRED_N) -> SampleSizeReport:
    ivs = [candidate_intervals(t, i, None, lo, hi, 0.95, "score")[0] for i in range(len(t.candidates))]
    order = [i for i in order_by_mean(t, ivs) if ivs[i].estimate is not None]
    k = len(order)
    adj = alpha / max(k - 1, 1)
    if k < 2:
        leader = t.candidates[order[0]] if order else None
        return SampleSizeReport(leader, None, 0, None, None, alpha, adj, power, margin, None, None, None, k,
                                "fewer than two candidates with scores: nothing to compare")
    ia, ib = order[0], order[1]
    common = (t.count[ia] > 0) & (t.count[ib] > 0)
    d = t.mean[ia][common] - t.mean[ib][common]
    n = int(d.size)
    names = (t.candidates[ia], t.candidates[ib])
    if n < 2:
        return SampleSizeReport(*names, n, float(d.mean()) if n else None, None, alpha, adj, power, margin, None,
                                None, None, k, f"only {n} common example(s): cannot estimate the spread of "
                                "differences")
    gap = float(d.mean())
    sd = float(d.std(ddof=1))
    notes = [f"assumes the SD of per-example differences stays at {sd:.3f}"]
    if sd <= TIE_TOL * (hi - lo):
        notes = ["the two agree exactly on every common example: no spread to plan with"]
        return SampleSizeReport(*names, n, gap, sd, alpha, adj, power, margin, None, None, None, k, "; ".join(notes))
    mdd = minimum_detectable_difference(sd, n, alpha=adj, power=power, one_sided=True)
    req_margin = required_n(margin, sd, alpha=alpha / 2, power=power, max_n=max_n, one_sided=True)
    req_obs = None if abs(gap) <= TIE_TOL * (hi - lo) else required_n(gap, sd, alpha=adj, power=power, max_n=max_n,
                                                                          one_sided=True)
    if req_margin is None:
        notes.append(f"more than {max_n:,} examples would be needed to show a loss of at most {margin:g}")
    return SampleSizeReport(*names, n, gap, sd, alpha, adj, power, margin, mdd, req_margin, req_obs, k,
                            "; ".join(notes))
