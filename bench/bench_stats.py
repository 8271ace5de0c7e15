"""Benchmark and method comparison for evalcore.stats.

    .venv/bin/python bench/bench_stats.py             # timing: 10 candidates x 500 examples x 3 repeats
    .venv/bin/python bench/bench_stats.py --coverage  # coverage of the interval methods, 50-example suites

Timing covers what the dashboard does on one page load: leaderboard + pairwise + sample_size_report +
decide, with the paired bootstrap (BCa, 2,000 draws) and with the default paired t. Target: < 0.5 s.

The coverage table is the evidence behind the defaults in evalcore.stats: how often a nominal 95% interval
holds the true value, over simulated 50-example suites, for each method the module offers (and the
percentile bootstrap it does not). It runs the same vectorised cores the public functions call.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evalcore import stats  # noqa: E402


def synthetic_scores(
    n_candidates: int = 10, n_examples: int = 500, n_repeats: int = 3, seed: int = 0
) -> pd.DataFrame:
    """Long-format scores: candidates of graded skill, shared example difficulty, repeat noise, tags."""
    rng = np.random.default_rng(seed)
    skill = np.linspace(1.6, 0.6, n_candidates)
    difficulty = rng.normal(0, 1.2, n_examples)
    noise = rng.normal(0, 0.4, (n_candidates, n_examples, n_repeats))
    logit = skill[:, None, None] + difficulty[None, :, None] + noise
    value = 1 / (1 + np.exp(-logit))
    passed = rng.random(value.shape) < value
    cand = np.repeat([f"model-{i:02d}" for i in range(n_candidates)], n_examples * n_repeats)
    ex_names = np.array([f"ex-{j:04d}" for j in range(n_examples)])
    ex = np.tile(np.repeat(ex_names, n_repeats), n_candidates)
    rep = np.tile(np.arange(n_repeats), n_candidates * n_examples)
    tag_choices = [["easy"], ["hard"], ["math", "hard"], ["chat"]]
    tags_by_example = [tag_choices[j % len(tag_choices)] for j in range(n_examples)]
    tags = [tags_by_example[j] for j in np.tile(np.repeat(np.arange(n_examples), n_repeats), n_candidates)]
    return pd.DataFrame(
        {
            "candidate": cand,
            "example_id": ex,
            "repeat": rep,
            "value": value.ravel(),
            "passed": passed.ravel(),
            "tags": tags,
        }
    )


def one_page_load(df: pd.DataFrame, method: str) -> None:
    board = stats.leaderboard(df, seed=0, method=method)  # type: ignore[arg-type]
    stats.pairwise(df, seed=0, method=method)  # type: ignore[arg-type]
    sample = stats.sample_size_report(df)
    cands = [r.candidate for r in board]
    stats.decide(
        board,
        cost_per_example={c: 0.001 * (i + 1) for i, c in enumerate(cands)},
        latency_ms={c: 300.0 + 50 * i for i, c in enumerate(cands)},
        sample=sample,
    )


def bench(runs: int) -> None:
    df = synthetic_scores()
    print(f"scores: {len(df):,} rows (10 candidates x 500 examples x 3 repeats)")
    for method in ("bca", "t"):
        one_page_load(df, method)  # warm-up (imports, caches)
        times = []
        for _ in range(runs):
            stats._boot_weights.cache_clear()  # cold: every page load draws its own bootstrap indices
            t0 = time.perf_counter()
            one_page_load(df, method)
            times.append(time.perf_counter() - t0)
        label = "paired bootstrap (BCa, 2000 draws)" if method == "bca" else "paired t (default)"
        print(
            f"leaderboard + pairwise + sample_size_report + decide, {label}: "
            f"median {statistics.median(times):.3f} s over {runs} runs "
            f"(min {min(times):.3f}, max {max(times):.3f})"
        )


def bench_from_store(runs: int) -> None:
    """The same page load as the dashboard does it: Parquet -> DuckDB -> statistics -> decision text."""
    import tempfile
    from datetime import UTC, datetime

    from evalcore import analysis
    from evalcore.queries import Queries
    from evalcore.store import SCHEMA_VERSION, Workspace, write_results

    df = synthetic_scores()
    ws = Workspace(Path(tempfile.mkdtemp(prefix="evalcore-bench-stats-")))
    now = datetime.now(UTC)
    for cand, part in df.groupby("candidate"):
        results, scores = [], []
        for r in part.itertuples():
            key = {"run_id": f"run-{cand}", "suite": "bench", "example_id": r.example_id, "candidate": cand,
                   "repeat": int(r.repeat), "created_at": now, "schema_version": SCHEMA_VERSION}
            results.append({**key, "suite_version": "v1", "model": f"m/{cand}", "output": "x", "latency_ms": 300.0,
                            "cost_usd": 0.001, "cached": False, "input_tokens": 100, "output_tokens": 20})
            scores.append({**key, "scorer": "score", "value": float(r.value), "passed": bool(r.passed),
                           "detail": "{}"})
        write_results(ws, "bench", f"run-{cand}", "p0", results, scores)
    times = []
    for _ in range(runs + 1):
        q = Queries(ws)  # cold: a new connection, views created, files read
        t0 = time.perf_counter()
        board = analysis.leaderboard(q, "bench")
        analysis.decision(q, "bench", board=board)
        times.append(time.perf_counter() - t0)
        q.close()
    times = times[1:]
    print(f"from the store (Parquet -> DuckDB -> leaderboard + decision, {len(df):,} score rows): "
          f"median {statistics.median(times):.3f} s over {runs} runs (min {min(times):.3f}, max {max(times):.3f})")


# ------------------------------------------------------------------------------------------------
# Coverage table
# ------------------------------------------------------------------------------------------------


def _expit(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _ratings(rng: np.random.Generator, probs: list[float], shape: tuple[int, ...]) -> np.ndarray:
    return 1.0 + (rng.random(shape)[..., None] > np.cumsum(probs)[:-1]).sum(-1)


def mean_scenarios(rng: np.random.Generator, sims: int, n: int):
    """(name, values (sims, n), truth, bounds)."""
    yield "beta(8,2)", rng.beta(8, 2, (sims, n)), 0.8, (0, 1)
    yield "beta(1,0.2) skewed", rng.beta(1, 0.2, (sims, n)), 1 / 1.2, (0, 1)
    for p in (0.5, 0.8, 0.9, 0.97):
        yield f"0/1 at p={p}", (rng.random((sims, n)) < p).astype(float), p, (0, 1)
    u = rng.random((sims, n))
    x = np.where(u < 0.6, 1.0, np.where(u < 0.75, 0.0, rng.beta(2, 2, (sims, n))))
    yield "60% 1, 15% 0, 25% beta(2,2)", x, 0.6 + 0.25 * 0.5, (0, 1)
    probs = [0.03, 0.05, 0.12, 0.30, 0.50]
    yield "1-5 ratings, mean 4.19", _ratings(rng, probs, (sims, n)), float(np.dot(probs, range(1, 6))), (1, 5)
    probs = [0.01, 0.01, 0.03, 0.15, 0.80]
    yield "1-5 ratings, mean 4.72", _ratings(rng, probs, (sims, n)), float(np.dot(probs, range(1, 6))), (1, 5)


def paired_scenarios(rng: np.random.Generator, sims: int, n: int):
    """(name, differences (sims, n), truth). Truths of the logistic scenarios come from 2M draws."""
    big = rng.normal(0, 1.2, 2_000_000)
    e1, e2 = rng.normal(0, 0.5, (2, big.size))
    truth = float(np.mean(_expit(1.0 + big + e1) - _expit(0.8 + big + e2)))
    u = rng.normal(0, 1.2, (sims, n))
    d = _expit(1.0 + u + rng.normal(0, 0.5, (sims, n))) - _expit(0.8 + u + rng.normal(0, 0.5, (sims, n)))
    yield "continuous, shared difficulty", d, truth
    u = rng.normal(0, 1.5, (sims, n))
    p = _expit(1.5 + u)
    yield "0/1, equal candidates", (rng.random((sims, n)) < p).astype(float) - (rng.random((sims, n)) < p), 0.0
    big = rng.normal(0, 1.5, 2_000_000)
    truth = float(np.mean(_expit(3 + big) - _expit(2.5 + big)))
    u = rng.normal(0, 1.5, (sims, n))
    d = (rng.random((sims, n)) < _expit(3 + u)).astype(float) - (rng.random((sims, n)) < _expit(2.5 + u))
    yield "0/1, both near 0.9", d, truth
    u = rng.random((sims, n))
    yield "rare disagreement (5% +1, 2% -1)", np.where(u < 0.05, 1.0, np.where(u < 0.07, -1.0, 0.0)), 0.03
    u = rng.random((sims, n))
    d = np.where(u < 0.06, rng.uniform(0.6, 1.0, (sims, n)), -rng.uniform(0, 0.08, (sims, n)))
    yield "skewed: rare big wins, frequent small losses", d, 0.06 * 0.8 - 0.94 * 0.04


def null_scenarios(rng: np.random.Generator, sims: int, n: int):
    """(name, differences (sims, n), span) for two candidates drawn from the same distribution."""
    u = rng.normal(0, 1.2, (sims, n))
    a, b = (_expit(1.0 + u + rng.normal(0, 0.5, (sims, n))) for _ in range(2))
    yield "continuous scores", a - b, 1.0
    p = _expit(1.5 + rng.normal(0, 1.5, (sims, n)))
    yield "pass/fail", (rng.random((sims, n)) < p).astype(float) - (rng.random((sims, n)) < p), 1.0
    probs = [0.03, 0.05, 0.12, 0.30, 0.50]
    yield "1-5 ratings", _ratings(rng, probs, (sims, n)) - _ratings(rng, probs, (sims, n)), 4.0


def coverage(sims: int, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    conf = 0.95
    print(f"Coverage of nominal 95% intervals, {sims:,} simulated suites of n={n} examples\n")
    print(f"{'mean of scores':44s} {'t':>7s} {'score':>7s}  (default: score)")
    for name, x, truth, (lo, hi) in mean_scenarios(rng, sims, n):
        cells = []
        for method in ("t", "score"):
            _, low, high, _ = stats._mean_rows(x, lo, hi, conf, method)  # type: ignore[arg-type]
            cells.append(f"{np.mean((low <= truth) & (truth <= high)):7.3f}")
        print(f"{name:44s} {' '.join(cells)}")
    print(f"\n{'paired difference':44s} {'t':>7s} {'BCa':>7s} {'perc.':>7s}  (default: t)")
    weights = stats._boot_weights(n, stats.DEFAULT_N_BOOT, seed)
    for name, d, truth in paired_scenarios(rng, sims, n):
        _, tl, th, _, _ = stats._paired_t_rows(d, 1.0, conf)
        _, bl, bh, _, _ = stats._paired_bca_rows(d, weights, 1.0, conf)
        boot = d @ weights.T / n
        pl, ph = np.quantile(boot, [0.025, 0.975], axis=1)
        cells = [f"{np.mean((lo <= truth) & (truth <= hi)):7.3f}" for lo, hi in ((tl, th), (bl, bh), (pl, ph))]
        print(f"{name:44s} {' '.join(cells)}")
    print(f"\n{'false positives, truly equal candidates':44s} {'t':>7s} {'BCa':>7s}  (p < 0.05; nominal 0.05)")
    for name, d, span in null_scenarios(rng, sims, n):
        t_p = stats._paired_t_rows(d, span, conf)[3]
        b_p = stats._paired_bca_rows(d, weights, span, conf)[3]
        print(f"{name:44s} {np.mean(t_p < 0.05):7.3f} {np.mean(b_p < 0.05):7.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7, help="timed runs per method (default 7)")
    ap.add_argument("--coverage", action="store_true", help="print the interval coverage table instead")
    ap.add_argument("--sims", type=int, default=4000, help="simulated suites for --coverage (default 4000)")
    ap.add_argument("--n", type=int, default=50, help="examples per simulated suite (default 50)")
    args = ap.parse_args()
    if args.coverage:
        coverage(args.sims, args.n, seed=20261101)
    else:
        bench(args.runs)
        bench_from_store(args.runs)


if __name__ == "__main__":
    main()
