"""Real-size prompts (issue 13): evalcore against the bare clients, side by side in one process tree.

Workload A: 500 examples of ~1,900 characters (~300 tokens) x 4 candidates without a price, 200 ms latency,
concurrency 32 (ideal 12.5 s). Each trial runs, in turn: the cold `evalcore run` CLI, the same CLI with
EVALCORE_CLIENT=litellm (the switch back), warm `run_suite` in this process, a bare `litellm.acompletion` loop in
one process, and a raw aiohttp loop in one process (the floor). The fake server reports its active window (first
request to last answer) and when its first request came. Medians over the trials.

Workload B (local server): 10,000 calls (2,500 examples x 4), 50 ms latency, concurrency 256: calls/s of evalcore
(warm and cold) against the aiohttp floor's.

Run:  .venv/bin/python bench/bench_runner.py --workload realsize [--trials 3]
Prints a table with the targets beside the measurements and writes bench/results/realsize.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent

CANDIDATES = 4
PROMPT = "Extract every line item of this invoice as JSON (item, quantity, unit price):\n{{ input }}"
_LINES = ["widget", "bracket", "hinge", "gasket", "bolt M8", "washer", "spring", "cable tie", "valve", "sensor"]


def real_input(i: int, chars: int = 1900) -> str:
    """A deterministic invoice of about `chars` characters (~300 tokens), different for every i."""
    parts = [f"Invoice {i:05d} from Example Supplies Ltd., 14 Harbour Road, Leith. Customer ref C-{i * 7 % 9973}."]
    k = 0
    while sum(map(len, parts)) < chars - 80:
        item = _LINES[(i + k) % len(_LINES)]
        parts.append(f"Line {k + 1}: {(i + k) % 9 + 1} x {item} (part {1000 + (i * 31 + k) % 9000}) @ "
                     f"{((i + 3 * k) % 50) + 0.5:.2f} EUR each, delivery week {(i + k) % 52 + 1}.")
        k += 1
    parts.append("Payment within 30 days. Thank you for your business.")
    return " ".join(parts)[:chars]


def messages(i: int) -> list[dict[str, str]]:
    return [{"role": "user", "content": PROMPT.replace("{{ input }}", real_input(i))}]


def write_suite(folder: Path, base_url: str, n: int, concurrency: int) -> Path:
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "examples.jsonl", "w") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"e{i:05d}", "input": real_input(i), "expected": "widget"}) + "\n")
    suite = {
        "name": "realsize", "prompt": PROMPT, "dataset": "examples.jsonl",
        "candidates": [{"name": f"m{k}", "model": f"openai/real-{k}", "api_base": base_url}  # no price: unknown
                       for k in range(CANDIDATES)],
        "scorers": [{"type": "contains", "value": "widget"}],
        "run": {"concurrency": concurrency, "per_candidate": concurrency, "timeout_s": 60, "max_attempts": 5,
                "backoff_s": 0.05},
    }
    path = folder / "suite.yaml"
    path.write_text(yaml.safe_dump(suite))
    return path


# A client loop in its own process: every (example, candidate) once, `concurrency` in flight. It prints JSON:
# the loop's wall (first send to last answer), the import time, and errors.
_LOOP = r'''
import asyncio, json, os, sys, time
t_start = time.perf_counter()
sys.path.insert(0, {bench!r})
from bench_realsize import messages
url, n, cands, conc, kind = {url!r}, {n}, {cands}, {conc}, {kind!r}
if kind == "litellm":
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    import litellm
    litellm.suppress_debug_info = True
else:
    import aiohttp
imported = time.perf_counter() - t_start
work = [(i, k) for i in range(n) for k in range(cands)]

async def main():
    sem = asyncio.Semaphore(conc)
    errors = 0
    if kind == "litellm":
        async def one(i, k):
            nonlocal errors
            async with sem:
                try:
                    await litellm.acompletion(model=f"openai/real-{{k}}", api_base=url, api_key="x", max_retries=0,
                                              messages=messages(i), timeout=60)
                except Exception:
                    errors += 1
        t0 = time.perf_counter()
        await asyncio.gather(*(one(i, k) for i, k in work))
        return time.perf_counter() - t0, errors
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as s:
        async def one(i, k):
            nonlocal errors
            async with sem:
                body = json.dumps({{"model": f"real-{{k}}", "messages": messages(i)}}).encode()
                async with s.post(url + "/chat/completions", data=body,
                                  headers={{"Content-Type": "application/json", "Authorization": "Bearer x"}}) as r:
                    data = json.loads(await r.read())
                    errors += r.status != 200 or not data.get("choices")
        t0 = time.perf_counter()
        await asyncio.gather(*(one(i, k) for i, k in work))
        return time.perf_counter() - t0, errors

wall, errors = asyncio.run(main())
print(json.dumps({{"loop_s": wall, "import_s": imported, "errors": errors, "cpu_s": time.process_time()}}))
'''


def client_loop(kind: str, url: str, n: int, concurrency: int) -> dict[str, float]:
    code = _LOOP.format(bench=str(BENCH), url=url, n=n, cands=CANDIDATES, conc=concurrency, kind=kind)
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - started
    if out.returncode != 0:
        raise RuntimeError(f"{kind} loop failed: {out.stderr[-2000:]}")
    res = json.loads(out.stdout.strip().splitlines()[-1])
    return {**res, "process_s": wall}


def cli_run(path: Path, ws: Path, env: dict[str, str] | None = None, *extra: str) -> tuple[float, float]:
    """(wall, monotonic start) of a cold `evalcore run` in a fresh process."""
    t0 = time.monotonic()
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "evalcore.cli", "run", str(path), "--workspace", str(ws), *extra],
                          capture_output=True, text=True, env={**os.environ, **(env or {})}, cwd=ROOT)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"evalcore run failed: {proc.stderr[-2000:]}")
    return wall, t0


def _median(values: list[float]) -> float:
    v = sorted(values)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def _spread(values: list[float]) -> dict[str, float]:
    return {"median": round(_median(values), 3), "min": round(min(values), 3), "max": round(max(values), 3)}


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def workload_a(tmp: Path, trials: int, examples: int = 500, latency_ms: int = 200, concurrency: int = 32,
               with_litellm_cli: bool = True) -> dict[str, Any]:
    from bench_runner import Steal  # noqa: I001 - beside this file

    from evalcore.fakeserver import ServerProcess
    from evalcore.runner import run_suite, start_workers
    from evalcore.suite import load_suite

    n_calls = examples * CANDIDATES
    ideal = n_calls * latency_ms / 1000 / concurrency
    rows: dict[str, list[float]] = {}

    def add(name: str, value: float) -> None:
        rows.setdefault(name, []).append(value)

    loads: list[str] = []
    with ServerProcess(latency_ms=latency_ms) as srv:
        path = write_suite(tmp / "a-suite", srv.base_url, examples, concurrency)
        suite = load_suite(path)
        for t in range(trials):
            loads.append(_load())
            srv.reset()
            with Steal() as steal:
                wall, t0 = cli_run(path, tmp / f"a-cold-{t}")
            st = srv.stats()
            assert st["completed"] == n_calls, st
            add("cold_wall_s", wall)
            add("cold_active_s", st["active_s"])
            add("cold_first_request_s", st["first_request_at"] - t0)
            add("cold_max_inflight", st["max_inflight"])
            add("steal_pct", steal.percent or 0.0)
            srv.reset()
            wall, t0 = cli_run(path, tmp / f"a-cold-w3-{t}", None, "--workers", "3")
            st = srv.stats()
            assert st["completed"] == n_calls, st
            add("cold_w3_wall_s", wall)
            add("cold_w3_active_s", st["active_s"])
            add("cold_w3_first_request_s", st["first_request_at"] - t0)
            if with_litellm_cli:
                srv.reset()
                wall, t0 = cli_run(path, tmp / f"a-cold-litellm-{t}", {"EVALCORE_CLIENT": "litellm"})
                st = srv.stats()
                assert st["completed"] == n_calls, st
                add("litellm_cli_wall_s", wall)
                add("litellm_cli_active_s", st["active_s"])
                add("litellm_cli_first_request_s", st["first_request_at"] - t0)
            start_workers(wait=True, litellm=False)  # what run_suite starts for these calls, loaded ahead
            srv.reset()
            started = time.perf_counter()
            summary = run_suite(suite, tmp / f"a-warm-{t}")
            add("warm_wall_s", time.perf_counter() - started)
            st = srv.stats()
            assert st["completed"] == n_calls and summary.errors == 0, (st, summary)
            add("warm_active_s", st["active_s"])
            add("warm_workers", summary.workers)
            add("warm_cpu_ms_per_call", summary.cpu_s / n_calls * 1000)
            for kind in ("litellm", "aiohttp"):
                srv.reset()
                res = client_loop(kind, srv.base_url, examples, concurrency)
                assert res["errors"] == 0 and srv.stats()["completed"] == n_calls
                add(f"{kind}_loop_s", res["loop_s"])
                add(f"{kind}_process_s", res["process_s"])
                add(f"{kind}_cpu_ms_per_call", res["cpu_s"] / n_calls * 1000)
    out: dict[str, Any] = {"calls": n_calls, "ideal_s": ideal, "latency_ms": latency_ms, "concurrency": concurrency,
                           "trials": trials, "loadavg": loads}
    out.update({k: _spread(v) for k, v in rows.items()})
    return out


def workload_b(tmp: Path, trials: int, examples: int = 2500, latency_ms: int = 50,
               concurrency: int = 256) -> dict[str, Any]:
    from evalcore.fakeserver import ServerProcess
    from evalcore.runner import run_suite, start_workers
    from evalcore.suite import load_suite

    n_calls = examples * CANDIDATES
    rows: dict[str, list[float]] = {}
    loads: list[str] = []
    with ServerProcess(latency_ms=latency_ms) as srv:
        path = write_suite(tmp / "b-suite", srv.base_url, examples, concurrency)
        suite = load_suite(path)
        for t in range(trials):
            loads.append(_load())
            srv.reset()
            res = client_loop("aiohttp", srv.base_url, examples, concurrency)
            assert res["errors"] == 0
            rows.setdefault("floor_calls_per_s", []).append(n_calls / res["loop_s"])
            start_workers(wait=True, litellm=False)
            srv.reset()
            started = time.perf_counter()
            summary = run_suite(suite, tmp / f"b-warm-{t}")
            wall = time.perf_counter() - started
            st = srv.stats()
            assert st["completed"] == n_calls and summary.errors == 0, (st, summary)
            rows.setdefault("warm_calls_per_s", []).append(n_calls / wall)
            rows.setdefault("warm_active_calls_per_s", []).append(n_calls / st["active_s"])
            rows.setdefault("warm_workers", []).append(summary.workers)
            srv.reset()
            wall, _ = cli_run(path, tmp / f"b-cold-{t}")
            st = srv.stats()
            rows.setdefault("cold_calls_per_s", []).append(n_calls / wall)
            rows.setdefault("cold_active_calls_per_s", []).append(n_calls / st["active_s"])
            r = rows
            r.setdefault("warm_share_of_floor", []).append(r["warm_calls_per_s"][-1] / r["floor_calls_per_s"][-1])
            r.setdefault("warm_active_share_of_floor", []).append(
                r["warm_active_calls_per_s"][-1] / r["floor_calls_per_s"][-1])
            r.setdefault("cold_share_of_floor", []).append(r["cold_calls_per_s"][-1] / r["floor_calls_per_s"][-1])
    out: dict[str, Any] = {"calls": n_calls, "latency_ms": latency_ms, "concurrency": concurrency,
                           "ideal_calls_per_s": concurrency / (latency_ms / 1000), "trials": trials, "loadavg": loads}
    out.update({k: _spread(v) for k, v in rows.items()})
    return out


def table(a: dict[str, Any], b: dict[str, Any] | None) -> str:
    """The targets beside the measurements (medians over the trials, min-max in brackets)."""
    ideal = a["ideal_s"]

    def m(key: str) -> float:
        return a[key]["median"]

    def rng(key: str, scale: float = 1.0) -> str:
        s = a[key]
        return f"{s['median'] / scale:.2f} [{s['min'] / scale:.2f}-{s['max'] / scale:.2f}]"

    lines = [f"Real-size workload: {a['calls']} calls, {a['latency_ms']} ms latency, concurrency {a['concurrency']}, "
             f"ideal {ideal:.1f} s; {a['trials']} trial(s), load average at each trial start: {', '.join(a['loadavg'])}; "
             f"CPU steal median {a['steal_pct']['median']}%",
             f"{'measure':58s} {'target':>10s}  {'measured: median [min-max]':32s} met",
             "-" * 110]

    def row(name: str, target: str, value: str, ok: bool | None) -> None:
        lines.append(f"{name:58s} {target:>10s}  {value:32s} {'' if ok is None else ('yes' if ok else 'NO')}")

    row("server active window, cold evalcore run (x ideal)", "<= 1.10", rng("cold_active_s", ideal),
        m("cold_active_s") / ideal <= 1.10)
    row("cold `evalcore run` wall (x ideal)", "<= 1.30", rng("cold_wall_s", ideal), m("cold_wall_s") / ideal <= 1.30)
    # Like for like: both are whole processes started cold (the CLI's wall includes its imports, so the loop's does).
    ratio = m("cold_wall_s") / m("litellm_process_s")
    row("cold `evalcore run` wall / bare litellm loop wall (both whole processes)", "<= 0.70", f"{ratio:.2f}",
        ratio <= 0.70)
    row("  the same against the loop's send phase only (no import)", "", f"{m('cold_wall_s') / m('litellm_loop_s'):.2f}",
        None)
    row("warm run_suite wall (x ideal)", "<= 1.15", rng("warm_wall_s", ideal), m("warm_wall_s") / ideal <= 1.15)
    row("  server active window, warm run_suite (x ideal)", "", rng("warm_active_s", ideal), None)
    row("  cold run: process start to the server's first request (s)", "", rng("cold_first_request_s"), None)
    row("  cold run: most requests in flight at the server", "", rng("cold_max_inflight"), None)
    row("  cold `evalcore run --workers 3` (x ideal)", "", rng("cold_w3_wall_s", ideal), None)
    row("    its server active window (x ideal)", "", rng("cold_w3_active_s", ideal), None)
    row("    process start to first request (s)", "", rng("cold_w3_first_request_s"), None)
    if "litellm_cli_wall_s" in a:
        row("  cold `evalcore run`, EVALCORE_CLIENT=litellm (x ideal)", "", rng("litellm_cli_wall_s", ideal), None)
        row("    its server active window (x ideal)", "", rng("litellm_cli_active_s", ideal), None)
        row("    process start to first request (s)", "", rng("litellm_cli_first_request_s"), None)
    row("  bare litellm.acompletion loop, first send to last answer (x ideal)", "", rng("litellm_loop_s", ideal), None)
    row("  bare litellm loop, whole process incl. import (x ideal)", "", rng("litellm_process_s", ideal), None)
    row("  raw aiohttp loop, the floor (x ideal)", "", rng("aiohttp_loop_s", ideal), None)
    row("  CPU ms per call: evalcore warm (all processes)", "", rng("warm_cpu_ms_per_call"), None)
    row("  CPU ms per call: bare litellm loop / raw aiohttp loop", "",
        f"{m('litellm_cpu_ms_per_call'):.2f} / {m('aiohttp_cpu_ms_per_call'):.2f}", None)
    row("  worker processes (warm)", "", rng("warm_workers"), None)
    if b is not None:
        lines.append("")
        lines.append(f"Local-server case: {b['calls']} calls, {b['latency_ms']} ms latency, concurrency "
                     f"{b['concurrency']} (ideal {b['ideal_calls_per_s']:.0f} calls/s); load: {', '.join(b['loadavg'])}")
        s = b["warm_share_of_floor"]
        row("warm run_suite calls/s / aiohttp floor's (whole run_suite)", ">= 0.60",
            f"{s['median']:.2f} [{s['min']:.2f}-{s['max']:.2f}]", s["median"] >= 0.60)
        for key, name in (("warm_active_share_of_floor", "  the same over the server's active window"),
                          ("cold_share_of_floor", "  cold `evalcore run` calls/s / floor's (whole process)"),
                          ("floor_calls_per_s", "  aiohttp floor calls/s"),
                          ("warm_calls_per_s", "  warm run_suite calls/s"),
                          ("warm_workers", "  worker processes (warm)")):
            if name and key in b:
                s = b[key]
                row(name, "", f"{s['median']:.2f} [{s['min']:.2f}-{s['max']:.2f}]", None)
    return "\n".join(lines)


def run(tmp: Path, trials: int, quick: bool = False) -> dict[str, Any]:
    a = workload_a(tmp, trials, with_litellm_cli=True)
    b = workload_b(tmp, trials)
    figures = {"realsize": a, "local_server": b}
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "realsize.json").write_text(json.dumps(figures, indent=2))
    print(table(a, b))
    return figures
