"""`evalcore demo`: build the demo workspace offline, through the same runner and store as real runs."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evalcore import demo
from evalcore.errors import StoreError
from evalcore.store import Workspace

DEMO_SUITE = "invoice-extraction"
NEW_RELEASES_FROM = "2026-07-01"  # candidates released from then on join in the demo's second run


def demo_paths(ws: Workspace) -> list[Path]:
    """Everything the demo owns in a workspace (and nothing else), for --force."""
    r = ws.root
    return [r / "demo", r / "results" / f"suite={DEMO_SUITE}", r / "scores" / f"suite={DEMO_SUITE}",
            r / "examples" / f"suite={DEMO_SUITE}", r / "runs" / DEMO_SUITE, r / "journal" / DEMO_SUITE]


def is_built(workspace: str | Path | None = None) -> bool:
    return Workspace(workspace).suite_has_results(DEMO_SUITE)


def build_demo(workspace: str | Path | None = None, *, force: bool = False,
               progress: Callable[[Any], None] | None = None) -> str:
    """Write the demo suite into <workspace>/demo, run it, import its (synthetic) public scores."""
    from evalcore.public import import_public
    from evalcore.runner import run_suite
    from evalcore.suite import load_suite

    ws = Workspace(workspace)
    if is_built(ws.uri) and ws.remote is None and not (ws.root / "demo" / "suite.yaml").exists():
        # results of a suite of the demo's name, but not the demo's files: someone's own suite, which --force
        # would delete and which "already built" would misdescribe
        raise StoreError(f"the workspace {ws.uri} already has a suite named '{DEMO_SUITE}' that is not the demo's.",
                         hint="Build the demo in another workspace: evalcore demo --workspace demo-ws")
    if is_built(ws.uri) and not force:
        return (f"The demo workspace is already built in {ws.uri}/ (use --force to rebuild).\n"
                f"Try: evalcore leaderboard --suite {DEMO_SUITE} --workspace {ws.uri}")
    if force and ws.remote is not None:
        raise StoreError(f"--force cannot delete the demo's objects in {ws.uri}.",
                         hint="Delete its keys (results/, scores/, examples/ and runs/ of suite "
                              f"'{DEMO_SUITE}') with your storage's tools, or build it into a new prefix.")
    if force:
        for p in demo_paths(ws):
            shutil.rmtree(p, ignore_errors=True)
    suite_path = demo.write_demo_files(ws.root / "demo")
    suite = load_suite(suite_path)
    # Two runs, as a team would have them: last quarter's candidates first, then everything once the three
    # newest releases shipped (the first run's answers are reused from the store, so this costs no calls).
    # That gives the Overview a "what changed since the previous run" and the Trends page two run dates.
    earlier = [c.name for c in suite.candidates if c.release is not None and str(c.release) < NEW_RELEASES_FROM]
    run_suite(suite, ws.uri, candidates=earlier, progress=progress)
    summary = run_suite(suite, ws.uri, new_run=True, progress=progress)
    n_public = import_public(ws.uri, ws.root / "demo" / "public_benchmarks.csv").rows
    return (
        f"Built the demo workspace in {ws.uri}/: suite '{DEMO_SUITE}', {summary.total} results from "
        f"{len(suite.candidates)} candidates in 4 families, {n_public} public benchmark scores.\n"
        f"{demo.SYNTHETIC_NOTICE}\n"
        f"Next:\n  evalcore leaderboard --suite {DEMO_SUITE} --workspace {ws.uri}\n"
        f"  evalcore decide --suite {DEMO_SUITE} --workspace {ws.uri}\n"
        f"  dashboard: ./scripts/dev dashboard from the evalcore checkout (it opens this workspace when\n"
        f"  EVALCORE_WORKSPACE={ws.uri} is set; reload the page if the dashboard is already running)"
    )
