"""How fast a killed run stops spending: `evalcore run` of 800 calls at 200 ms latency, killed mid-run.

For each signal: requests the server saw in the 1 s and 3 s after the kill, how long until every process of the
run (CLI, fork server, workers) was gone, the CLI's exit code, and what the immediate rerun sent.

    python bench/bench_stop.py [--signals KILL,TERM,HUP,INT] [--at 7] [--after-requests 0]

The signal goes --at seconds after the start, or (when the machine is so loaded that no request has been made by
then) once the server has seen --after-requests requests.
"""

from __future__ import annotations

import argparse
import csv
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import yaml

from evalcore.fakeserver import ServerProcess


def _processes(marker: str) -> list[int]:
    needle = f"EVALCORE_BENCH_MARKER={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_bytes().rsplit(b")", 1)[-1].split()
                if stat[0] != b"Z" and needle in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _suite(root: Path, base_url: str) -> Path:
    with open(root / "examples.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "input", "expected"])
        w.writerows([f"e{i:03d}", f"invoice {i}", "x"] for i in range(200))
    (root / "suite.yaml").write_text(yaml.safe_dump({
        "name": "stop", "prompt": "{{ input }}", "dataset": "examples.csv",
        "candidates": [{"name": f"c{k}", "model": f"openai/model-{k}", "api_base": base_url,
                        "input_price_per_mtok": 1.0, "output_price_per_mtok": 2.0} for k in range(4)],
        "scorers": [{"type": "contains", "value": "says"}],
        "run": {"concurrency": 32, "per_candidate": 32, "timeout_s": 30},
    }))
    return root / "suite.yaml"


def trial(sig: signal.Signals, at_s: float, after_requests: int) -> dict[str, object]:
    with ServerProcess(latency_ms=200) as srv, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        suite = _suite(root, srv.base_url)
        marker = uuid.uuid4().hex
        env = {**os.environ, "EVALCORE_WORKSPACE": str(root / "ws"), "EVALCORE_BENCH_MARKER": marker}
        cli = subprocess.Popen([sys.executable, "-m", "evalcore.cli", "run", str(suite)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        started = time.monotonic()
        time.sleep(at_s)
        while srv.stats()["requests"] < after_requests and cli.poll() is None:
            time.sleep(0.01)
        before = srv.stats()["requests"]
        at = time.monotonic() - started
        cli.send_signal(sig)
        t0 = time.monotonic()
        gone_s = None
        while time.monotonic() - t0 < 10:
            if not _processes(marker):
                gone_s = time.monotonic() - t0
                break
            time.sleep(0.01)
        left = [(p, Path(f"/proc/{p}/cmdline").read_bytes()[:100]) for p in _processes(marker)]
        code = cli.wait(timeout=10)
        time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))
        after_1s = srv.stats()["requests"] - before
        time.sleep(max(0.0, 3.0 - (time.monotonic() - t0)))
        after_3s = srv.stats()["requests"] - before
        srv.reset()
        t1 = time.monotonic()
        rerun = subprocess.run([sys.executable, "-m", "evalcore.cli", "run", str(suite)], env=env,
                               capture_output=True, text=True, timeout=300)
        return {"signal": sig.name, "kill_at_s": round(at, 1), "requests_before_kill": before, "after_kill_1s": after_1s,
                "after_kill_3s": after_3s, "all_gone_s": None if gone_s is None else round(gone_s, 3),
                "exit_code": code, "left_after_10s": left, "rerun_exit": rerun.returncode, "rerun_sent": srv.stats()["requests"],
                "rerun_s": round(time.monotonic() - t1, 1),
                "rerun_line": next((ln for ln in rerun.stdout.splitlines() if "run" in ln), "")[:160]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--signals", default="KILL,TERM,HUP,INT")
    p.add_argument("--at", type=float, default=7.0, help="seconds after start to send the signal")
    p.add_argument("--after-requests", type=int, default=0)
    args = p.parse_args()
    for name in args.signals.split(","):
        print(trial(signal.Signals[f"SIG{name.strip().upper()}"], args.at, args.after_requests), flush=True)


if __name__ == "__main__":
    main()
