"""The static report on the demo suite: `evalcore report` written as HTML and as Markdown, each timed as a whole
CLI process started cold (what a person or a CI job waits for), with its size. Targets (issue 12): under 5 s and
under 5 MB. Also prints each process's CPU time (less sensitive to other load than the wall clock) and, in one
process, where the time of a warm build goes (gathering the numbers vs drawing the charts).

    python bench/bench_report.py [--trials 3] [--workspace DIR]

Builds the demo workspace (`evalcore demo`) in a temporary folder unless --workspace names a built one. Writes
bench/results/report.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUITE = "invoice-extraction"
ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "evalcore.cli"]
TARGET_S = 5.0
TARGET_BYTES = 5_000_000


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(":"),
            "LITELLM_LOCAL_MODEL_COST_MAP": "True", "HF_HUB_OFFLINE": "1"}


def _timed(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) for one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=_env(), cwd=ROOT, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _in_process(ws: Path) -> dict[str, float]:
    """A warm build in this process: gathering (queries and statistics) and rendering (charts) separately."""
    sys.path.insert(0, str(ROOT))
    from evalcore import report as rep

    rep.build_report(ws, SUITE)  # warm: imports, DuckDB views, the chart renderer's engine
    start = time.perf_counter()
    doc = rep.report(ws, SUITE)
    gathered = time.perf_counter() - start
    start = time.perf_counter()
    rep.render(doc, "html")
    html_s = time.perf_counter() - start
    start = time.perf_counter()
    rep.render(doc, "md")
    md_s = time.perf_counter() - start
    return {"gather_s": gathered, "render_html_s": html_s, "render_md_s": md_s}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--workspace", type=Path, default=None, help="a built demo workspace (default: build one)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws = args.workspace or Path(tmp) / "ws"
        if args.workspace is None:
            subprocess.run([*CLI, "demo", "--workspace", str(ws)], check=True, env=_env(), cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        load = os.getloadavg()[0]
        results: dict[str, dict[str, object]] = {}
        for kind in ("html", "md"):
            out = Path(tmp) / f"report.{kind}"
            runs = [_timed([*CLI, "report", "--suite", SUITE, "--workspace", str(ws), "--out", str(out)])
                    for _ in range(args.trials)]
            walls, cpus = [w for w, _ in runs], [c for _, c in runs]
            results[kind] = {"wall_s": walls, "cpu_s": cpus, "median_wall_s": statistics.median(walls),
                             "median_cpu_s": statistics.median(cpus), "bytes": out.stat().st_size}
        warm = _in_process(ws)
    print(f"evalcore report on the demo suite ({SUITE}), {args.trials} cold CLI processes each; "
          f"load average {load:.1f} at the start\n")
    print(f"{'format':8} {'median wall':>12} {'min-max wall':>16} {'median CPU':>11} {'size':>10}   target")
    for kind, r in results.items():
        walls = r["wall_s"]
        assert isinstance(walls, list)
        met = r["median_wall_s"] < TARGET_S and int(r["bytes"]) < TARGET_BYTES  # type: ignore[operator,call-overload]
        print(f"{kind:8} {r['median_wall_s']:11.2f}s {min(walls):7.2f}-{max(walls):.2f} s {r['median_cpu_s']:10.2f}s "
              f"{int(r['bytes']) / 1e6:8.2f} MB   < {TARGET_S:.0f} s and < 5 MB: {'met' if met else 'NOT met'}")
    print(f"\nwarm, in one process: gathering {warm['gather_s']:.2f} s, HTML with 3 charts "
          f"{warm['render_html_s']:.2f} s, Markdown {warm['render_md_s']:.2f} s")
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "report.json").write_text(json.dumps({"load_average": load, "trials": args.trials, **results,
                                                     "warm": warm}, indent=2))


if __name__ == "__main__":
    main()
