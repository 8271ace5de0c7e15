"""Benchmark and method comparison for evalcore.stats.

    .venv/bin/python bench/bench_stats.py             # timing: 10 candidates x 500 examples x 3 repeats
    .venv/bin/python bench/bench_stats.py --coverage  # validation figures per score shape (README's table)

Timing covers what the dashboard does on one page load: leaderboard + pairwise + recommend (with its
sample-size report), in memory and from the store. Target: < 0.5 s.

--coverage prints, per score shape, the figures the README quotes: interval coverage, type-I error of the paired
test, "could be best" containment and how often the recommendation picks a candidate worse than the best by the
margin. Same simulations and cores as tests/evalcore/test_stats_validation.py, with more replications. Paired
cells also print each side's miss (the interval above the truth / below it, nominal 2.5% each) and, for equal
candidates, each one-sided test's rejections at 2.5%: a miss on one side is what makes the non-inferiority test
behind the recommendation anti-conservative, and coverage alone hides it (95.5% can be 4.3% + 0.2%).
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


def one_page_load(df: pd.DataFrame) -> None:
    stats.leaderboard(df, seed=0)
    stats.pairwise(df, seed=0)
    stats.recommend(df, cost_per_example={c: 0.001 for c in df["candidate"].unique()})


def bench(runs: int) -> None:
    df = synthetic_scores()
    print(f"scores: {len(df):,} rows (10 candidates x 500 examples x 3 repeats)")
    one_page_load(df)  # warm-up (imports)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        one_page_load(df)
        times.append(time.perf_counter() - t0)
    print(f"leaderboard + pairwise + recommend (incl. sample-size report): median {statistics.median(times):.3f} s "
          f"over {runs} runs (min {min(times):.3f}, max {max(times):.3f})")


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
        analysis.recommendation(q, "bench", board=board)
        times.append(time.perf_counter() - t0)
        q.close()
    times = times[1:]
    print(f"from the store (Parquet -> DuckDB -> leaderboard + recommendation, {len(df):,} score rows): "
          f"median {statistics.median(times):.3f} s over {runs} runs (min {min(times):.3f}, max {max(times):.3f})")


# ------------------------------------------------------------------------------------------------
# Validation figures (the same simulations as tests/evalcore/test_stats_validation.py, more replications)
# ------------------------------------------------------------------------------------------------


def coverage(reps: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "evalcore"))
    import test_stats_validation as v
    from stats_shapes import (HELD_OUT_DIFF, HELD_OUT_NULL, MEAN_SHAPES, PAIRED_DIFF, PAIRED_NULL, SKEW_CHECK_DIFF,
                              SKEW_CHECK_NULL)

    from evalcore.stats.decision import noninferior_rows
    from evalcore.stats.intervals import mean_rows
    from evalcore.stats.paired import one_sided_p, paired_rows
    from evalcore.stats.ranking import could_be_best_rows

    def diff_cell(r, truth: float) -> str:  # coverage (interval above the truth / below it)
        return f"{v.covered(r.low, r.high, truth):.1%} ({np.mean(r.low > truth):.1%}/{np.mean(r.high < truth):.1%})"

    def null_cell(d: np.ndarray, r, span: float) -> str:  # two-sided type-I [one-sided at 2.5%: mean > 0 / mean < 0]
        up, down = np.mean(one_sided_p(d, 0.0, span) < 0.025), np.mean(one_sided_p(-d, 0.0, span) < 0.025)
        return f"{np.mean(r.p < 0.05):.1%} [{up:.1%}/{down:.1%}]"

    print(f"nominal 95% intervals, {reps:,} replications per cell (Monte Carlo SE ~{(0.05 * 0.95 / reps) ** .5:.1%})")
    print("\nmean of one candidate (score interval), coverage by n:")
    for name, (make, ns) in MEAN_SHAPES.items():
        cells = []
        for n in ns:
            x, truth, (lo, hi) = make(v.rng_for("bench-mean", name, n), reps, n)
            _, low, high, _ = mean_rows(x, lo, hi, 0.95)
            cells.append(f"n={n}: {v.covered(low, high, truth):.1%}")
        print(f"  {name:50s} " + "  ".join(cells))
    print("\npaired test, equal candidates: type-I error at 5% [one-sided rejections at 2.5%, mean > 0 / mean < 0]"
          " by n:")
    for name, make in PAIRED_NULL.items():
        cells = []
        for n in (20, 50, 200):
            a, b, _, (lo, hi) = make(v.rng_for("bench-null", name, n), reps, n)
            r = paired_rows(a - b, hi - lo)
            cells.append(f"n={n}: {null_cell(a - b, r, hi - lo)}")
        print(f"  {name:50s} " + "  ".join(cells))
    print("\npaired difference, different candidates: coverage (interval above the truth / below it) by n:")
    for name, make in PAIRED_DIFF.items():
        cells = []
        for n in (20, 50, 200):
            a, b, truth, (lo, hi) = make(v.rng_for("bench-diff", name, n), reps, n)
            cells.append(f"n={n}: {diff_cell(paired_rows(a - b, hi - lo), truth)}")
        print(f"  {name:50s} " + "  ".join(cells))
    sections = (("held-out paired shapes (the skewness-corrected end was chosen on the diff ones)",
                 "bench-held-out", HELD_OUT_NULL, HELD_OUT_DIFF),
                ("second hold-out, skewed (written before that choice; samples with none of the rare large"
                 " differences stay anti-conservative)", "bench-skew-check", SKEW_CHECK_NULL, SKEW_CHECK_DIFF))
    for title, seed, nulls, diffs in sections:
        print(f"\n{title}: type-I [one-sided], then coverage (above/below), by n:")
        for kind, shapes in (("null", nulls), ("diff", diffs)):
            for name, make in shapes.items():
                cells = []
                for n in (30, 50, 100, 200):
                    a, b, truth, (lo, hi) = make(v.rng_for(seed, kind, name, n), reps, n)
                    r = paired_rows(a - b, hi - lo)
                    cells.append(f"n={n}: {null_cell(a - b, r, hi - lo) if kind == 'null' else diff_cell(r, truth)}")
                print(f"  {kind} {name[:58]:58s} " + "  ".join(cells))
    for n in (50, 200):
        print(f"\nleaderboard, 5 candidates on {n} examples: share of boards whose 'could be best' set holds")
        for kind in v.BOARDS:
            boards, (lo, hi) = v._board(kind, v.rng_for("bench-board", kind, n), reps, n)
            could = could_be_best_rows(boards, hi - lo)
            best = [0, 1] if kind != "all equal 0/1" else list(range(5))
            each = could[:, best].mean(axis=0).min()
            print(f"  {kind:50s} each true best: >= {each:.1%}; all of them at once: "
                  f"{np.mean(could[:, best].all(axis=1)):.1%} (mean set size {could.sum(1).mean():.1f})")
    print("\nwinner's curse: 10 equal, independent candidates on 50 examples, coverage of the top one's interval:")
    curse = (("0/1 at p = 0.9", v.binary(0.9)), ("near-ceiling 90%, partial credit", v.ceiling(0.9, "uniform")))
    for label, make in curse:
        x, truth, _ = make(v.rng_for("bench-curse", label), reps * 10, 50)
        x = x.reshape(reps, 10, 50)
        top = x.mean(axis=2).argmax(axis=1)
        _, low, high, _ = mean_rows(x[np.arange(reps), top], 0.0, 1.0, 0.95)
        print(f"  {label:50s} {v.covered(low, high, truth):.1%} (any one candidate: ~95%)")
    print("\nrecommendation: the cheapest candidate worse than the best by exactly the margin, 400 examples;"
          " share of boards where it is picked (<= 5% required), and where an equal cheap one is picked (power):")
    for shape in ("0/1", "near-ceiling"):
        rng = v.rng_for("bench-rec", shape)
        base = (v.binary(0.9) if shape == "0/1" else v.ceiling(0.9, "uniform"))(rng, reps, 400)[0]
        drop = rng.random(base.shape) < 0.02 / base.mean()
        worse = np.where(drop, 0.0, base)
        margin = float(np.mean(base - worse))
        equal = np.where(rng.random(base.shape) < 0.5, base, np.roll(base, 1, axis=1))
        ni = noninferior_rows(np.stack([base, equal, worse], axis=1), margin, 1.0)
        ni_equal = noninferior_rows(np.stack([base, worse, equal], axis=1), margin, 1.0)
        print(f"  {shape:50s} worse-by-margin picked {np.mean(ni[:, 2]):.1%}; "
              f"equal picked {np.mean(ni_equal[:, 2]):.1%}")
    print("\nrecommendation, skewed: cheap = A partial credit uniform 95%, best = B near misses 90% (cheap worse by"
          " 1/60); share of boards where the cheap one is picked, by margin (1/60: on the boundary):")
    make = HELD_OUT_DIFF[v.REC_SKEW]
    for n in (50, 100, 200, 400):
        a, b, truth, _ = make(v.rng_for("bench-recommend-skew", n), reps, n)
        boards = np.stack([b, a], axis=1)
        picked = {m: np.mean(noninferior_rows(boards, m, 1.0)[:, 1]) for m in (0.005, 0.01, -truth)}
        print(f"  n={n:<4d} " + "  ".join(f"margin {m:.4f}: {rate:.1%}" for m, rate in picked.items()))
    print("\nnon-inferiority at the margin, pass/fail: the worse candidate shown to lose at most its true gap (<= 2.5%"
          " nominal), by n:")
    for name, make in v.NI_BOUNDARY.items():
        cells = []
        for n in (50, 200, 400):
            worse, better, gap, (lo, hi) = make(v.rng_for("bench-ni-boundary", name, n), reps, n)
            cells.append(f"n={n}: {np.mean(one_sided_p(worse - better, gap, hi - lo) < 0.025):.1%}")
        print(f"  {name:50s} " + "  ".join(cells))
    print("\nseveral candidates at the margin: the best and k - 1 cheaper ones, each worse by exactly the margin"
          " (0.02), 400 examples; share of boards where one of them is picked (each at 2.5%, no adjustment over"
          " candidates):")
    for shape in ("0/1", "near-ceiling"):
        for k in (3, 5, 10):
            rng = v.rng_for("bench-several", shape, k)
            base = (v.binary(0.9) if shape == "0/1" else v.ceiling(0.9, "uniform"))(rng, reps // 2, 400)[0]
            worse = [np.where(rng.random(base.shape) < 0.02 / base.mean(), 0.0, base) for _ in range(k - 1)]
            gap = float(np.mean([np.mean(base - w) for w in worse]))
            ni = noninferior_rows(np.stack([base, *worse], axis=1), gap, 1.0)
            print(f"  {shape:12s} k={k:<3d} a worse one picked {np.mean(ni[:, 1:].any(axis=1)):.1%}; "
                  f"each {np.mean(ni[:, 1:]):.1%}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7, help="timed runs (default 7)")
    ap.add_argument("--coverage", action="store_true", help="print the validation figures per shape instead")
    ap.add_argument("--sims", type=int, default=10000, help="replications per cell for --coverage (default 10000)")
    args = ap.parse_args()
    if args.coverage:
        coverage(args.sims)
    else:
        bench(args.runs)
        bench_from_store(args.runs)


if __name__ == "__main__":
    main()
