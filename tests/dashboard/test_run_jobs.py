"""The dashboard's fork-server warm-up waits until nobody is waiting for a page, and starts at once for a run."""

from __future__ import annotations

import importlib
import sys
import threading
import time
from pathlib import Path

import pytest

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard"


@pytest.fixture()
def run_jobs(monkeypatch):
    """A fresh copy of the module (its warm-up state is per process) whose fork-server start is recorded."""
    monkeypatch.syspath_prepend(str(DASHBOARD))
    sys.modules.pop("run_jobs", None)
    module = importlib.import_module("run_jobs")
    started: list[float] = []
    from evalcore import runner
    monkeypatch.setattr(runner, "start_workers", lambda **kw: started.append(time.monotonic()))
    monkeypatch.setattr(module, "QUIET_S", 0.3)
    module.started = started
    yield module
    sys.modules.pop("run_jobs", None)


def _page_then_warm(run_jobs, release: threading.Event, longest_s: float) -> threading.Thread:
    """A page script running on its own thread until `release` (or `longest_s`), then the app's warm-up call."""
    def page() -> None:
        with run_jobs.page_running():
            release.wait(longest_s)

    t = threading.Thread(target=page)
    t.start()
    time.sleep(0.05)
    run_jobs.warm_workers()
    return t


def test_warm_up_waits_while_a_page_runs_and_for_a_quiet_moment_after(run_jobs) -> None:
    release = threading.Event()
    t = _page_then_warm(run_jobs, release, 5)
    time.sleep(0.6)  # twice the quiet time, but a page is still running
    assert run_jobs.started == []
    ended = time.monotonic()
    release.set()
    t.join()
    deadline = time.monotonic() + 5
    while not run_jobs.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert run_jobs.started and run_jobs.started[0] - ended >= 0.3 - 0.02


def test_a_run_starts_the_warm_up_at_once(run_jobs) -> None:
    t = _page_then_warm(run_jobs, threading.Event(), 2)
    asked = time.monotonic()
    run_jobs.wait_for_warm_up()  # what Job.run does before run_suite
    assert run_jobs.started and run_jobs.started[0] - asked < 0.5
    t.join()


def test_errors_are_folded_by_message_with_counts_most_frequent_first(run_jobs) -> None:
    """The Run page listed the same 404 line seven times ("(and 2 more)"): each message once, with its count."""
    counts = {"not_found: HTTP 404": 6, "not_found: not sent: stopped": 6, "timeout: 30 s": 1}
    assert run_jobs.folded_errors(counts) == [("not_found: HTTP 404", 6), ("not_found: not sent: stopped", 6),
                                              ("timeout: 30 s", 1)]
    many = {f"server: HTTP 500 #{i}": 1 for i in range(30)} | {"auth: HTTP 401": 5}
    folded = run_jobs.folded_errors(many, shown=4)
    assert folded[0] == ("auth: HTTP 401", 5) and folded[-1] == ("28 other messages", 28) and len(folded) == 4
