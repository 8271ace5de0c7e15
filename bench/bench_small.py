"""Speed of the everyday library calls that unit tests used to time: reading a 10,000-row CSV and the agreement
statistics with their bootstrap on 500 units. Figures only, side by side with targets; never asserted in tests.

    python bench/bench_small.py
"""

from __future__ import annotations

import csv
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from evalcore.agreement import cohen_kappa, fleiss_kappa, krippendorff_alpha
from evalcore.ingest import load_examples


def _best(fn, trials: int = 5) -> tuple[float, float]:
    fn()  # warm up
    times = []
    for _ in range(trials):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main() -> None:
    rows = [["id", "input", "expected", "tags"]] + [
        [f"ex-{i}", f"Invoice {i}: widget, qty {i % 7}; \"total\" {i * 3}\nsecond line", f'{{"t": {i}}}', "a, b"]
        for i in range(10_000)
    ]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "big.csv"
        with open(path, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(rows)
        results = [("load_examples, 10,000 CSV rows with quoted newlines", 1.0, *_best(lambda: load_examples(path)))]
    rng = np.random.default_rng(0)
    truth = rng.integers(1, 6, 500)
    full = np.array([np.where(rng.random(500) < 0.7, truth, rng.integers(1, 6, 500)) for _ in range(3)]).astype(float)
    data = full.copy()
    data[rng.random(data.shape) < 0.1] = np.nan
    results += [
        ("cohen_kappa (quadratic), 500 units, bootstrap", 1.0, *_best(lambda: cohen_kappa(full[0], full[1],
                                                                                       weights="quadratic"))),
        ("fleiss_kappa, 500 units x 3 raters, bootstrap", 1.0, *_best(lambda: fleiss_kappa(full.T))),
        *((f"krippendorff_alpha ({lv}), 500 units, 10% missing", 1.0,
           *_best(lambda lv=lv: krippendorff_alpha(data, level=lv))) for lv in ("nominal", "ordinal", "interval")),
    ]
    print(f"{'what':58} {'target':>8} {'best':>8} {'median':>8}")
    for what, target, best, median in results:
        print(f"{what:58} {'< ' + format(target, '.1f') + ' s':>8} {best:7.3f}s {median:7.3f}s")


if __name__ == "__main__":
    main()
