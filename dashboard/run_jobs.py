"""Runs started from the Run page: background threads held in one registry per server process.

A run must outlive the page that started it (a person switches page, closes the tab, or two people watch it), so
it runs in a thread owned by a process-level registry (`st.cache_resource`), not by a session. The thread calls
`evalcore.runner.run_suite` with a `threading.Event` as its stop switch, and its progress callback writes into the
job; pages only read jobs. Calls are sent by worker processes forked from the fork server that `warm_workers`
starts when the app starts, so litellm loads there, never in the dashboard's own process.

Runs started elsewhere (the CLI) are found through the store: a manifest still 'running' whose lock is held.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import streamlit as st

from evalcore.errors import EvalcoreError
from evalcore.store import Workspace

ERRORS_SHOWN = 20  # distinct error messages listed on the page (each with how many results have it)


@dataclass
class Job:
    """One background run. Written only by its thread (under `lock`), read by pages through `snapshot`."""

    id: str
    workspace: str
    suite: str
    suite_file: str
    candidates: list[str]
    repeats: int
    started: float = field(default_factory=time.time)
    status: str = "starting"  # starting, running, finished, interrupted, failed
    done: int = 0
    total: int = 0
    sent: int = 0
    cached: int = 0
    errors: int = 0
    cost_usd: float = 0.0
    to_send: int = 0
    workers: int = 0
    run_id: str | None = None
    message: str | None = None  # what went wrong when the run itself failed
    not_sent: int = 0  # calls of stopped candidates, recorded as not sent
    stopped: dict[str, str] = field(default_factory=dict)  # candidate -> why the runner stopped it, and the fix
    by_candidate: dict[str, dict[str, int]] = field(default_factory=dict)  # candidate -> its counts (CandidateCounts)
    unpriced: dict[str, int] = field(default_factory=dict)  # candidate -> answers with no known price
    errors_by_message: dict[str, int] = field(default_factory=dict)  # "kind: message" -> results with it
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    thread: threading.Thread | None = None

    @property
    def active(self) -> bool:
        return self.status in ("starting", "running")

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "id": self.id, "suite": self.suite, "candidates": list(self.candidates), "status": self.status,
                "done": self.done, "total": self.total, "sent": self.sent, "cached": self.cached,
                "errors": self.errors, "cost_usd": self.cost_usd, "to_send": self.to_send, "workers": self.workers,
                "run_id": self.run_id, "message": self.message, "not_sent": self.not_sent,
                "stopped": dict(self.stopped), "by_candidate": {k: dict(v) for k, v in self.by_candidate.items()},
                "unpriced": dict(self.unpriced), "errors_by_message": folded_errors(self.errors_by_message),
                "started": self.started, "stopping": self.stop.is_set() and self.active, "active": self.active,
            }

    # -- called from the run's thread ---------------------------------------------------------------------
    def on_progress(self, p: Any) -> None:
        with self.lock:
            self.status = "running"
            self.done, self.total, self.sent, self.cached = p.done, p.total, p.sent, p.cached
            self.errors, self.cost_usd, self.to_send, self.workers = p.errors, p.cost_usd, p.to_send, p.workers
            self.not_sent, self.stopped = p.not_sent, dict(p.stopped)
            self.by_candidate = {name: asdict(c) for name, c in p.by_candidate.items()}
            self.unpriced = {name: c.unpriced for name, c in p.by_candidate.items() if c.unpriced}
            self.errors_by_message = dict(p.errors_by_message)

    def run(self, workers: int) -> None:
        from evalcore.keys import load_secrets_env
        from evalcore.runner import run_suite
        from evalcore.suite import load_suite

        try:
            load_secrets_env()
            suite = load_suite(self.suite_file)
            wait_for_warm_up()  # one thread at a time sets up the fork server
            summary = run_suite(suite, self.workspace, candidates=self.candidates, repeats=self.repeats,
                                workers=workers, progress=self.on_progress, stop=self.stop)
            with self.lock:
                self.status, self.run_id = summary.status, summary.run_id
                if summary.status == "finished":
                    self.done = self.total = summary.total
                self.errors, self.sent, self.not_sent = summary.errors, summary.sent, summary.not_sent
                self.cost_usd, self.unpriced = summary.cost_usd, dict(summary.unpriced)
                self.stopped = dict(summary.stopped)  # with the final counts (calls in flight failed after the stop)
                self.by_candidate = {k: dict(v) for k, v in summary.by_candidate.items()}
        except EvalcoreError as exc:
            with self.lock:
                self.status, self.message = "failed", str(exc)
        except Exception as exc:  # noqa: BLE001 - a crashed run must say so on the page, not vanish
            with self.lock:
                self.status, self.message = "failed", f"{type(exc).__name__}: {exc}"


def folded_errors(counts: dict[str, int], shown: int = ERRORS_SHOWN) -> list[tuple[str, int]]:
    """The run's error messages, each once with how many results have it, most frequent first; the rest (past
    `shown` messages) as one line with their total."""
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])  # stable: equal counts keep their first arrival's order
    if len(ranked) <= shown:
        return ranked
    rest = sum(n for _, n in ranked[shown - 1:])
    return [*ranked[:shown - 1], (f"{len(ranked) - shown + 1} other messages", rest)]


class Registry:
    """Every run started from this server process, newest first."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(self, workspace: str, suite: str, suite_file: str | Path, candidates: list[str], repeats: int,
              workers: int) -> Job:
        with self._lock:
            for job in self._jobs.values():
                if job.workspace == workspace and job.suite == suite and job.active:
                    raise EvalcoreError(f"a run of suite '{suite}' is already going; wait for it or cancel it.")
            job = Job(uuid.uuid4().hex[:8], workspace, suite, str(suite_file), list(candidates), repeats)
            job.thread = threading.Thread(target=job.run, args=(workers,), name=f"evalcore-run-{job.id}",
                                          daemon=True)
            self._jobs[job.id] = job
        job.thread.start()
        return job

    def jobs(self, workspace: str) -> list[Job]:
        with self._lock:
            mine = [j for j in self._jobs.values() if j.workspace == workspace]
        return sorted(mine, key=lambda j: j.started, reverse=True)

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def cancel(self, job_id: str) -> None:
        job = self.get(job_id)
        if job is not None:
            job.stop.set()


@st.cache_resource(show_spinner=False)
def registry() -> Registry:
    """One per server process: every session sees the same runs, and a run survives its page."""
    return Registry()


_warm_lock = threading.Lock()
_warm_thread: threading.Thread | None = None
_warm_now = threading.Event()  # a run is starting: warm up at once, quiet or not
QUIET_S = 5.0  # the warm-up waits until no page script has run for this long: the browser draws a page for a second
# or more after its script ends, and the next page's frontend loads for another before its script starts
_pages = {"active": 0, "last": time.monotonic()}
_pages_lock = threading.Lock()


@contextmanager
def page_running() -> Iterator[None]:
    """Around every page script run (app.py): the warm-up starts only once nobody is waiting for a page."""
    with _pages_lock:
        _pages["active"] += 1
    try:
        yield
    finally:
        with _pages_lock:
            _pages["active"] -= 1
            _pages["last"] = time.monotonic()


def _quiet_for() -> float:
    """Seconds since the last page script ended; 0 while one runs."""
    with _pages_lock:
        return 0.0 if _pages["active"] else time.monotonic() - _pages["last"]


def _start_workers() -> None:
    from evalcore.runner import start_workers

    while not _warm_now.is_set() and (quiet := _quiet_for()) < QUIET_S:
        _warm_now.wait(QUIET_S - quiet)
    try:
        start_workers(background=True)  # at a lower CPU priority too: the page someone opens comes first
    except Exception:  # noqa: BLE001 - only an optimisation: a run starts the fork server itself if needed
        pass


def wait_for_warm_up() -> None:
    """Until the app's fork-server warm-up (if any) has returned, starting it now if it still waits for a quiet
    moment: a run started meanwhile would set up the same fork server from another thread."""
    _warm_now.set()
    with _warm_lock:
        thread = _warm_thread
    if thread is not None:
        thread.join()


def warm_workers() -> bool:
    """Start the runner's fork server once per process, as the app starts: it loads litellm in its own process
    (seconds, in the background), so the first run from the Run page starts sending at once. It waits until no
    page has run for QUIET_S (people opening pages do not share the CPU with it), then loads at a lower priority.
    Importing the runner (~0.8 s) happens on a background thread, not in the page's script run. True once the
    warm-up has been scheduled."""
    global _warm_thread
    with _warm_lock:
        if _warm_thread is None:
            _warm_thread = threading.Thread(target=_start_workers, name="evalcore-warm-workers", daemon=True)
            _warm_thread.start()
    return True


def runs_elsewhere(workspace: str, own: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Runs in progress that this server did not start (the CLI, another server): manifests still 'running' whose
    writer holds its lock, with how far they are (results stored or journaled so far, of those planned)."""
    from evalcore import objectstore
    from evalcore.errors import EvalcoreError

    if not objectstore.is_remote(workspace) and not Path(workspace).is_dir():
        return []
    try:
        ws = Workspace(workspace, create=False)
    except EvalcoreError:  # a bucket prefix no run has written yet
        return []
    ours = {j["run_id"] for j in own if j["run_id"]}
    started = {j["suite"]: j["started"] for j in own if j["active"]}
    out = []
    for m in ws.manifests():
        if m.get("status") != "running" or m["run_id"] in ours:
            continue
        if m["suite"] in started and _started_at(m) >= started[m["suite"]] - 5:
            continue  # the run our own thread is making (its id is known only once it returns)
        planned = int(m.get("planned") or 0)
        out.append({"suite": m["suite"], "run_id": m["run_id"], "planned": planned,
                    "done": min(planned, ws.run_progress(m["suite"], m["run_id"])) if planned else 0,
                    "candidates": list(m.get("candidates", []))})
    return out


def _started_at(manifest: dict[str, Any]) -> float:
    from datetime import datetime

    try:
        return datetime.fromisoformat(manifest.get("started_at") or "").timestamp()
    except ValueError:
        return 0.0
