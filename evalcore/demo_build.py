"""`evalcore demo`: build the demo workspace offline, through the same runner and store as real runs."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evalcore import demo
from evalcore.store import Workspace

DEMO_SUITE = "invoice-extraction"


def demo_paths(ws: Workspace) -> list[Path]:
    """Everything the demo owns in a workspace (and nothing else), for --force."""
    r = ws.root
    return [r / "demo", r / "results" / f"suite={DEMO_SUITE}", r / "scores" / f"suite={DEMO_SUITE}",
            r / "examples" / f"suite={DEMO_SUITE}", r / "runs" / DEMO_SUITE, r / "journal" / DEMO_SUITE]


def is_built(workspace: str | Path | None = None) -> bool:
    ws = Workspace(workspace)
    return (ws.root / "results" / f"suite={DEMO_SUITE}").exists()


def build_demo(workspace: str | Path | None = None, *, force: bool = False,
               progress: Callable[[Any], None] | None = None) -> str:
    """Write the demo suite into <workspace>/demo, run it, import its (synthetic) public scores."""
    from evalcore.public import import_public
    from evalcore.runner import run_suite
    from evalcore.suite import load_suite

    ws = Workspace(workspace)
    if is_built(ws.root) and not force:
        return (f"The demo workspace is already built in {ws.root}/ (use --force to rebuild).\n"
                f"Try: evalcore leaderboard --suite {DEMO_SUITE} --workspace {ws.root}")
    if force:
        for p in demo_paths(ws):
            shutil.rmtree(p, ignore_errors=True)
    suite_path = demo.write_demo_files(ws.root / "demo")
    suite = load_suite(suite_path)
    summary = run_suite(suite, ws.root, progress=progress)
    n_public = import_public(ws.root, ws.root / "demo" / "public_benchmarks.csv").rows
    return (
        f"Built the demo workspace in {ws.root}/: suite '{DEMO_SUITE}', {summary.total} results from "
        f"{len(suite.candidates)} candidates in 4 families, {n_public} public benchmark scores.\n"
        f"{demo.SYNTHETIC_NOTICE}\n"
        f"Next:\n  evalcore leaderboard --suite {DEMO_SUITE} --workspace {ws.root}\n"
        f"  evalcore decide --suite {DEMO_SUITE} --workspace {ws.root}\n"
        f"  dashboard: ./scripts/dev dashboard from the evalcore checkout (it opens this workspace when\n"
        f"  EVALCORE_WORKSPACE={ws.root} is set; reload the page if the dashboard is already running)"
    )
