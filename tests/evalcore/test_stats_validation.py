"""Validation by simulation: coverage, error rates, "could be best" and the recommendation, per score shape.

Every simulation runs the vectorised cores that the public functions call (one row per simulated suite), and a
subset is checked against the public functions, so the simulated method is the shipped one. Seeds are fixed.
Monte Carlo standard error: about 0.5 points for a coverage near 95% at 2,000 replications, 0.35 points for an
error rate near 5% at 4,000.

Every cell must cover 93-97% (issue 7). A few cells cannot, for a reason the data's discreteness forces, and
each of those is named in DISCRETE with a test that shows the reason by simulation (rather than a wider band):

* pass/fail at p = 0.97 on 20 examples: the binomial has so few likely outcomes that any interval covering at
  18 of 20 covers 97.9% of the time and any interval missing there covers at most 88%;
* near-ceiling scores with 95% at the bound on 20 examples: in 74% of samples at most one example is off the
  bound, and there the interval may not be narrower than a perfect sample's (the audit's monotonicity), so it
  covers; to reach 97% overall it would have to miss 11% of the samples that do carry information;
* paired pass/fail and near-ceiling differences on 20 examples: most
  samples have at most 5 examples that differ, where no exact test at 5% can reject anything (the smallest
  two-sided p is 1/16), so an interval that agrees with the test must hold 0, and with it the small true gap.

One cell is not discrete and still over-covers: near misses 95% vs 90% on 50 examples. Its test shows that a
variance floor scaled to the scores seen brings it into the band; before the skewness-corrected ends that floor
under-covered a held-out look-alike (stats_shapes.HELD_OUT_DIFF; bench_stats.py prints them all), with them it no
longer does, but it opens one side beyond 3.5% on other held-out cells, so it is not shipped (see the test).

Skewed differences (rare large ones against frequent small ones) are checked per side, since a miss on one side is
what makes the non-inferiority test behind the recommendation anti-conservative: the held-out paired shapes miss at
most ~3.5% on each side (nominal 2.5%) but for the cells named in SKEW_SIDE_EXCEPTIONS (up to 5.4%), the
recommendation is checked on one of them, and a second hold-out (stats_shapes.SKEW_CHECK_*), written before the
method was chosen, shows where it still fails and why: samples that show none of the rare large differences.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from stats_shapes import (HELD_OUT_DIFF, HELD_OUT_NULL, MEAN_SHAPES, PAIRED_DIFF, PAIRED_NULL, SKEW_CHECK_DIFF,
                          SKEW_CHECK_NULL, Paired, binary, ceiling, paired_binary, rating)

from evalcore import stats as S
from evalcore.stats import paired
from evalcore.stats.decision import noninferior_rows
from evalcore.stats.intervals import clustered_wilson_rows, mean_rows
from evalcore.stats.paired import FLOOR_FADE, paired_rows, variance_floor
from evalcore.stats.ranking import could_be_best_rows

REPS = 2000
MEAN_REPS = 4000  # the one-candidate cells are cheap: more replications, Monte Carlo SE 0.35 points
NULL_REPS = 4000

# Cells that cannot reach 93-97% for a discrete reason (module docstring), each shown by its own test below,
# with the coverage they are allowed to reach.
DISCRETE = {
    ("mean", "0/1 at p=0.97", 20): 0.985,
    ("mean", "near-ceiling 95% at 1.0, near misses", 20): 0.985,
    ("diff", "near-ceiling 95% vs 90%", 20): 1.0,
    ("diff", "0/1 at p=0.9 vs 0.8", 20): 0.995,
    ("diff", "0/1 at p=0.97 vs 0.9", 20): 1.0,
    ("diff", "near-ceiling near misses 95% vs 90%", 20): 1.0,
    # Not discrete, known conservative (README's **):
    # test_near_misses_95_vs_90_on_50_examples_stay_conservative_and_what_would_bring_them_into_the_band. Figures at
    # 10,000 replications (bench seeds), before the skewness-corrected ends: a floor scaled to the off-bound range
    # seen brings this cell to 95.0% and the look-alike to 91.5% (with the ends, at the test's seeds: 95.3% and
    # 95.0%, from 92.2%); widened for the draws unseen, 97.8% and 94.6%; a pseudo-observation at the range
    # (weight 1) leaves this cell at 98.7% while A-partial-credit/B-near-misses falls to 86.2%. Shipped: 99.8% and
    # 99.7%.
    ("diff", "near-ceiling near misses 95% vs 90%", 50): 1.0,
}


def rng_for(*key: object) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def mc_allowance(reps: int, rate: float = 0.97) -> float:
    """Two Monte Carlo standard errors of a simulated rate: how far a cell whose true coverage is at the band's
    upper end (97%) can land above it by chance (0.54 points at 4,000 replications). The lower end, 93%, is
    asserted without it; the true figures per cell (10,000 replications) are in the README."""
    return 2 * float(np.sqrt(rate * (1 - rate) / reps))


def covered(low: np.ndarray, high: np.ndarray, truth: float) -> float:
    return float(np.mean((low <= truth) & (truth <= high)))


MEAN_CELLS = [(name, n) for name, (_, ns) in MEAN_SHAPES.items() for n in ns]


@pytest.mark.parametrize("name,n", MEAN_CELLS, ids=[f"{a} n={b}" for a, b in MEAN_CELLS])
def test_mean_interval_covers_93_to_97_percent(name, n):
    make = MEAN_SHAPES[name][0]
    x, truth, (lo, hi) = make(rng_for("mean", name, n), MEAN_REPS, n)
    _, low, high, _ = mean_rows(x, lo, hi, 0.95)
    cov = covered(low, high, truth)
    assert 0.93 <= cov <= DISCRETE.get(("mean", name, n), 0.97 + mc_allowance(MEAN_REPS)), \
        f"{name}, n={n}: coverage {cov:.3f}"
    for i in range(5):  # the public function is the simulated one
        iv = S.mean_interval(x[i], bounds=(lo, hi))
        assert (iv.low, iv.high) == pytest.approx((low[i], high[i]), abs=1e-12)


@pytest.mark.parametrize("n", [20, 50, 200])
def test_clustered_pass_rate_with_three_repeats_covers(n):
    rng = rng_for("clustered-pass", n)
    p = rng.beta(4, 1, (REPS, n, 1))
    runs = rng.random((REPS, n, 3)) < p
    _, low, high = clustered_wilson_rows(runs.mean(axis=2), np.full(REPS, 3.0 * n), 0.95)
    cov = covered(low, high, 0.8)
    assert 0.93 <= cov <= 0.97, cov
    ids = np.repeat(np.arange(n), 3)
    iv = S.clustered_proportion_interval(runs[0].ravel(), ids)
    assert (iv.low, iv.high) == pytest.approx((low[0], high[0]), abs=1e-12)


NULL_CELLS = [(name, n) for name in PAIRED_NULL for n in (20, 50, 200)]


@pytest.mark.parametrize("name,n", NULL_CELLS, ids=[f"{a} n={b}" for a, b in NULL_CELLS])
def test_paired_test_type_i_error_at_most_5_percent(name, n):
    a, b, _, (lo, hi) = PAIRED_NULL[name](rng_for("null", name, n), NULL_REPS, n)
    r = paired_rows(a - b, hi - lo)
    rate = float(np.mean(r.p < 0.05))
    # <= 5% up to Monte Carlo error (2 standard errors of a 5% rate at NULL_REPS: 0.7 points)
    assert rate <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / NULL_REPS), f"{name}, n={n}: type-I error {rate:.4f}"
    assert np.array_equal(r.p < 0.05, (r.low > 0) | (r.high < 0))  # significant <=> the interval excludes 0
    res = S.paired_difference(a[0], b[0], bounds=(lo, hi))
    assert res.p_value == pytest.approx(r.p[0], abs=1e-12)


HELD_OUT_NULL_CELLS = [(name, n) for name in HELD_OUT_NULL for n in (30, 50, 100, 200)]


@pytest.mark.parametrize("name,n", HELD_OUT_NULL_CELLS, ids=[f"{a} n={b}" for a, b in HELD_OUT_NULL_CELLS])
def test_paired_test_type_i_error_on_held_out_shapes(name, n):
    """Equal candidates in shapes no method choice was made on (stats_shapes.HELD_OUT_NULL), at other n."""
    a, b, _, (lo, hi) = HELD_OUT_NULL[name](rng_for("held-out", "null", name, n), NULL_REPS, n)
    rate = float(np.mean(paired_rows(a - b, hi - lo).p < 0.05))
    assert rate <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / NULL_REPS), f"{name}, n={n}: type-I error {rate:.4f}"


DIFF_CELLS = [(name, n) for name in PAIRED_DIFF for n in (20, 50, 200)]


@pytest.mark.parametrize("name,n", DIFF_CELLS, ids=[f"{a} n={b}" for a, b in DIFF_CELLS])
def test_paired_difference_interval_covers(name, n):
    a, b, truth, (lo, hi) = PAIRED_DIFF[name](rng_for("diff", name, n), REPS, n)
    r = paired_rows(a - b, hi - lo)
    cov = covered(r.low, r.high, truth)
    assert 0.93 <= cov <= DISCRETE.get(("diff", name, n), 0.97 + mc_allowance(REPS)), \
        f"{name}, n={n}: coverage {cov:.3f}"


# -- skewed differences: rare large ones against frequent small ones ----------------------------------------------

SKEW_NS = (50, 100, 200)
SKEW_SIDE = 0.035  # issue 7: each end may miss on its side at most ~3.5% (nominal 2.5%)
# Held-out cells that miss more on one side, with the share allowed (before the Monte Carlo allowance) and why.
SKEW_SIDE_EXCEPTIONS = {
    # The two mixed-deficit cells on 100 examples (t interval: 10.9% and 7.4%): the studentized mean's 97.5% point
    # is 1.93 times t's there, the Cornish-Fisher end reaches about 1.4-1.9 (paired module docstring), and 2.5% of
    # the samples show none of the rare large differences at all.
    ("A partial credit uniform, B near misses, 95% vs 90%", 100): 0.055,
    ("A near misses, B partial credit uniform, 95% vs 90%", 100): 0.045,
    # Skew in how often each sign occurs rather than in the sizes (B's misses 2.7 times as frequent as A's, the
    # same uniform sizes), which the sign-plausible skewness hardly sees (t interval: 5.9% and 4.9%).
    ("partial credit uniform, 97% vs 92%", 100): 0.055,
    ("partial credit uniform, 97% vs 92%", 200): 0.045,
}
SKEW_CELLS = [(name, n) for name in HELD_OUT_DIFF for n in SKEW_NS]


def t_only(monkeypatch: pytest.MonkeyPatch, d: np.ndarray, span: float) -> paired.PairedRows:
    """`paired_rows` without the skewness-corrected ends (skewness 0): the t interval it never undercuts."""
    with monkeypatch.context() as mp:
        mp.setattr(paired, "row_skewness", lambda d, *_: np.zeros(d.shape[0]))
        return paired_rows(d, span)


@pytest.mark.parametrize("name,n", SKEW_CELLS, ids=[f"{a} n={b}" for a, b in SKEW_CELLS])
def test_held_out_differences_cover_and_miss_at_most_3_5_percent_on_each_side(name, n, monkeypatch):
    """Held-out paired shapes (no method choice was made on them before the skewness-corrected ends; those were
    chosen on these cells, where the two mixed-deficit ones read 88.8% with 10.9% above the truth and 92.0% with
    7.4% below at n = 100 under the t interval): coverage >= 93% and each side's miss <= 3.5% (+ Monte Carlo
    allowance) but for SKEW_SIDE_EXCEPTIONS, and neither end ever inside the t interval's (so no side's miss can
    exceed the t interval's)."""
    a, b, truth, (lo, hi) = HELD_OUT_DIFF[name](rng_for("held-out", "diff", name, n), NULL_REPS, n)
    d = a - b
    r = paired_rows(d, hi - lo)
    above, below = float(np.mean(r.low > truth)), float(np.mean(r.high < truth))
    side = SKEW_SIDE_EXCEPTIONS.get((name, n), SKEW_SIDE) + 2 * np.sqrt(SKEW_SIDE * (1 - SKEW_SIDE) / NULL_REPS)
    assert covered(r.low, r.high, truth) >= 0.93 and max(above, below) <= side, \
        f"{name}, n={n}: coverage {covered(r.low, r.high, truth):.3f}, above the truth {above:.3f}, below {below:.3f}"
    t = t_only(monkeypatch, d, hi - lo)
    assert (r.low <= t.low + 1e-12).all() and (r.high >= t.high - 1e-12).all() and (r.p >= t.p - 1e-12).all()


def _lost_passes(rng: np.random.Generator, reps: int, n: int) -> tuple[np.ndarray, np.ndarray, float, tuple]:
    """Pass/fail at 0.9, and the same outputs with a pass lost on a further ~2.2% of examples (never a win): the
    audit's sparse case, where Wald's t on the sample's variance showed "loses at most the true gap" in 8.5% of
    400-example samples."""
    best = (rng.random((reps, n)) < 0.9).astype(float)
    worse = np.where(rng.random((reps, n)) < 0.02 / 0.9, 0.0, best)
    return worse, best, -0.02, (0.0, 1.0)


# the worse candidate minus the better, true gap = the margin tested (the non-inferiority null's boundary)
NI_BOUNDARY = {
    "0/1, a pass lost on 2% of examples": _lost_passes,
    "0/1 at 0.88 vs 0.90": paired_binary(0.88, 0.9),
    "0/1 at 0.95 vs 0.97": paired_binary(0.95, 0.97),
    "0/1 at 0.80 vs 0.85": paired_binary(0.80, 0.85),
    "0/1 at 0.50 vs 0.55": paired_binary(0.5, 0.55),
}
NI_CELLS = [(name, n) for name in NI_BOUNDARY for n in (50, 200, 400)]


@pytest.mark.parametrize("name,n", NI_CELLS, ids=[f"{a} n={b}" for a, b in NI_CELLS])
def test_pass_fail_non_inferiority_at_the_margin_rejects_at_most_2_5_percent(name, n):
    """"B loses at most the margin to A" when B is truly worse by exactly the margin: at most 2.5% of samples may
    show it (+ Monte Carlo allowance). Before Tango's score test on pass/fail: 8.5% (lost passes, n = 400) and
    5.1% (0.95 vs 0.97, n = 200); now 0.0-2.8% (10,000 replications in bench_stats.py --coverage)."""
    worse, better, gap, (lo, hi) = NI_BOUNDARY[name](rng_for("ni-boundary", name, n), NULL_REPS, n)
    rate = float(np.mean(paired.one_sided_p(worse - better, gap, hi - lo) < 0.025))
    assert rate <= 0.025 + 2 * np.sqrt(0.025 * 0.975 / NULL_REPS), f"{name}, n={n}: shown within in {rate:.4f}"


REC_SKEW = "A partial credit uniform, B near misses, 95% vs 90%"  # d: A's rare large losses, B's frequent small ones


@pytest.mark.parametrize("n", SKEW_NS)
def test_recommendation_rarely_picks_a_cheap_candidate_with_rare_large_losses_worse_by_more_than_the_margin(n):
    """The cheap candidate loses partial credit anywhere in (0, 1) on 5% of examples, the best a few hundredths on
    10%: the cheap one is worse by 1/60. With margins 0.005 and 0.01 it is worse by more than the margin, and with
    the margin 1/60 it sits on the boundary (the one-sided null of the non-inferiority test, nominal 2.5%): it
    must be picked (shown non-inferior) in at most 5% of boards. Here: 0.4/1.0/3.5% (n = 50), 1.1/2.5/4.7%
    (n = 100), 0.2/0.5/1.9% (n = 200) for margins 0.005/0.01/boundary; the boundary at n = 100 read 5.8% at other
    seeds, so about 5% is what it is, and 6% is allowed there. The t interval: 10.1% (n = 100) and 7.9% (n = 200)
    at the boundary, 4.2% at margin 0.01 (n = 100)."""
    best_b_cheap_a = HELD_OUT_DIFF[REC_SKEW]
    a, b, truth, _ = best_b_cheap_a(rng_for("recommend-skew", n), NULL_REPS, n)
    assert truth == pytest.approx(-1 / 60)
    boards = np.stack([b, a], axis=1)
    for margin in (0.005, 0.01, -truth):
        ni = noninferior_rows(boards, margin, 1.0)
        allowed = 0.06 if (n, margin) == (100, -truth) else 0.05
        assert float(np.mean(ni[:, 1])) <= allowed, f"n={n}, margin {margin:.4f}: picked in {np.mean(ni[:, 1]):.3f}"
    for i in range(2):  # the public recommendation agrees with the vectorised rule
        rows = [{"candidate": c, "example_id": f"e{j}", "repeat": 0, "value": float(boards[i, k, j])}
                for k, c in enumerate(["best", "cheap"]) for j in range(n)]
        rec = S.recommend(pd.DataFrame(rows), cost_per_example={"best": 0.01, "cheap": 0.001}, margin=-truth)
        assert (rec.pick == "cheap") == bool(noninferior_rows(boards[i:i + 1], -truth, 1.0)[0, 1])


SKEW_CHECK_CELLS = [(kind, name, n) for kind, shapes in (("diff", SKEW_CHECK_DIFF), ("null", SKEW_CHECK_NULL))
                    for name in shapes for n in (30, 50, 100, 200)]


@pytest.mark.parametrize("kind,name,n", SKEW_CHECK_CELLS, ids=[f"{k} {a} n={b}" for k, a, b in SKEW_CHECK_CELLS])
def test_skewed_cells_miss_on_the_rare_side_only_where_the_sample_shows_none_of_the_rare_large_differences(
        kind, name, n, monkeypatch):
    """The second hold-out (stats_shapes.SKEW_CHECK_*: rarer large differences, and skewed nulls with equal means)
    is not all in the band: e.g. A partial credit uniform at 98% against B's misses within 0.1 at 80% rejects
    equality 17.6% of the time on 100 examples (t interval: 21.3%). Every such excess comes from samples that hold
    no difference beyond 0.3 of the range on the side of the rare large ones (27% of those samples): nothing in
    them shows that large differences occur, so no use of the sample can widen their interval, and a floor for
    unseen ones as large as the rule of three would widen every interval. Where a sample shows at least one, the
    interval misses on that side at most 2.5% of the time (nominal), and neither end is ever inside the t
    interval's."""
    shapes = SKEW_CHECK_DIFF if kind == "diff" else SKEW_CHECK_NULL
    a, b, truth, (lo, hi) = shapes[name](rng_for("skew-check", kind, name, n), NULL_REPS, n)
    d, span = a - b, hi - lo
    side = np.sign(np.mean((d - d.mean()) ** 3))  # the side of the rare large differences
    r = paired_rows(d, span)
    miss = r.low > truth if side < 0 else r.high < truth
    shows = (side * d > 0.3 * span).any(axis=1)
    rate = float(miss[shows].mean())
    assert rate <= 0.025 + 2 * np.sqrt(0.025 * 0.975 / shows.sum()), f"{name}, n={n}: {rate:.4f} where shown"
    t = t_only(monkeypatch, d, span)
    assert (r.low <= t.low + 1e-12).all() and (r.high >= t.high - 1e-12).all()


# -- the discrete cells, shown ---------------------------------------------------------------------------------


def test_pass_rate_at_0_97_on_20_examples_cannot_cover_93_to_97_percent():
    """Binomial(20, 0.97): covering the truth at 18 of 20 passes means covering P(X >= 18) = 97.9% of samples;
    not covering it there leaves at most P(X >= 19) = 88.0%. Nothing lies in between, for any interval."""
    at_least = {k: float(sps.binom.sf(k - 1, 20, 0.97)) for k in (18, 19)}
    assert at_least[19] < 0.93 and 0.97 < at_least[18]
    x, truth, (lo, hi) = MEAN_SHAPES["0/1 at p=0.97"][0](rng_for("mean", "0/1 at p=0.97", 20), MEAN_REPS, 20)
    _, low, high, _ = mean_rows(x, lo, hi, 0.95)
    hit = (low <= truth) & (truth <= high)
    passes = x.sum(axis=1)
    assert hit[passes >= 18].all() and not hit[passes <= 17].any()  # covered exactly at 18, 19 and 20 of 20
    assert covered(low, high, truth) == pytest.approx(at_least[18], abs=3 * np.sqrt(0.02 * 0.98 / MEAN_REPS))


def test_near_ceiling_on_20_examples_is_conservative_only_where_one_example_is_off_the_bound():
    """95% of scores at 1.0 on 20 examples: in about 74% of samples at most one example is off the bound, where
    the interval is never narrower than a perfect sample's (monotonicity), so it covers. Where two or more are off,
    coverage is near nominal; bringing the overall figure to 97% would take missing the truth in more than 11% of
    those informative samples, i.e. an interval that is too narrow where it has something to go on."""
    name = "near-ceiling 95% at 1.0, near misses"
    x, truth, (lo, hi) = MEAN_SHAPES[name][0](rng_for("mean", name, 20), MEAN_REPS, 20)
    _, low, high, _ = mean_rows(x, lo, hi, 0.95)
    hit = (low <= truth) & (truth <= high)
    few = (x < hi - 1e-9).sum(axis=1) <= 1
    assert few.mean() > 0.7 and hit[few].all()
    informative = float(hit[~few].mean())
    assert 0.90 <= informative <= 0.97, informative
    needed = (0.97 - few.mean()) / (~few).mean()  # coverage on informative samples that would give 97% overall
    assert needed < 0.90


@pytest.mark.parametrize("name,n", [(name, n) for (kind, name, n) in DISCRETE if kind == "diff"
                                    and (name, n) != ("near-ceiling near misses 95% vs 90%", 50)])
def test_paired_cells_with_few_disagreements_cannot_reject_so_their_interval_holds_0(name, n):
    """With 5 or fewer examples that differ, the smallest two-sided p of an exact sign or permutation test is
    2/2^5 = 0.0625 > 0.05: nothing can be rejected, so an interval that agrees with the test holds 0 (and with
    it the small true gap). Most samples in these cells are like that."""
    assert float(sps.binomtest(5, 5).pvalue) > 0.05
    a, b, truth, (lo, hi) = PAIRED_DIFF[name](rng_for("diff", name, n), REPS, n)
    d = a - b
    r = paired_rows(d, hi - lo)
    few = (np.abs(d) > 1e-12).sum(axis=1) <= 5
    assert few.mean() > 0.7, few.mean()
    assert not (r.p[few] < 0.05).any() and ((r.low[few] <= 0) & (0 <= r.high[few])).all()


NEAR_MISSES = "near-ceiling near misses 95% vs 90%"
LOOK_ALIKE = "both 90% at 1.0, A's misses nearer (U(0.9, 1) vs U(0.7, 1))"  # held out (HELD_OUT_DIFF)
LOOK_REPS = 4000  # the look-alike test compares figures about a point apart: Monte Carlo SE 0.4 points


def observed_deficit_scale(a: np.ndarray, b: np.ndarray, hi: float, span: float, correct: bool) -> np.ndarray:
    """Per row, the largest deficit either candidate showed off the bound (hi - its lowest score), from a candidate
    with at least two scores off it (the full range otherwise): the size an unseen disagreement could have if the
    scores seen tell. `correct` widens a range of k draws by (k + 1) / (k - 1): k draws span on average
    (k - 1) / (k + 1) of a distribution."""
    out = np.zeros(a.shape[0])
    for x in (a, b):
        off = x < hi - 1e-9 * span
        k = off.sum(axis=1)
        seen = hi - np.where(off, x, hi).min(axis=1)
        if correct:
            seen = seen * (k + 1) / np.maximum(k - 1, 1)
        out = np.maximum(out, np.where(k >= 2, np.minimum(seen, span), span))
    return out


def floor_scale_misses(monkeypatch: pytest.MonkeyPatch, shape: Paired, key: tuple, n: int, correct: bool | None,
                       skew: bool = True, few: int | None = None) -> tuple[float, float, float]:
    """(coverage, share above the truth, share below) of the shipped interval, or (correct not None) of the same
    interval with the variance floor scaled to `observed_deficit_scale` instead of the full range (only where at
    most `few` examples differ, if given); `skew` False drops the skewness-corrected ends."""
    a, b, truth, (lo, hi) = shape(rng_for(*key), LOOK_REPS, n)
    span = hi - lo
    shipped = paired.floored_variance
    with monkeypatch.context() as mp:
        if correct is not None:
            scale = observed_deficit_scale(a, b, hi, span, correct) / span

            def floored(d: np.ndarray, span: float, confidence: float):
                _, m, same = shipped(d, span, confidence)
                use = scale if few is None else np.where(m <= few, scale, 1.0)
                floor = variance_floor(d.shape[1], m, span, confidence, np.where(same, 1.0, FLOOR_FADE)) * use**2
                return np.maximum(d.var(axis=1, ddof=1), floor), m, same

            mp.setattr(paired, "floored_variance", floored)
        if not skew:
            mp.setattr(paired, "row_skewness", lambda d, *_: np.zeros(d.shape[0]))
        r = paired_rows(a - b, span)
    return covered(r.low, r.high, truth), float(np.mean(r.low > truth)), float(np.mean(r.high < truth))


def coverage_with_floor_scale(monkeypatch: pytest.MonkeyPatch, shape: Paired, key: tuple, n: int,
                              correct: bool | None, skew: bool = True) -> float:
    return floor_scale_misses(monkeypatch, shape, key, n, correct, skew)[0]


def test_near_misses_95_vs_90_on_50_examples_stay_conservative_and_what_would_bring_them_into_the_band(monkeypatch):
    """Near misses 95% vs 90% on 50 examples (the README's **): the true gap is 0.004. About half the samples show
    at most 5 disagreements, where no exact test can reject, so the interval holds 0 and covers unless its upper
    end is below 0.004; on the other half the shipped interval covers over 97%. Reaching 97% therefore takes
    intervals from <= 5 small disagreements that rule out more than a 0.004 gain: a variance floor scaled to the
    scores seen rather than to the range. Scaled to the off-bound range seen, it brings this cell into the band.
    Without the skewness-corrected ends it put a held-out look-alike (both at 90%, A's misses within 0.1, B's
    within 0.3: few disagreements look the same) below the band, which is why the full-range floor was kept; with
    them the look-alike stays in the band: its misses were one-sided misses of the skewed kind (B's larger misses
    are the rare large differences). Widened for the draws unseen, it keeps the look-alike but leaves this cell above
    97%. Run on every held-out cell it is not kept: it opens one side beyond 3.5% in 8 of the 21, and used only on
    samples with at most 5 disagreements it moves that failure to A's partial credit against B's near misses."""
    a, b, truth, (lo, hi) = PAIRED_DIFF[NEAR_MISSES](rng_for("diff", NEAR_MISSES, 50), LOOK_REPS, 50)
    d = a - b
    r = paired_rows(d, hi - lo)
    few = (np.abs(d) > 1e-12).sum(axis=1) <= 5
    assert 0.4 < few.mean() < 0.6 and not (r.p[few] < 0.05).any()
    assert covered(r.low[~few], r.high[~few], truth) > 0.97
    cell = ("diff", NEAR_MISSES, 50), PAIRED_DIFF[NEAR_MISSES]
    look = ("held-out", "diff", LOOK_ALIKE, 50), HELD_OUT_DIFF[LOOK_ALIKE]
    run = {(which, correct): coverage_with_floor_scale(monkeypatch, shape, key, 50, correct)
           for which, (key, shape) in (("cell", cell), ("look-alike", look)) for correct in (None, False, True)}
    assert run["cell", None] > 0.99 and run["look-alike", None] > 0.97  # shipped: both conservative
    assert 0.93 <= run["cell", False] <= 0.97 and 0.93 <= run["look-alike", False] <= 0.97  # floor scaled to the range
    assert coverage_with_floor_scale(monkeypatch, *look[::-1], 50, False, skew=False) < 0.93  # ... without the ends
    assert run["cell", True] > 0.97 and 0.93 <= run["look-alike", True] <= 0.97  # ... widened for draws unseen
    # Run on every held-out cell, the range-seen floor puts a side over 3.5% (+ allowance) in 8 of 21 that the
    # full-range floor keeps under it, e.g. near misses 97% vs 92% on 100 examples 0.0% -> 5.5% below the truth.
    side = SKEW_SIDE + 2 * np.sqrt(SKEW_SIDE * (1 - SKEW_SIDE) / LOOK_REPS)
    name = "near misses, 97% vs 92%"
    held = ("held-out", "diff", name, 100), HELD_OUT_DIFF[name]
    assert floor_scale_misses(monkeypatch, *held[::-1], 100, None)[2] < 0.01
    assert floor_scale_misses(monkeypatch, *held[::-1], 100, False)[2] > side
    # Used only where at most 5 examples differ (where no test can reject anyway) it brings this cell into the band
    # with both sides under 3.5%, but A's partial credit against B's near misses on 50 examples (few small
    # disagreements hiding A's rare large losses) then misses above the truth beyond 3.5%: the same failure.
    cov, above, below = floor_scale_misses(monkeypatch, *cell[::-1], 50, False, few=5)
    assert 0.93 <= cov <= 0.97 and max(above, below) <= side
    skewed = ("held-out", "diff", REC_SKEW, 50), HELD_OUT_DIFF[REC_SKEW]
    assert floor_scale_misses(monkeypatch, *skewed[::-1], 50, None)[1] <= side
    assert floor_scale_misses(monkeypatch, *skewed[::-1], 50, False, few=5)[1] > side


BOARDS = {  # five candidates, the first two truly best (equal), on 50 shared examples with shared difficulty
    "0/1": (binary, [0.9, 0.9, 0.85, 0.85, 0.8], (0.0, 1.0)),
    "near-ceiling": (None, [0.95, 0.95, 0.9, 0.9, 0.85], (0.0, 1.0)),
    "ratings": (rating, ["4.7", "4.7", "4.5", "4.5", "4.3"], (1.0, 5.0)),
    "all equal 0/1": (binary, [0.9] * 5, (0.0, 1.0)),
}


def _board(kind: str, rng: np.random.Generator, reps: int, n: int) -> tuple[np.ndarray, tuple[float, float]]:
    """(reps, k, n) scores; examples share a difficulty draw across candidates (70% of the time)."""
    factory, params, bounds = BOARDS[kind]
    common = rng.random((reps, n))
    out = []
    for p in params:
        u = np.where(rng.random((reps, n)) < 0.7, common, rng.random((reps, n)))
        if kind == "near-ceiling":
            out.append(np.where(u < p, 1.0, rng.random((reps, n))))
        elif kind == "ratings":
            from stats_shapes import RATINGS, _ratings_from

            out.append(_ratings_from(u, RATINGS[p]))
        else:
            out.append((u < p).astype(float))
    return np.stack(out, axis=1), bounds


@pytest.mark.parametrize("kind", list(BOARDS))
def test_could_be_best_holds_the_true_best_95_percent(kind):
    boards, (lo, hi) = _board(kind, rng_for("board", kind), REPS, 50)
    could = could_be_best_rows(boards, hi - lo)
    best = [0, 1] if kind != "all equal 0/1" else list(range(5))
    # Hsu's guarantee: each truly best candidate is in the set with probability >= 95% (with ties, every one of
    # them; all of them at once is not guaranteed, and bench_stats reports how often that happens)
    rate = float(could[:, best].mean(axis=0).min())
    assert rate >= 0.95, f"{kind}: a true best was in the set in only {rate:.3f} of boards"


@pytest.mark.parametrize("shape", ["0/1", "near-ceiling", "ratings"])
def test_recommendation_rarely_picks_a_candidate_worse_than_the_best_by_more_than_the_margin(shape):
    """Three candidates on 400 shared examples: the best, one equal to it, and the cheapest, which is worse than
    the best by exactly the margin (the hardest case of "worse by more than the margin"). The cheapest is picked
    whenever it is shown non-inferior, so P(pick it) = P(it passes)."""
    n, reps = 400, REPS
    rng = rng_for("recommend", shape)
    if shape == "ratings":
        margin, bounds = 0.08, (1.0, 5.0)
        base = rating("4.5")(rng, reps, n)[0]
        worse = base.copy()
        drop = rng.random((reps, n)) < margin  # lose exactly one rating point on a share `margin`
        worse = np.where(drop & (worse > 1), worse - 1, worse)
        truth_gap = margin * float(np.mean(base > 1))
        margin = truth_gap  # the true gap is the margin
    else:
        margin, bounds = 0.02, (0.0, 1.0)
        base = (binary(0.9) if shape == "0/1" else ceiling(0.9, "uniform"))(rng, reps, n)[0]
        drop = rng.random((reps, n)) < 0.02 / np.maximum(base, 1e-9).mean()
        worse = np.where(drop, 0.0, base)  # loses its score on ~2% of the examples' worth
        truth_gap = float(np.mean(base - worse))  # about the margin: calibrate it to exactly the margin below
        margin = truth_gap
    equal = np.where(rng.random((reps, n)) < 0.5, base, np.roll(base, 1, axis=1))
    boards = np.stack([base, equal, worse], axis=1)
    ni = noninferior_rows(boards, margin, bounds[1] - bounds[0])
    rate = float(np.mean(ni[:, 2]))
    assert rate <= 0.05, f"{shape}: picked the truly worse cheapest candidate in {rate:.3f} of boards"
    # the public recommendation agrees with the vectorised rule
    for i in range(3):
        rows = [{"candidate": c, "example_id": f"e{j}", "repeat": 0, "value": float(boards[i, k, j])}
                for k, c in enumerate(["best", "equal", "cheap"]) for j in range(n)]
        rec = S.recommend(pd.DataFrame(rows), cost_per_example={"best": 0.01, "equal": 0.005, "cheap": 0.001},
                          margin=margin, bounds=bounds)
        assert (rec.pick == "cheap") == bool(ni[i, 2])
