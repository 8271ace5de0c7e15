"""Runner benchmark: 2,000 calls (500 examples x 4 candidates) to a local server with 200 ms latency.

Targets (issue 2): wall time <= 1.3x the ideal 12.5 s at concurrency 32; `evalcore --help` < 0.5 s; rerun of a
finished run sends 0 requests in < 3 s; kill -9 then rerun loses nothing and duplicates nothing; with 20%
429/500 injected the run completes with exactly one row per (example, candidate, repeat).

Run:  .venv/bin/python bench/bench_runner.py [--examples 500] [--quick]
Prints a table of figures and writes bench/results/runner.json.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evalcore.fakeserver import ServerProcess  # noqa: E402

LATENCY_MS = 200
CONCURRENCY = 32
CANDIDATES = 4


def write_suite(folder: Path, base_url: str, n: int, *, max_attempts: int = 5) -> Path:
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "examples.jsonl", "w") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"e{i:04d}", "input": f"Invoice {i}: 3 x widget @ 4.50", "expected": "widget",
                                "tags": ["clean"] if i % 4 else ["edge"]}) + "\n")
    suite = {
        "name": "bench", "prompt": "Extract the items: {{ input }}", "dataset": "examples.jsonl",
        "candidates": [{"name": f"m{k}", "model": f"openai/bench-{k}", "api_base": base_url,
                        "input_price_per_mtok": 0.15, "output_price_per_mtok": 0.6} for k in range(CANDIDATES)],
        "scorers": [{"type": "contains", "value": "widget"}],
        "run": {"concurrency": CONCURRENCY, "per_candidate": CONCURRENCY, "timeout_s": 30,
                "max_attempts": max_attempts, "backoff_s": 0.05},
    }
    path = folder / "suite.yaml"
    path.write_text(yaml.safe_dump(suite))
    return path


def cli(args: list[str], env: dict[str, str] | None = None) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "evalcore.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=ROOT)
    return time.perf_counter() - started, proc


def bare_litellm_cpu_ms(base_url: str, n: int = 400) -> float:
    """CPU ms per call of a bare litellm.acompletion loop, for 'evalcore overhead beyond litellm'."""
    code = f"""
import asyncio, os, time
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
import litellm
litellm.suppress_debug_info = True
async def main():
    sem = asyncio.Semaphore({CONCURRENCY})
    async def one(i):
        async with sem:
            await litellm.acompletion(model="openai/bare", api_base="{base_url}", api_key="x", max_retries=0,
                                      messages=[{{"role": "user", "content": f"Extract the items: Invoice {{i}}"}}])
    await asyncio.gather(*(one(i) for i in range(20)))
    c0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one(i) for i in range({n})))
    print((time.process_time() - c0) / {n} * 1000, time.perf_counter() - t0)
asyncio.run(main())
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.split()
    return float(out[0])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--examples", type=int, default=500)
    p.add_argument("--quick", action="store_true", help="skip the fault-injection and kill -9 checks")
    args = p.parse_args()
    n_calls = args.examples * CANDIDATES
    ideal = n_calls * LATENCY_MS / 1000 / CONCURRENCY
    figures: dict[str, object] = {"calls": n_calls, "ideal_s": ideal}
    tmp = Path(tempfile.mkdtemp(prefix="evalcore-bench-"))

    t, proc = cli(["--help"])
    t2, _ = cli(["--help"])
    figures["help_s"] = round(min(t, t2), 3)

    from evalcore.runner import run_suite
    from evalcore.suite import load_suite

    with ServerProcess(latency_ms=LATENCY_MS) as srv:
        suite = load_suite(write_suite(tmp / "suite", srv.base_url, args.examples))
        ws = tmp / "ws"
        first: list[float] = []

        def on_progress(p: object) -> None:
            if getattr(p, "sent", 0) and not first:
                first.append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        s1 = run_suite(suite, ws, progress=on_progress)
        wall = time.perf_counter() - t0
        stats = srv.stats()
        # startup: planning, cache lookup and the workers' litellm import, before the first answer (less its latency)
        startup = first[0] - LATENCY_MS / 1000 if first else 0.0
        figures.update(run_wall_s=round(wall, 2), ratio_to_ideal=round(wall / ideal, 3),
                       startup_s=round(startup, 2), call_phase_s=round(wall - startup, 2),
                       call_phase_ratio=round((wall - startup) / ideal, 3), workers=s1.workers,
                       requests=stats["requests"], errors=s1.errors,
                       cpu_ms_per_call=round(s1.cpu_s / n_calls * 1000, 2))
        figures["bare_litellm_cpu_ms_per_call"] = round(bare_litellm_cpu_ms(srv.base_url), 2)
        figures["evalcore_overhead_cpu_ms_per_call"] = round(
            figures["cpu_ms_per_call"] - figures["bare_litellm_cpu_ms_per_call"], 2)  # type: ignore[operator]

        srv.reset()
        t_rerun, proc = cli(["run", str(tmp / "suite" / "suite.yaml"), "--workspace", str(ws)])
        figures.update(rerun_cli_s=round(t_rerun, 2), rerun_requests=srv.stats()["requests"])

    if not args.quick:
        # kill -9 at a random moment, then rerun
        with ServerProcess(latency_ms=LATENCY_MS) as srv:
            path = write_suite(tmp / "kill", srv.base_url, args.examples)
            ws = tmp / "ws-kill"
            env = {"EVALCORE_WORKSPACE": str(ws)}
            proc2 = subprocess.Popen([sys.executable, "-m", "evalcore.cli", "run", str(path)], cwd=ROOT,
                                     env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            import random

            delay = random.uniform(6.0, 12.0)
            time.sleep(delay)
            proc2.send_signal(signal.SIGKILL)
            proc2.wait()
            time.sleep(0.5)
            for child in _orphans("evalcore"):
                os.kill(child, signal.SIGKILL)
            journaled = sum(p.read_text().count("\n") for p in (ws / "journal").rglob("*.jsonl"))
            srv.reset()
            s2 = run_suite(load_suite(path), ws)
            q_rows = _rows(ws, s2.run_id)
            figures.update(kill_after_s=round(delay, 1), kill_results_kept=journaled, kill_rerun_sent=s2.sent,
                           kill_rerun_requests=srv.stats()["requests"], kill_rows=q_rows[0],
                           kill_unique_keys=q_rows[1], kill_resumed=s2.resumed,
                           kill_ok=bool(s2.resumed and q_rows[0] == q_rows[1] == n_calls
                                        and s2.sent == n_calls - journaled))
        # 20% injected failures (10% 429 + 10% 500)
        with ServerProcess(latency_ms=LATENCY_MS, fail_429=0.1, fail_500=0.1, retry_after=0.2) as srv:
            path = write_suite(tmp / "faults", srv.base_url, args.examples, max_attempts=8)
            ws = tmp / "ws-faults"
            t0 = time.perf_counter()
            s3 = run_suite(load_suite(path), ws)
            rows, unique = _rows(ws, s3.run_id)
            figures.update(faults_wall_s=round(time.perf_counter() - t0, 2), faults_requests=srv.stats()["requests"],
                           faults_status=srv.stats()["by_status"], faults_rows=rows, faults_unique_keys=unique,
                           faults_errors=s3.errors, faults_ok=rows == unique == n_calls)

    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "runner.json").write_text(json.dumps(figures, indent=2))
    for k, v in figures.items():
        print(f"{k:38s} {v}")


def _rows(ws: Path, run_id: str) -> tuple[int, int]:
    from evalcore.queries import Queries

    df = Queries(ws).current_results("bench", run_id)
    return len(df), len(df.drop_duplicates(["example_id", "candidate", "repeat"]))


def _orphans(name: str) -> list[int]:
    """Worker processes left behind by a killed run (their parent was killed, they were not)."""
    out = subprocess.run(["pgrep", "-f", "multiprocessing.forkserver"], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


if __name__ == "__main__":
    main()
