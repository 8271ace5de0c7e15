"""CPU profile of each dashboard page's script over a workspace (AppTest, in-process): cold (fresh process, empty
caches), warm (a new session once the caches hold the page's aggregates) and a rerun of the same session.

CPU seconds are far less sensitive to other load than wall-clock timings, so this is the figure to compare on a
shared machine; the browser bench (bench_dashboard.py) is the one for wall-clock targets.

    python bench/profile_pages.py WORKSPACE [--page overview|compare|trends|explore] [--top 25] [--dump DIR]
                                  [--repo CHECKOUT]   (profile another checkout's dashboard, e.g. main, for before/after)

Each page is profiled in its own subprocess so nothing cached by one page helps the next. Heavy libraries are
imported before the clock starts (a server has them loaded before anyone opens a page).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PAGES = {"overview": None, "compare": "views/compare.py", "trends": "views/trends.py", "explore": "views/explore.py"}


def _profile_one(page: str, top: int, dump: Path | None, repo: Path) -> dict[str, float]:
    """Runs inside the child: imports, then cold / warm / rerun of one page, each under cProfile."""
    import altair  # noqa: F401
    import duckdb  # noqa: F401
    import pandas  # noqa: F401
    from streamlit.testing.v1 import AppTest
    from streamlit.testing.v1.local_script_runner import LocalScriptRunner

    import evalcore.analysis  # noqa: F401
    import evalcore.explore  # noqa: F401

    holder: dict[str, object] = {}
    original = LocalScriptRunner._run_script_thread

    def profiled(self: LocalScriptRunner) -> None:  # the script runs on its own thread: profile that thread
        prof = holder.get("prof")
        if prof is None:
            return original(self)
        t = time.thread_time()
        prof.enable()  # type: ignore[attr-defined]
        try:
            return original(self)
        finally:
            prof.disable()  # type: ignore[attr-defined]
            holder["thread_cpu"] = float(holder.get("thread_cpu", 0.0)) + time.thread_time() - t  # type: ignore[arg-type]

    LocalScriptRunner._run_script_thread = profiled  # type: ignore[method-assign]
    os.chdir(repo)
    sys.path.insert(0, str(repo / "dashboard"))
    try:  # as the launcher (dashboard/serve.py) does before serving
        import serve
        serve.skip_bare_python_check()
    except (ImportError, AttributeError):  # an older checkout (--repo) without it
        pass

    def session() -> AppTest:
        at = AppTest.from_file(str(repo / "dashboard" / "app.py"), default_timeout=600)
        if PAGES[page]:
            at.switch_page(PAGES[page])
        return at

    out: dict[str, float] = {}
    at = None
    for phase in ("cold", "warm", "rerun"):
        if phase != "rerun":
            at = session()
        prof = cProfile.Profile()
        holder["prof"], holder["thread_cpu"] = prof, 0.0
        cpu = time.process_time()
        at.run()  # type: ignore[union-attr]
        out[f"{phase}_process_cpu_s"] = round(time.process_time() - cpu, 3)
        out[f"{phase}_script_cpu_s"] = round(float(holder["thread_cpu"]), 3)  # type: ignore[arg-type]
        if at.exception:  # type: ignore[union-attr]
            raise SystemExit(f"{page} {phase}: {[e.value for e in at.exception]}")  # type: ignore[union-attr]
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats("cumulative").print_stats(top)
        print(f"===== {page} {phase}: script thread {out[f'{phase}_script_cpu_s']} s CPU, process "
              f"{out[f'{phase}_process_cpu_s']} s CPU", file=sys.stderr)
        print(s.getvalue(), file=sys.stderr)
        if dump:
            dump.mkdir(parents=True, exist_ok=True)
            prof.dump_stats(str(dump / f"{page}-{phase}.prof"))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("workspace", type=Path)
    ap.add_argument("--page", choices=list(PAGES), action="append")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--dump", type=Path, default=None, help="Write .prof files here (for snakeviz / pstats).")
    ap.add_argument("--repo", type=Path, default=REPO, help="The checkout whose dashboard and evalcore to profile.")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        os.environ["EVALCORE_WORKSPACE"] = str(args.workspace.resolve())
        print(json.dumps(_profile_one(args.child, args.top, args.dump, args.repo.resolve())))
        return
    results = {}
    for page in args.page or list(PAGES):
        cmd = [sys.executable, __file__, str(args.workspace), "--child", page, "--top", str(args.top),
               "--repo", str(args.repo.resolve())]
        if args.dump:
            cmd += ["--dump", str(args.dump)]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(args.repo.resolve()), os.environ.get("PYTHONPATH", "")]))
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        sys.stderr.write(done.stderr)
        if done.returncode:
            raise SystemExit(f"{page} failed ({done.returncode})")
        results[page] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"\n{'page':<10} {'cold script':>12} {'cold process':>13} {'warm script':>12} {'rerun script':>13}  (CPU s)")
    for page, r in results.items():
        print(f"{page:<10} {r['cold_script_cpu_s']:>12.2f} {r['cold_process_cpu_s']:>13.2f} "
              f"{r['warm_script_cpu_s']:>12.2f} {r['rerun_script_cpu_s']:>13.2f}")


if __name__ == "__main__":
    main()
