"""Score shapes where real evals live, for the validation simulations (tests) and bench/bench_stats.py.

Each one-sample shape returns (values (reps, n), true mean, bounds); each paired shape returns
(a (reps, n), b (reps, n), true mean difference a - b, bounds), with example difficulty shared by a and b.
Deterministic given the generator.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Shape = Callable[[np.random.Generator, int, int], tuple[np.ndarray, float, tuple[float, float]]]
Paired = Callable[[np.random.Generator, int, int], tuple[np.ndarray, np.ndarray, float, tuple[float, float]]]

RATINGS = {  # 1-5 rating distributions with means 4.3, 4.5 and 4.7
    "4.3": [0.02, 0.03, 0.08, 0.35, 0.52],
    "4.5": [0.01, 0.02, 0.06, 0.25, 0.66],
    "4.7": [0.0, 0.01, 0.03, 0.21, 0.75],
    # for SKEW_CHECK only: one candidate with rare 1s, the other never below 3
    "rare 1s 4.76": [0.03, 0.0, 0.0, 0.12, 0.85],
    "4s and 5s 4.66": [0.0, 0.0, 0.02, 0.30, 0.68],
    "rare 1s 4.74": [0.04, 0.0, 0.0, 0.10, 0.86],
    "4s and 5s 4.74": [0.0, 0.0, 0.0, 0.26, 0.74],
}


def _rating_mean(probs: list[float]) -> float:
    return float(np.dot(np.arange(1, 6), probs))


def _ratings_from(u: np.ndarray, probs: list[float]) -> np.ndarray:
    return 1.0 + (u[..., None] > np.cumsum(probs)[:-1]).sum(-1)


def ceiling(at_bound: float, deficit: str) -> Shape:
    """F1-like: `at_bound` of examples score exactly 1.0, the rest partial credit.
    deficit "uniform": partial credit uniform in (0, 1); "small": 1 - 0.5 Beta(1, 5) (near misses)."""

    def make(rng: np.random.Generator, reps: int, n: int):
        top = rng.random((reps, n)) < at_bound
        if deficit == "uniform":
            partial, mean_partial = rng.random((reps, n)), 0.5
        else:
            partial, mean_partial = 1 - 0.5 * rng.beta(1, 5, (reps, n)), 1 - 0.5 / 6
        return np.where(top, 1.0, partial), at_bound + (1 - at_bound) * mean_partial, (0.0, 1.0)

    return make


def binary(p: float) -> Shape:
    def make(rng: np.random.Generator, reps: int, n: int):
        return (rng.random((reps, n)) < p).astype(float), p, (0.0, 1.0)

    return make


def rating(key: str) -> Shape:
    probs = RATINGS[key]

    def make(rng: np.random.Generator, reps: int, n: int):
        return _ratings_from(rng.random((reps, n)), probs), _rating_mean(probs), (1.0, 5.0)

    return make


def clustered_binary(repeats: int = 3) -> Shape:
    """Pass/fail with `repeats` runs per example; per-example pass probability Beta(4, 1) (mean 0.8), averaged."""

    def make(rng: np.random.Generator, reps: int, n: int):
        p = rng.beta(4, 1, (reps, n, 1))
        return (rng.random((reps, n, repeats)) < p).mean(axis=2), 0.8, (0.0, 1.0)

    return make


MEAN_SHAPES: dict[str, tuple[Shape, tuple[int, ...]]] = {
    "near-ceiling 90% at 1.0, partial credit uniform": (ceiling(0.90, "uniform"), (20, 50, 200)),
    "near-ceiling 95% at 1.0, partial credit uniform": (ceiling(0.95, "uniform"), (20, 50, 200)),
    "near-ceiling 90% at 1.0, near misses": (ceiling(0.90, "small"), (20, 50, 200)),
    "near-ceiling 95% at 1.0, near misses": (ceiling(0.95, "small"), (20, 50, 200)),
    "0/1 at p=0.5": (binary(0.5), (20, 50, 200)),
    "0/1 at p=0.9": (binary(0.9), (20, 50, 200)),
    "0/1 at p=0.97": (binary(0.97), (20, 50, 200)),
    "1-5 ratings averaging 4.3": (rating("4.3"), (20, 50, 200)),
    "1-5 ratings averaging 4.5": (rating("4.5"), (20, 50, 200)),
    "1-5 ratings averaging 4.7": (rating("4.7"), (20, 50, 200)),
    "0/1, 3 repeats clustered": (clustered_binary(3), (20, 50, 200)),
}


def _shared(rng: np.random.Generator, reps: int, n: int, rho: float = 0.7) -> tuple[np.ndarray, np.ndarray]:
    """Two uniforms per (rep, example) that are the same draw with probability rho (shared difficulty)."""
    common = rng.random((reps, n))
    same = rng.random((reps, n)) < rho
    return common, np.where(same, common, rng.random((reps, n)))


DEFICITS: dict[str, tuple[Callable[[np.random.Generator, tuple[int, int]], np.ndarray], float]] = {
    # score off the bound, and its mean: partial credit uniform in (0, 1), or near misses of several kinds
    "uniform": (lambda rng, shape: rng.random(shape), 0.5),
    "small": (lambda rng, shape: 1 - 0.5 * rng.beta(1, 5, shape), 1 - 0.5 / 6),
    "U(0.7, 1)": (lambda rng, shape: 1 - 0.3 * rng.random(shape), 0.85),
    "U(0.8, 1)": (lambda rng, shape: 1 - 0.2 * rng.random(shape), 0.9),
    "U(0.9, 1)": (lambda rng, shape: 1 - 0.1 * rng.random(shape), 0.95),
}


def paired_ceiling(at_a: float, at_b: float, deficit: str = "uniform", deficit_b: str | None = None) -> Paired:
    """Near-ceiling pairs; off the bound, scores from `DEFICITS[deficit]` (B's from `deficit_b` if given)."""
    (draw_a, mean_a), (draw_b, mean_b) = DEFICITS[deficit], DEFICITS[deficit_b or deficit]

    def make(rng: np.random.Generator, reps: int, n: int):
        ua, ub = _shared(rng, reps, n)
        pa, pb = draw_a(rng, (reps, n)), draw_b(rng, (reps, n))
        a = np.where(ua < at_a, 1.0, pa)
        b = np.where(ub < at_b, 1.0, pb)
        truth = mean_a - mean_b + at_a * (1 - mean_a) - at_b * (1 - mean_b)  # 0.0 for equal candidates
        return a, b, truth, (0.0, 1.0)

    return make


def paired_binary(pa: float, pb: float) -> Paired:
    def make(rng: np.random.Generator, reps: int, n: int):
        ua, ub = _shared(rng, reps, n)
        return (ua < pa).astype(float), (ub < pb).astype(float), pa - pb, (0.0, 1.0)

    return make


def paired_rating(ka: str, kb: str) -> Paired:
    def make(rng: np.random.Generator, reps: int, n: int):
        ua, ub = _shared(rng, reps, n)
        pa, pb = RATINGS[ka], RATINGS[kb]
        return _ratings_from(ua, pa), _ratings_from(ub, pb), _rating_mean(pa) - _rating_mean(pb), (1.0, 5.0)

    return make


def paired_clustered(shift: float, repeats: int = 3) -> Paired:
    """Shared per-example pass probability; A's is raised by `shift` (capped), 3 runs each, averaged."""

    def make(rng: np.random.Generator, reps: int, n: int):
        p = rng.beta(4, 1, (reps, n, 1))
        pa = np.minimum(p + shift, 1.0)
        a = (rng.random((reps, n, repeats)) < pa).mean(axis=2)
        b = (rng.random((reps, n, repeats)) < p).mean(axis=2)
        truth = _clustered_gap(shift)
        return a, b, truth, (0.0, 1.0)

    return make


def _clustered_gap(shift: float) -> float:
    """E[min(p + shift, 1)] - E[p] for p ~ Beta(4, 1), by quadrature (density 4 p^3)."""
    if not shift:
        return 0.0
    grid = (np.arange(200_000) + 0.5) / 200_000
    return float(np.mean(4 * grid**3 * (np.minimum(grid + shift, 1.0) - grid)))


PAIRED_NULL: dict[str, Paired] = {  # equal candidates: for the type-I error
    "near-ceiling 90% vs 90%": paired_ceiling(0.9, 0.9),
    "near-ceiling 95% vs 95%": paired_ceiling(0.95, 0.95),
    "near-ceiling near misses 95% vs 95%": paired_ceiling(0.95, 0.95, "small"),
    "0/1 at p=0.5 vs 0.5": paired_binary(0.5, 0.5),
    "0/1 at p=0.9 vs 0.9": paired_binary(0.9, 0.9),
    "0/1 at p=0.97 vs 0.97": paired_binary(0.97, 0.97),
    "ratings 4.5 vs 4.5": paired_rating("4.5", "4.5"),
    "3 repeats clustered, equal": paired_clustered(0.0),
}

PAIRED_DIFF: dict[str, Paired] = {  # different candidates: for the coverage of the difference's interval
    "near-ceiling 95% vs 90%": paired_ceiling(0.95, 0.9),
    "near-ceiling near misses 95% vs 90%": paired_ceiling(0.95, 0.9, "small"),
    "0/1 at p=0.9 vs 0.8": paired_binary(0.9, 0.8),
    "0/1 at p=0.97 vs 0.9": paired_binary(0.97, 0.9),
    "ratings 4.7 vs 4.3": paired_rating("4.7", "4.3"),
    "3 repeats clustered, +0.05": paired_clustered(0.05),
}

# Held out: shapes no method choice was made on, to check that a change is not tuned to the cells above (issue 7:
# "extend the simulations rather than tune to these numbers"). Run by bench_stats.py --coverage at n = 30, 50, 100
# and 200. Exception: the skewness-corrected end of the paired interval was chosen on HELD_OUT_DIFF (its mixed-
# deficit shapes showed the problem); SKEW_CHECK_* below are the hold-out for that choice.
HELD_OUT_NULL: dict[str, Paired] = {
    "near misses U(0.8, 1), 95% vs 95%": paired_ceiling(0.95, 0.95, "U(0.8, 1)"),
    "near misses U(0.9, 1), 90% vs 90%": paired_ceiling(0.90, 0.90, "U(0.9, 1)"),
    "near misses, 97% vs 97%": paired_ceiling(0.97, 0.97, "small"),
    "near misses, 90% vs 90%": paired_ceiling(0.90, 0.90, "small"),
    "ratings 4.7 vs 4.7": paired_rating("4.7", "4.7"),
    "0/1 at p=0.8 vs 0.8": paired_binary(0.8, 0.8),
}

HELD_OUT_DIFF: dict[str, Paired] = {
    "near misses U(0.8, 1), 95% vs 90%": paired_ceiling(0.95, 0.90, "U(0.8, 1)"),
    "near misses U(0.9, 1), 97% vs 92%": paired_ceiling(0.97, 0.92, "U(0.9, 1)"),
    "near misses, 97% vs 92%": paired_ceiling(0.97, 0.92, "small"),
    "near misses, 90% vs 85%": paired_ceiling(0.90, 0.85, "small"),
    "partial credit uniform, 97% vs 92%": paired_ceiling(0.97, 0.92),
    # the look-alikes of near misses 95% vs 90%: with few disagreements, samples show the same few small ones
    "A near misses, B partial credit uniform, 95% vs 90%": paired_ceiling(0.95, 0.90, "small", "uniform"),
    "A partial credit uniform, B near misses, 95% vs 90%": paired_ceiling(0.95, 0.90, "uniform", "small"),
    "both 90% at 1.0, A's misses nearer (U(0.9, 1) vs U(0.7, 1))": paired_ceiling(0.9, 0.9, "U(0.9, 1)", "U(0.7, 1)"),
}

# A second hold-out, written down before the skewness-aware interval was chosen (on the shapes above) and run only
# to check it: other mixes of rare large and frequent small differences, and skewed nulls (equal means, unequal
# shapes), where the one-sided error of the non-inferiority test shows. It was first run on a Hall-transformation
# candidate; the shipped end replaced that one for reasons of its own (paired module docstring), and does a little
# worse here than it did.
SKEW_CHECK_DIFF: dict[str, Paired] = {
    "A partial credit uniform 97%, B near misses 92%": paired_ceiling(0.97, 0.92, "uniform", "small"),
    "A partial credit uniform 95%, B misses U(0.9, 1) 85%": paired_ceiling(0.95, 0.85, "uniform", "U(0.9, 1)"),
    "A near misses 85%, B partial credit uniform 93%": paired_ceiling(0.85, 0.93, "small", "uniform"),
    "ratings, A rare 1s (4.76) vs B 4s and 5s (4.66)": paired_rating("rare 1s 4.76", "4s and 5s 4.66"),
}

SKEW_CHECK_NULL: dict[str, Paired] = {  # equal means, so d is skewed with mean 0
    "A partial credit uniform 96% vs B near misses 76% (both 0.98)": paired_ceiling(0.96, 0.76, "uniform", "small"),
    "A partial credit uniform 98% vs B misses U(0.9, 1) 80% (both 0.99)": paired_ceiling(0.98, 0.80, "uniform",
                                                                                        "U(0.9, 1)"),
    "ratings, A rare 1s vs B 4s and 5s (both 4.74)": paired_rating("rare 1s 4.74", "4s and 5s 4.74"),
}
