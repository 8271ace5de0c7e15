"""CPU profile of each dashboard page's script over a workspace (AppTest, in-process): cold (fresh process, empty
caches), warm (a new session once the caches hold the page's aggregates) and a rerun of the same session.

CPU seconds are far less sensitive to other load than wall-clock timings, so this is the figure to compare on a
shared machine; the browser bench (bench_dashboard.py) is the one for wall-clock targets.

    python bench/profile_pages.py WORKSPACE [--page overview|compare|trends|explore] [--top 25] [--dump DIR]
                                  [--repo CHECKOUT]   (profile another checkout's dashboard, e.g. main, for before/after)
    python bench/profile_pages.py --s3 [--runs 20]   (bench_dashboard's 100,000-result workspace in a bucket of a local
                                  moto server started here: the object-storage cold path of issue 12)

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


def _profile_one(page: str, top: int, dump: Path | None, repo: Path, warm: bool = True) -> dict[str, float]:
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
    if warm and hasattr(serve, "warm_workspace"):  # the launcher's warm-up, before the clock (a server does it first)
        print(serve.warm_workspace(), file=sys.stderr)

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
        cpu, wall = time.process_time(), time.perf_counter()
        at.run()  # type: ignore[union-attr]
        out[f"{phase}_wall_s"] = round(time.perf_counter() - wall, 3)
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
    ap.add_argument("workspace", nargs="?", default=None)
    ap.add_argument("--s3", action="store_true", help="Generate bench_dashboard's workspace in a local moto bucket.")
    ap.add_argument("--runs", type=int, default=20, help="With --s3: runs of 10 candidates x 500 examples.")
    ap.add_argument("--page", choices=list(PAGES), action="append")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--dump", type=Path, default=None, help="Write .prof files here (for snakeviz / pstats).")
    ap.add_argument("--repo", type=Path, default=REPO, help="The checkout whose dashboard and evalcore to profile.")
    ap.add_argument("--no-warm", action="store_true",
                    help="Skip the launcher's workspace warm-up: the cold page as before it (or under streamlit run).")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        ws = args.workspace if "://" in args.workspace else str(Path(args.workspace).resolve())
        os.environ["EVALCORE_WORKSPACE"] = ws
        print(json.dumps(_profile_one(args.child, args.top, args.dump, args.repo.resolve(), not args.no_warm)))
        return
    if args.s3:
        return _main_s3(args)
    if not args.workspace:
        ap.error("give a WORKSPACE folder, or --s3")
    _profile_pages(args, str(Path(args.workspace).resolve()), dict(os.environ))


def _main_s3(args: argparse.Namespace) -> None:
    import tempfile

    sys.path.insert(0, str(REPO / "bench"))
    from bench_dashboard import generate

    from evalcore.s3server import S3Server

    with S3Server() as s3, tempfile.TemporaryDirectory(prefix="profile-s3-") as tmp:
        s3.create_bucket("bench")
        env = dict(os.environ, **s3.env(), EVALCORE_SPOOL=str(Path(tmp) / "spool"))
        os.environ.update(env)
        n = generate("s3://bench/ws", args.runs, 10, 500)
        print(f"{n:,} results in s3://bench/ws on {s3.endpoint}", file=sys.stderr)
        _profile_pages(args, "s3://bench/ws", env)


def _profile_pages(args: argparse.Namespace, workspace: str, env: dict[str, str]) -> None:
    results = {}
    for page in args.page or list(PAGES):
        cmd = [sys.executable, __file__, workspace, "--child", page, "--top", str(args.top),
               "--repo", str(args.repo.resolve())]
        if args.dump:
            cmd += ["--dump", str(args.dump)]
        if args.no_warm:
            cmd.append("--no-warm")
        child_env = dict(env, PYTHONPATH=os.pathsep.join([str(args.repo.resolve()), env.get("PYTHONPATH", "")]))
        done = subprocess.run(cmd, capture_output=True, text=True, env=child_env, check=False)
        sys.stderr.write(done.stderr)
        if done.returncode:
            raise SystemExit(f"{page} failed ({done.returncode})")
        results[page] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"\n{'page':<10} {'cold script':>12} {'cold process':>13} {'warm script':>12} {'rerun script':>13}  (CPU s)"
          f" {'cold wall':>10}")
    for page, r in results.items():
        print(f"{page:<10} {r['cold_script_cpu_s']:>12.2f} {r['cold_process_cpu_s']:>13.2f} "
              f"{r['warm_script_cpu_s']:>12.2f} {r['rerun_script_cpu_s']:>13.2f} {r.get('cold_wall_s', 0):>15.2f}")


if __name__ == "__main__":
    main()
