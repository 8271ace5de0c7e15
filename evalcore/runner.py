"""Run every candidate on every example: concurrent, retried, cached by the store, resumable.

The plan is made in the calling process without litellm: examples are rendered into requests, requests
already answered anywhere in the workspace are copied as cached results (no call), and a run interrupted
by a crash is resumed under its own run id. Only what is left is sent, by worker processes (so both cores
share litellm's per-call CPU) or in-process for small runs. Each worker appends results to its own journal
as they arrive; journals are compacted to Parquet at the end, or by the next run after a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import json
import math
import multiprocessing as mp
import os
import queue as queue_mod
import random
import re
import sys
import threading
import time
import uuid
import warnings
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from evalcore import __version__
from evalcore.errors import SuiteError
from evalcore.failures import FINAL, CallFailed, redact
from evalcore.example import Example
from evalcore.prompt_render import render_messages
from evalcore.store import (SCHEMA_VERSION, Journal, Workspace, WorkspaceWriteError, new_run_id, utcnow,
                            write_results)
from evalcore.suite import Candidate, LlmJudgeScorer, RunSettings, Suite

# -- plan ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallRequest:
    """What is sent for one call; its hash is the cache key (never includes a key, only the env var name)."""

    model: str
    messages: tuple[tuple[str, str], ...]
    params: tuple[tuple[str, Any], ...]
    api_base: str | None
    api_key_env: str | None
    input_price_per_mtok: float | None
    output_price_per_mtok: float | None

    def message_dicts(self) -> list[dict[str, str]]:
        return [{"role": r, "content": c} for r, c in self.messages]

    def hash(self, repeat: int) -> str:
        payload = {"model": self.model, "api_base": self.api_base, "params": dict(self.params),
                   "messages": self.messages, "repeat": repeat}
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:32]


@dataclass
class Task:
    """One (example, candidate, repeat) to produce; `cached` holds a stored answer to the same request."""

    example: Example
    candidate: str
    repeat: int
    request: CallRequest
    request_hash: str
    cached: dict[str, Any] | None = None

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.example.id, self.candidate, self.repeat)


@dataclass(frozen=True)
class RunContext:
    """What a worker needs besides its tasks (picklable)."""

    workspace: str
    suite: str
    suite_version: str
    run_id: str
    settings: RunSettings
    scorers: tuple[Any, ...]
    candidates: dict[str, dict[str, Any]]  # name -> model, family, release
    judge_cache: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Progress:
    """Counts so far; passed to the progress callback after every finished result."""

    total: int
    done: int = 0
    sent: int = 0
    cached: int = 0
    errors: int = 0
    cost_usd: float = 0.0
    last_error: str | None = None
    to_send: int = 0  # calls this run will send (known once the cache has been read)
    workers: int = 0  # worker processes sending them (0: in this process)
    litellm: bool = True  # whether some of them go through litellm (which workers load first), see evalcore.calls
    worker_cpu_s: float = 0.0  # CPU time of worker processes (for benchmarks)
    not_sent: int = 0  # calls skipped because their candidate was stopped (recorded; the next run retries them)
    judge_sent: int = 0  # judge calls sent (an llm_judge scorer makes one per output)
    judge_errors: int = 0
    judge_cost_usd: float = 0.0
    judge_errors_by_kind: dict[str, int] = field(default_factory=dict)
    last_judge_error: str | None = None
    stopped: dict[str, str] = field(default_factory=dict)  # candidate -> why it was stopped, and the fix
    stop_notes: dict[str, StopNote] = field(default_factory=dict)  # breaker stops: the final counts are written in
    by_candidate: dict[str, CandidateCounts] = field(default_factory=dict)
    errors_by_message: dict[str, int] = field(default_factory=dict)  # "kind: message" -> results (folded, capped)

    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0

    def add(self, t: Tally) -> None:
        self.done += 1
        self.sent += int(t.sent)
        self.cached += int(t.cached)
        self.not_sent += int(t.not_sent)
        self.cost_usd += t.cost + t.judge_cost
        self.judge_sent += t.judge_sent
        self.judge_cost_usd += t.judge_cost
        mine = self.by_candidate.setdefault(t.candidate, CandidateCounts())
        mine.results += 1
        mine.sent += int(t.sent)
        mine.not_sent += int(t.not_sent)
        mine.unpriced += int(t.unpriced)
        if t.error_kind:
            self.errors += 1
            mine.errors += 1
            mine.failed_sent += int(t.sent)
            self.last_error = f"{t.error_kind}: {t.error}"[:300]
            if self.last_error in self.errors_by_message or len(self.errors_by_message) < ERROR_MESSAGES_KEPT:
                self.errors_by_message[self.last_error] = self.errors_by_message.get(self.last_error, 0) + 1
        for kind, message in t.judge_errors:
            self.judge_errors += 1
            self.judge_errors_by_kind[kind] = self.judge_errors_by_kind.get(kind, 0) + 1
            self.last_judge_error = f"{kind}: {message}"[:300]


@dataclass(frozen=True)
class Tally:
    """What one finished result adds to the counts (picklable: workers send these to the starting process)."""

    error_kind: str | None
    error: str | None
    cost: float
    sent: bool
    cached: bool
    not_sent: bool = False
    judge_sent: int = 0
    judge_cost: float = 0.0
    judge_errors: tuple[tuple[str, str], ...] = ()
    candidate: str = ""
    unpriced: bool = False  # answered, but no price is known for it: its cost is unknown (not $0)


ERROR_MESSAGES_KEPT = 200  # distinct error messages counted per run (a run whose errors all differ keeps the first)


@dataclass
class CandidateCounts:
    """One candidate's results so far in this run (what the run page and the stop message count)."""

    results: int = 0
    errors: int = 0
    sent: int = 0  # calls the server received
    failed_sent: int = 0  # of those, calls that failed
    not_sent: int = 0  # calls skipped because the candidate was stopped
    unpriced: int = 0  # answered calls with no known price


@dataclass(frozen=True)
class StopNote:
    """Why the breaker stopped a candidate, in parts (picklable: a worker sends it), so the message can be written
    again with the run's final counts: calls in flight, and other workers' calls, keep failing after the stop."""

    candidate: str
    model: str
    api_base: str | None
    api_key_env: str | None
    kind: str
    reason: str
    advice: str

    def text(self, counts: CandidateCounts | None = None) -> str:
        """Names the candidate, the URL or variable, the provider's own reason and the fix; with `counts`, how many
        of its calls failed and how many were not sent (else words that stay true while the run goes on)."""
        where = self.api_base or "the provider's default URL"
        key = f", key from ${self.api_key_env}" if self.api_key_env else ""
        if counts is None:
            what = "its calls left are not sent and the next run will retry them"
        else:
            failed = f"{counts.failed_sent} of its calls failed" if counts.failed_sent else "no call of it was sent"
            what = (f"{failed} and {counts.not_sent} were not sent; the next run will retry them"
                    if counts.not_sent else f"{failed}; the next run will retry them")
        return (f"candidate '{self.candidate}' ({self.model} at {where}{key}) stopped after repeated {self.kind} "
                f"failures: {what}. Reason: {self.reason} Fix: {self.advice}")


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    suite: str
    suite_version: str
    status: str
    total: int
    sent: int
    cached: int
    skipped: int
    errors: int
    cost_usd: float
    wall_s: float
    resumed: bool
    workers: int
    errors_by_kind: dict[str, int]
    cpu_s: float = 0.0  # CPU seconds of this process and its workers
    not_sent: int = 0  # calls of stopped candidates, recorded as not sent (attempts 0); the next run retries them
    stopped: dict[str, str] = field(default_factory=dict)  # candidate -> why it was stopped, and the fix
    judge_calls: int = 0  # judge calls sent
    judge_errors: int = 0
    judge_errors_by_kind: dict[str, int] = field(default_factory=dict)
    judge_cost_usd: float = 0.0
    last_judge_error: str | None = None
    final_errors: int = 0  # deterministic failures kept as results (context window, content filter, bad request)
    unpriced: dict[str, int] = field(default_factory=dict)  # candidate -> answered calls with no known price
    by_candidate: dict[str, dict[str, int]] = field(default_factory=dict)  # candidate -> CandidateCounts as a dict

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def suite_version(suite: Suite, examples: Sequence[Example]) -> str:
    """Content hash of the examples, prompt and scorers: results are comparable within one version."""
    h = hashlib.sha256(suite.config_hash().encode())
    for ex in sorted(examples, key=lambda e: e.id):
        h.update(json.dumps([ex.id, ex.input, ex.expected, list(ex.tags)], ensure_ascii=False).encode())
    return h.hexdigest()[:12]


def _request(c: Candidate, messages: tuple[tuple[str, str], ...]) -> CallRequest:
    return CallRequest(
        model=c.model, messages=messages, params=tuple(sorted(c.params.items())), api_base=c.api_base,
        api_key_env=c.api_key_env, input_price_per_mtok=c.input_price_per_mtok,
        output_price_per_mtok=c.output_price_per_mtok,
    )


def plan_tasks(suite: Suite, examples: Sequence[Example], candidates: Sequence[Candidate],
               repeats: int) -> list[Task]:
    """Every (example, candidate, repeat), interleaved by candidate so load spreads across providers."""
    rendered = render_messages(suite, examples)
    tasks = []
    for ex, msgs in zip(examples, rendered):
        for c in candidates:
            req = _request(c, msgs)
            for r in range(repeats):
                tasks.append(Task(ex, c.name, r, req, req.hash(r)))
    return tasks


def judge_request(scorer: LlmJudgeScorer, example: Example, output: str) -> CallRequest:
    from evalcore.scoring import judge_messages

    msgs = tuple((m["role"], m["content"]) for m in judge_messages(scorer, example, output))
    params = {"temperature": 0, **scorer.params}
    return CallRequest(scorer.model, msgs, tuple(sorted(params.items())), scorer.api_base, scorer.api_key_env,
                       None, None)


# -- scoring rows ------------------------------------------------------------------------------------------------


def _score_row(ctx: RunContext, task: Task, scorer: str, value: float | None, passed: bool | None,
               detail: dict[str, Any], judge_hash: str | None, now: Any) -> dict[str, Any]:
    return {
        "run_id": ctx.run_id, "suite": ctx.suite, "example_id": task.example.id, "candidate": task.candidate,
        "repeat": task.repeat, "scorer": scorer, "value": value, "passed": passed,
        "detail": json.dumps(detail, ensure_ascii=False, default=str)[:20000], "judge_request_hash": judge_hash,
        "created_at": now,
    }


def deterministic_scores(ctx: RunContext, task: Task, output: str | None, now: Any) -> list[dict[str, Any]]:
    from evalcore.scoring import score

    rows = []
    for s in ctx.scorers:
        if isinstance(s, LlmJudgeScorer):
            continue
        r = score(s, output, task.example)
        rows.append(_score_row(ctx, task, s.label, r.value, r.passed, r.detail, None, now))
    return rows


def _result_row(ctx: RunContext, task: Task, *, output: str | None, finish_reason: str | None,
                error_kind: str | None, error: str | None, latency_ms: float | None, input_tokens: int | None,
                output_tokens: int | None, cost: float | None, cached: bool, attempts: int,
                now: Any) -> dict[str, Any]:
    meta = ctx.candidates[task.candidate]
    key = os.environ.get(meta["key_env"]) if meta.get("key_env") else None
    if key and output:  # a model that echoes the key ("your key is sk-..."): errors were redacted, outputs not
        output = redact(output, [key])
    return {
        "run_id": ctx.run_id, "suite": ctx.suite, "suite_version": ctx.suite_version,
        "example_id": task.example.id, "candidate": task.candidate, "model": meta["model"],
        "family": meta["family"], "release": meta["release"], "repeat": task.repeat,
        "request_hash": task.request_hash, "output": output, "finish_reason": finish_reason,
        "error_kind": error_kind, "error": error, "latency_ms": latency_ms, "input_tokens": input_tokens,
        "output_tokens": output_tokens, "cost_usd": cost, "cached": cached, "attempts": attempts,
        "created_at": now,
    }


def cached_row(ctx: RunContext, task: Task, now: Any) -> dict[str, Any]:
    """A stored answer reused: a good output, or a deterministic failure that is this request's final result."""
    c = task.cached or {}
    kind = c.get("error_kind") if isinstance(c.get("error_kind"), str) else None
    return _result_row(ctx, task, output=c.get("output"), finish_reason=c.get("finish_reason"), error_kind=kind,
                       error=c.get("error") if kind else None, latency_ms=c.get("latency_ms"), input_tokens=_int(c.get("input_tokens")),
                       output_tokens=_int(c.get("output_tokens")), cost=_float(c.get("cost_usd")), cached=True,
                       attempts=0, now=now)


def _int(v: Any) -> int | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else int(v)


def _float(v: Any) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


# -- the async worker ---------------------------------------------------------------------------------------------


def backoff_delay(attempt: int, base_s: float, retry_after: float | None, rng: random.Random,
                  cap_s: float = 60.0) -> float:
    """Retry-After when the server gives one (plus a little jitter so clients do not stampede back),
    else exponential backoff with full jitter: uniform(0, base * 2^(attempt-1)), capped."""
    if retry_after is not None and retry_after >= 0:
        return min(cap_s, retry_after * (1.0 + 0.1 * rng.random()))
    return rng.uniform(0, min(cap_s, base_s * 2 ** (attempt - 1)))


async def call_with_retries(request: CallRequest, settings: RunSettings, rng: random.Random,
                            on_attempt: Callable[[Any], bool] | None = None) -> tuple[Any, int]:
    """(CallOutcome or CallFailed, attempts). Retries rate limits, 5xx, timeouts and connection errors.
    `on_attempt` sees every attempt's outcome; when it returns False, no further attempt is made."""
    from evalcore import calls  # which client sends it: evalcore's own HTTP path or litellm (evalcore.calls)

    spec = calls.CallSpec(request.model, request.message_dicts(), dict(request.params), request.api_base,
                          request.api_key_env, request.input_price_per_mtok, request.output_price_per_mtok)
    client = calls.client_setting(settings.client)
    attempt = 0
    while True:
        attempt += 1
        try:
            outcome = await calls.complete(spec, timeout_s=settings.timeout_s, client=client)
        except CallFailed as failed:
            go_on = on_attempt(failed) if on_attempt else True
            if not failed.retryable or attempt >= settings.max_attempts or not go_on:
                return failed, attempt
            await asyncio.sleep(backoff_delay(attempt, settings.backoff_s, failed.retry_after, rng))
            if on_attempt and not on_attempt(None):
                return failed, attempt
        else:
            if on_attempt:
                on_attempt(outcome)
            return outcome, attempt


async def _judge(ctx: RunContext, task: Task, scorer: LlmJudgeScorer, output: str | None, rng: random.Random,
                 now: Any) -> tuple[dict[str, Any], float, int, tuple[str, str] | None]:
    """One judge score row, its cost, the judge calls sent (0 or 1) and its failure (kind, message) if any; the
    judge's reasoning is kept in detail."""
    from evalcore.scoring import judge_result, parse_judge_reply

    if output is None:
        return _score_row(ctx, task, scorer.label, 0.0, False, {"reason": "no output"}, None, now), 0.0, 0, None
    req = judge_request(scorer, task.example, output)
    jhash = req.hash(0)
    hit = ctx.judge_cache.get(jhash)
    if hit is not None:
        detail = json.loads(hit["detail"]) if isinstance(hit["detail"], str) else dict(hit["detail"])
        detail["cached"] = True
        return _score_row(ctx, task, scorer.label, hit["value"], hit["passed"], detail, jhash, now), 0.0, 0, None
    outcome, attempts = await call_with_retries(req, ctx.settings, rng)
    if isinstance(outcome, CallFailed):
        detail = {"error": f"judge call failed ({outcome.kind}): {outcome.message}", "attempts": attempts}
        failure = (outcome.kind, f"judge '{scorer.label}' ({scorer.model}): {outcome.message}")
        return _score_row(ctx, task, scorer.label, None, None, detail, jhash, now), 0.0, 1, failure
    try:
        rating, reasoning = parse_judge_reply(outcome.output or "")
    except ValueError as exc:
        detail = {"error": f"judge reply unreadable: {exc}", "reply": (outcome.output or "")[:2000]}
        failure = ("unreadable", f"judge '{scorer.label}' ({scorer.model}) replied without a usable rating: {exc}")
        return (_score_row(ctx, task, scorer.label, None, None, detail, jhash, now), outcome.cost_usd or 0.0, 1,
                failure)
    res = judge_result(scorer, rating, reasoning)
    detail = {**res.detail, "judge_model": scorer.model, "judge_cost_usd": outcome.cost_usd}
    return _score_row(ctx, task, scorer.label, res.value, res.passed, detail, jhash, now), outcome.cost_usd or 0.0, 1, None


class CandidateBreaker:
    """Stops a candidate whose first calls all fail the same candidate-wide way (a refused key, an unknown model,
    a refused connection): every other call of it would fail alike, costing time (retries) and sometimes money.

    A candidate that has answered once (or failed in a way that shows it can be reached: rate limits, 5xx, a
    request's own deterministic failure) is never stopped: its later failures are the request's, not its own."""

    LIMIT = 3  # failed attempts of one kind before the candidate is stopped

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self.reached: set[str] = set()
        self.counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.tripped: dict[str, Any] = {}  # candidate -> the CallFailed that stopped it

    def record(self, candidate: str, outcome: Any) -> bool:
        """Record one attempt's outcome (None: only ask); False once the candidate is stopped."""
        if outcome is None or candidate in self.tripped:
            return candidate not in self.tripped
        kind = getattr(outcome, "kind", None)
        if kind is None or kind in ("rate_limit", "server") or getattr(outcome, "final", False):
            self.reached.add(candidate)
        elif getattr(outcome, "candidate_wide", False) and candidate not in self.reached:
            self.counts[candidate][kind] += 1
            if self.counts[candidate][kind] >= self.limit:
                self.tripped[candidate] = outcome
                return False
        return True


def stop_note(candidate: str, request: CallRequest, failed: Any) -> StopNote:
    """Why a candidate was stopped; `StopNote.text` words it (with the run's final counts once they are known)."""
    return StopNote(candidate, request.model, request.api_base, request.api_key_env, failed.kind, failed.message,
                    failed.advice)


def models_called(ctx: RunContext) -> list[str]:
    """Every model a run may call: its candidates' and its LLM judges'."""
    return [m["model"] for m in ctx.candidates.values()] + [
        s.model for s in ctx.scorers if isinstance(s, LlmJudgeScorer)]


async def run_tasks(tasks: Sequence[Task], ctx: RunContext, journal: Journal,
                    on_result: Callable[[dict[str, Any], Tally], None],
                    stop: threading.Event | None = None,
                    on_stopped: Callable[[str, StopNote], None] | None = None) -> bool:
    """Produce every task's result (call or cached output), score it, append it to the journal. When `stop` is set,
    every call in flight is cancelled at once and nothing more is sent; returns False if stopped. A candidate the
    breaker stops gets its remaining calls recorded as not sent (attempts 0), and `on_stopped(candidate, note)`."""
    from evalcore import calls

    settings = ctx.settings
    client = calls.client_setting(settings.client)
    calls.prepare_loop(asyncio.get_running_loop(), calls.needs_litellm(models_called(ctx), client))
    overall = asyncio.Semaphore(settings.concurrency)
    per_cand: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(settings.per_candidate))
    rng = random.Random(os.getpid() ^ int(time.time()))
    judges = [s for s in ctx.scorers if isinstance(s, LlmJudgeScorer)]
    breaker = CandidateBreaker()
    announced: set[str] = set()

    def not_sent_row(task: Task, now: Any) -> dict[str, Any]:
        failed = breaker.tripped[task.candidate]
        return _result_row(ctx, task, output=None, finish_reason=None, error_kind=failed.kind,
                           error=f"not sent: candidate stopped after repeated {failed.kind} failures: {failed.message}",
                           latency_ms=None, input_tokens=None, output_tokens=None, cost=None, cached=False,
                           attempts=0, now=now)

    async def one(task: Task) -> None:
        now = utcnow()
        not_sent = False
        if task.cached is not None:
            row, sent = cached_row(ctx, task, now), False
        elif task.candidate in breaker.tripped:
            row, sent, not_sent = not_sent_row(task, now), False, True
        else:
            async with overall, per_cand[task.candidate]:
                if task.candidate in breaker.tripped:
                    outcome, attempts = None, 0
                else:
                    outcome, attempts = await call_with_retries(
                        task.request, settings, rng, lambda o: breaker.record(task.candidate, o))
            now = utcnow()
            if outcome is None:
                row, sent, not_sent = not_sent_row(task, now), False, True
            elif isinstance(outcome, CallFailed):
                sent = attempts > 0
                row = _result_row(ctx, task, output=None, finish_reason=None, error_kind=outcome.kind,
                                  error=outcome.message, latency_ms=None, input_tokens=None, output_tokens=None,
                                  cost=None, cached=False, attempts=attempts, now=now)
            else:
                sent = True
                row = _result_row(ctx, task, output=outcome.output, finish_reason=outcome.finish_reason,
                                  error_kind=None, error=None, latency_ms=outcome.latency_ms,
                                  input_tokens=outcome.input_tokens, output_tokens=outcome.output_tokens,
                                  cost=outcome.cost_usd, cached=False, attempts=attempts, now=now)
        if task.candidate in breaker.tripped and task.candidate not in announced:
            announced.add(task.candidate)
            if on_stopped:
                on_stopped(task.candidate, stop_note(task.candidate, task.request, breaker.tripped[task.candidate]))
        scores = deterministic_scores(ctx, task, row["output"], now)
        judge_sent, judge_cost, judge_errors = 0, 0.0, []
        for j in judges:
            async with overall:
                srow, jcost, jsent, jfail = await _judge(ctx, task, j, row["output"], rng, now)
            scores.append(srow)
            judge_sent += jsent
            judge_cost += jcost
            if jfail:
                judge_errors.append(jfail)
        journal.append(row, scores)
        unpriced = sent and row["error_kind"] is None and row["cost_usd"] is None
        on_result(row, Tally(row["error_kind"], row["error"], row["cost_usd"] or 0.0, sent, bool(row["cached"]),
                             not_sent, judge_sent, judge_cost, tuple(judge_errors), task.candidate, unpriced))

    work = asyncio.gather(*(one(t) for t in tasks))
    try:
        if stop is None:
            await work
            return True
        while not work.done():
            if stop.is_set():
                work.cancel()
                with _quiet_cancellation():
                    try:
                        await work
                    except asyncio.CancelledError:
                        pass
                return False
            await asyncio.wait([work], timeout=0.02)
        work.result()
        return True
    finally:
        await calls.aclose()  # the direct path's connections


@contextlib.contextmanager
def _quiet_cancellation() -> Any:
    """Cancelling calls in flight can drop a coroutine litellm created but had not started (it then warns
    'coroutine ... was never awaited' when collected). Nothing was sent by it; the warning is noise for people."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"coroutine .* was never awaited", category=RuntimeWarning)
        yield
        gc.collect()


def ignore_callers_main() -> None:
    """Workers never run the starting process's `__main__` (called by the fork server's boot module, so only that
    process and the workers forked from it are affected).

    multiprocessing re-imports the parent's main script in every child it starts. Inside Streamlit that "script" is
    the page that pressed Run (Streamlit puts it in sys.modules['__main__'] while it runs), and re-running a page
    in a worker crashed every worker with exit code 1. Workers need nothing from it: the boot module loaded
    everything they run, and their task arrives pickled by reference to evalcore's own functions."""
    from multiprocessing import spawn

    spawn._fixup_main_from_path = lambda main_path: None  # type: ignore[assignment]
    spawn._fixup_main_from_name = lambda mod_name: None  # type: ignore[assignment]


def _die_with_parent() -> None:
    """A worker must not outlive the process that started its run, however that process died (kill -9, the OOM
    killer, a closed terminal): it would keep sending paid calls and writing.

    Workers are forked by multiprocessing's fork server, not by the starting process, so the kernel's parent-death
    signal and a parent-pid watch follow the fork server, which used to live on. Two things fix that:
    - the lifeline: multiprocessing hands each child the read end of a pipe whose write end only the starting
      process holds (`parent_process().sentinel`). A thread blocks on it; end of file means the starter is gone,
      and the worker leaves at once with os._exit (no cleanup that could send or wait);
    - every child also inherits the fork server's own liveness pipe (`_forkserver_alive_fd`); holding it kept the
      fork server alive after the starter died. Closing it lets the fork server exit too.
    Ctrl-C reaches the whole process group; workers ignore SIGINT and are stopped by the starter instead, so no
    worker dies mid-call with a traceback (or an un-awaited coroutine)."""
    import select
    import signal
    from multiprocessing import forkserver, parent_process

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    alive = getattr(forkserver._forkserver, "_forkserver_alive_fd", None)
    if alive is not None:
        try:
            os.close(alive)
        except OSError:
            pass
        forkserver._forkserver._forkserver_alive_fd = None
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: if the fork server dies
    except (OSError, AttributeError):
        pass
    parent = parent_process()
    sentinel = getattr(parent, "sentinel", None)
    if sentinel is None:  # not started by multiprocessing: nothing to watch
        return

    def watch() -> None:
        poller = select.poll()
        poller.register(sentinel, select.POLLIN | select.POLLHUP | select.POLLERR)
        while True:
            try:
                if poller.poll():
                    break
            except InterruptedError:
                continue
        os._exit(3)

    threading.Thread(target=watch, name="evalcore-lifeline", daemon=True).start()


def _worker_main(tasks: list[Task], ctx: RunContext, events: Any) -> None:
    """Entry point of a worker process: its own journal, its own event loop, progress sent in batches."""
    from evalcore import calls

    _die_with_parent()
    gc.freeze()  # see evalcore.worker_boot: what the worker inherited is never garbage, so never scan it
    calls.in_worker_process()
    ws = Workspace(ctx.workspace)
    batch: list[Any] = []
    last = time.monotonic()

    def on_result(row: dict[str, Any], tally: Tally) -> None:
        nonlocal last
        batch.append(tally)
        if time.monotonic() - last > 0.1:
            events.put(list(batch))
            batch.clear()
            last = time.monotonic()

    def on_stopped(candidate: str, note: StopNote) -> None:
        batch.append(("stopped", candidate, note))

    try:
        with ws.open_journal(ctx.suite, ctx.run_id) as journal:
            asyncio.run(run_tasks(tasks, ctx, journal, on_result, on_stopped=on_stopped))
    except WorkspaceWriteError as exc:  # a full disk or a read-only workspace: said by the run, not a crash
        events.put(list(batch))
        batch.clear()
        events.put(("write_error", exc.message, exc.reason, str(exc.path), exc.hint))
    events.put(list(batch))
    events.put(("cpu", time.process_time()))


# -- the facade ----------------------------------------------------------------------------------------------------


def _candidate_meta(c: Candidate) -> dict[str, Any]:
    return {"model": c.model, "family": c.family_name, "release": c.release.isoformat() if c.release else None,
            "key_env": c.api_key_env}  # the variable's name, never its value


def _plan_hash(version: str, candidates: Sequence[Candidate], repeats: int) -> str:
    payload = [version, repeats, [c.model_dump(mode="json") for c in candidates]]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


WORKER_THRESHOLD = 400  # below this many calls, one in-process worker is as fast as starting processes
MAX_WORKERS = 4
CALLS_PER_WORKER = 8  # fewer calls in flight than this per worker and another process buys nothing
DIRECT_CALLS_PER_WORKER = 64  # the same for the direct HTTP path, whose calls cost ~0.5 ms of CPU instead of ~4


def worker_count(pending: int, settings: RunSettings, cpus: int | None = None, *, litellm: bool = True) -> int:
    """How many worker processes send `pending` calls: one per core plus one, at most MAX_WORKERS.

    A worker is an event loop that mostly waits on the network, but litellm spends ~4 ms of CPU per call in it,
    so a response that arrives while its loop is busy waits. One more loop than cores keeps that queue short:
    measured on 2 cores at 32 calls in flight, 3 workers sent 2,000 calls in 13.3-13.5 s, 2 workers in 14.5-15.9 s,
    4 no faster than 3. Never more workers than the concurrency limits can be split between (a limit stays a
    limit), and in-process below WORKER_THRESHOLD calls, where starting processes costs more than it saves.

    With litellm=False (every call on the direct HTTP path), one event loop keeps DIRECT_CALLS_PER_WORKER calls in
    flight without answers queueing: measured at 200 ms latency and concurrency 32 (real-size prompts), 1, 2 and 3
    workers all kept the server's active window at 1.03-1.06x of ideal, and in-process saves the fork server's
    start. Only more calls in flight than that (a fast local server at concurrency 256) spread over processes."""
    cpus = cpus or os.cpu_count() or 1
    if cpus < 2 or pending < WORKER_THRESHOLD:
        return 1
    if not litellm:
        return max(1, min(cpus + 1, MAX_WORKERS, -(-settings.concurrency // DIRECT_CALLS_PER_WORKER),
                          settings.per_candidate))
    return max(1, min(cpus + 1, MAX_WORKERS, settings.concurrency // CALLS_PER_WORKER or 1,
                      settings.per_candidate))


def split_limit(total: int, parts: int) -> list[int]:
    """`total` spread over `parts` as evenly as possible, summing to exactly `total` (each at least 1)."""
    base, extra = divmod(total, parts)
    return [max(1, base + (i < extra)) for i in range(parts)]


def deal(tasks: Sequence[Task], shares: Sequence[int]) -> list[list[Task]]:
    """Tasks dealt in order to workers in proportion to their shares of the concurrency, so that all finish
    together: 2,000 calls dealt evenly to workers with 11, 11 and 10 slots would leave the third running ~10%
    longer than the others. Dealing in order keeps each worker's mix of candidates the same."""
    hands: list[list[Task]] = [[] for _ in shares]
    for task in tasks:
        w = min(range(len(shares)), key=lambda i: ((len(hands[i]) + 1) / shares[i], i))
        hands[w].append(task)
    return hands


_PRELOAD = {True: "evalcore.worker_boot", False: "evalcore.worker_boot_http"}
_server_litellm: bool | None = None  # whether the fork server this process started has litellm loaded
_BACKGROUND = "evalcore.worker_nice"  # loaded first by a fork server started with background=True
_server_background = False  # whether that fork server runs at the lower, background priority


def _mp_context() -> Any:
    ctx = mp.get_context("forkserver")
    if _server_litellm is None:
        ctx.set_forkserver_preload(_preload(True, _server_background))
    return ctx


def _preload(litellm: bool, background: bool) -> list[str]:
    return [_BACKGROUND, _PRELOAD[litellm]] if background else [_PRELOAD[litellm]]


def _noop() -> None:
    pass


def start_workers(wait: bool = False, *, litellm: bool = True, background: bool = False) -> None:
    """Start the worker fork server now. It loads litellm and warms it (~4 s, in the background), and stays up
    for the life of this process, so every later run_suite here starts sending at once instead of after that
    load. run_suite calls it as early as it can; a long-lived process (the dashboard, a notebook) can call it
    ahead of the first run. With wait=True, return only once workers can be forked.

    litellm=False (run_suite's choice when every call takes the direct HTTP path) loads only evalcore (~0.7 s). A
    server started so is restarted with litellm when a later run needs it; one with litellm serves every run.

    background=True (the dashboard's warm-up) starts the fork server at a lower CPU priority
    (`evalcore.worker_nice`): its load then does not slow the page someone is opening, and the runs it serves
    yield the CPU to the pages. It applies only when this call starts the fork server."""
    global _server_litellm, _server_background
    from multiprocessing import forkserver

    ctx = _mp_context()
    server = getattr(forkserver, "_forkserver", None)
    if litellm and _server_litellm is False and hasattr(server, "_stop"):
        server._stop()  # type: ignore[union-attr]  # between runs: its workers are gone
        _server_litellm = None
    if _server_litellm is None or (server is not None and getattr(server, "_forkserver_pid", None) is None):
        ctx.set_forkserver_preload(_preload(litellm, background))
        _server_litellm, _server_background = litellm, background
    forkserver.ensure_running()
    if wait:
        p = ctx.Process(target=_noop, daemon=True)
        p.start()  # the fork server answers only once its preload is done
        p.join()


def _dispatch(pending: list[Task], ctx: RunContext, workers: int, progress: Progress,
              callback: Callable[[Progress], None] | None, stop: threading.Event | None = None) -> bool:
    """Send the pending calls, in this process or in worker processes. Returns False if `stop` was set: then
    nothing more is sent (workers are killed at once: each result is one whole journal line, so a worker killed
    between two loses only its calls in flight) and what was answered is in the journals."""
    def on_stopped(candidate: str, note: StopNote) -> None:
        if candidate not in progress.stop_notes:  # another worker may say it too
            progress.stop_notes[candidate] = note
            progress.stopped.setdefault(candidate, note.text())

    if stop is not None and stop.is_set():
        return False
    if workers <= 1:
        ws = Workspace(ctx.workspace)

        def on_result(row: dict[str, Any], tally: Tally) -> None:
            progress.add(tally)
            if callback:
                callback(progress)

        outcome: list[bool] = []

        def run() -> None:
            with _quiet_cancellation() if stop is not None else contextlib.nullcontext():
                outcome.append(asyncio.run(run_tasks(pending, ctx, journal, on_result, stop, on_stopped)))

        with ws.open_journal(ctx.suite, ctx.run_id) as journal:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                run()
            else:  # called from inside an event loop (a notebook): run ours in a thread
                t = threading.Thread(target=run)
                t.start()
                t.join()
        return bool(outcome and outcome[0])

    mpctx = _mp_context()
    events = mpctx.Queue()
    settings = ctx.settings
    shares = split_limit(settings.concurrency, workers)
    procs = [
        mpctx.Process(target=_worker_main, daemon=True, args=(
            hand,
            replace(ctx, settings=settings.model_copy(update={"concurrency": conc, "per_candidate": per_cand})),
            events,
        ))
        for hand, conc, per_cand in zip(deal(pending, shares), shares,
                                        split_limit(settings.per_candidate, workers))
    ]
    finished = 0
    stopped = False
    try:
        for p in procs:
            p.start()
            _live_workers.add(p)
            if stop is not None and stop.is_set():
                break
        while finished < workers and (any(p.is_alive() for p in procs) or not events.empty()):
            if stop is not None and stop.is_set():
                stopped = True
                break
            try:
                batch = events.get(timeout=0.05)
            except queue_mod.Empty:
                continue
            if isinstance(batch, tuple) and batch[0] == "write_error":  # nothing more is sent by anyone
                raise WorkspaceWriteError(batch[1], reason=batch[2], path=Path(batch[3]), hint=batch[4])
            if isinstance(batch, tuple):  # a worker's last message: its CPU time
                progress.worker_cpu_s += batch[1]
                finished += 1
                continue
            for item in batch:
                if isinstance(item, tuple):  # ("stopped", candidate, StopNote); another worker may say it too
                    on_stopped(item[1], item[2])
                else:
                    progress.add(item)
            if callback:
                callback(progress)
        stopped = stopped or (stop is not None and stop.is_set() and finished < workers)
    except BaseException:
        _kill(procs)
        _live_workers.difference_update(procs)
        raise
    if stopped:
        _kill(procs)
        _live_workers.difference_update(procs)
        return False
    for p in procs:
        p.join()
    _live_workers.difference_update(procs)
    failed = [p.exitcode for p in procs if p.exitcode not in (0, None)]
    if failed:
        raise RuntimeError(f"{len(failed)} worker process(es) died (exit codes {failed}); rerun to resume")
    return True


_live_workers: set[Any] = set()  # worker processes of the runs in progress in this process


def halt_workers() -> None:
    """SIGKILL every worker of every run in progress here, at once. Safe to call from a signal handler: a stopped
    run must not send one more call, and waiting for the run's loop to notice its stop event takes a poll."""
    for p in list(_live_workers):
        try:
            if p.pid is not None:
                os.kill(p.pid, 9)
        except (OSError, ValueError):
            pass


def _kill(procs: Sequence[Any]) -> None:
    """Stop workers now (SIGKILL: a stopped run must not send one more call), then reap them."""
    for p in procs:
        if p.pid is not None and p.exitcode is None:
            try:
                p.kill()
            except (OSError, ValueError):
                pass
    for p in procs:
        if p.pid is not None:
            p.join(timeout=2.0)


def run_suite(
    suite: Suite,
    workspace: str | os.PathLike[str] | None = None,
    *,
    candidates: Sequence[str] | None = None,
    repeats: int | None = None,
    concurrency: int | None = None,
    workers: int | None = None,
    encoding: str | None = None,
    new_run: bool = False,
    progress: Callable[[Progress], None] | None = None,
    stop: threading.Event | None = None,
    retry_errors: bool = False,
    allow_missing_keys: bool = False,
    examples: Sequence[Example] | None = None,
) -> RunSummary:
    """Run a suite into a workspace and return what happened. Resumes an interrupted run of the same plan.

    `stop` (for a run in a background thread, e.g. the dashboard's, or a CLI's signal handler): once set, nothing
    more is sent, the journals are compacted, the run is marked `interrupted` (the next run resumes it) and the
    summary is returned with that status; no exception. Ctrl-C (KeyboardInterrupt) does the same, then re-raises.
    `retry_errors`: resend requests whose stored result is a deterministic failure (context window, content filter,
    bad request), which are otherwise final. `allow_missing_keys`: run the candidates whose key is set, recording
    the others' calls as not sent, instead of refusing to start. `examples`: the suite's dataset already loaded
    (with `encoding`) by the caller, so it is not read twice."""
    from evalcore.ingest import load_examples

    started = time.perf_counter()
    cpu_started = time.process_time()
    chosen = suite.select(candidates or None)  # before any write
    ws = Workspace(workspace)
    ws.check_writable()  # a read-only workspace or a full disk is said before any call is paid for
    reps = repeats or suite.repeats
    settings = suite.run if concurrency is None else suite.run.model_copy(update={"concurrency": concurrency})
    from evalcore.calls import client_setting, needs_litellm  # which client sends the calls (no litellm import)

    client = client_setting(settings.client)  # an unknown EVALCORE_CLIENT is an error before anything runs
    litellm_needed = needs_litellm([c.model for c in chosen] + [
        s.model for s in suite.scorers if isinstance(s, LlmJudgeScorer)], client)
    if examples is None:
        examples = load_examples(suite.dataset_path, suite.columns, encoding=encoding, display_name=suite.dataset,
                                 allow_empty_input=suite.allow_empty_input)
    version = suite_version(suite, examples)
    tasks = plan_tasks(suite, examples, chosen, reps)
    ws.write_examples(suite.name, version, [
        {"suite": suite.name, "suite_version": version, "example_id": e.id, "input": e.input,
         "expected": e.expected, "tags": list(e.tags), "fields": json.dumps(e.fields, ensure_ascii=False, default=str),
         "row": e.row, "schema_version": SCHEMA_VERSION}
        for e in examples
    ])
    plan_hash = _plan_hash(version, chosen, reps)

    def planned_workers(calls: int) -> int:
        n = workers if workers is not None else worker_count(calls, settings, litellm=litellm_needed)
        return max(1, min(n, calls or 1, settings.concurrency, settings.per_candidate))

    prewarmed = False
    if planned_workers(len(tasks)) > 1 and not ws.has_files("results"):
        start_workers(litellm=litellm_needed)  # nothing can be cached yet: workers' imports load while we plan
        prewarmed = True
    elif tasks and not ws.has_files("results"):
        from evalcore.calls import import_in_background

        import_in_background(litellm_needed)  # calls sent from this process: their clients load while we plan
    from evalcore.queries import Queries  # duckdb and pandas load here, after the fork server has started

    run_id, resumed = None, False
    if not new_run:
        for m in ws.manifests(suite.name):
            if m.get("status") in ("interrupted", "failed") and m.get("plan_hash") == plan_hash:
                run_id, resumed = m["run_id"], True
                break
    run_id = run_id or new_run_id()
    ctx = RunContext(
        workspace=ws.uri, suite=suite.name, suite_version=version, run_id=run_id, settings=settings,
        scorers=tuple(suite.scorers), candidates={c.name: _candidate_meta(c) for c in chosen},
    )
    manifest: dict[str, Any] = {
        "run_id": run_id, "suite": suite.name, "suite_version": version, "plan_hash": plan_hash,
        "status": "running", "started_at": utcnow().isoformat(), "finished_at": None,
        "evalcore_version": __version__, "candidates": [c.name for c in chosen], "repeats": reps,
        "examples": len(examples), "planned": len(tasks),
        "config": suite.model_dump(mode="json", by_alias=True, exclude={"base_dir"}),
    }
    if resumed:
        manifest["started_at"] = ws.read_manifest(suite.name, run_id).get("started_at", manifest["started_at"])
        manifest["resumed_at"] = utcnow().isoformat()

    with ws.run_lock(suite.name, run_id):
        ws.write_manifest(manifest)
        q = Queries(ws)
        try:
            done_keys: set[tuple[str, str, int]] = set()
            if resumed:
                # We hold the run lock, so the process that ran it before is gone; a journal still locked belongs to
                # one of its workers, which exits within moments of losing its lifeline (see _die_with_parent).
                ws.compact_run(suite.name, run_id, wait_s=3.0)
                done_keys = q.run_keys(suite.name, run_id)
            todo = [t for t in tasks if t.key not in done_keys]
            hits = q.cached_results(sorted({t.request_hash for t in todo}),
                                    () if retry_errors else tuple(sorted(FINAL)))
            hits = {h: {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
                    for h, r in hits.items()}  # a column of nulls reads back as NaN
            for t in todo:
                t.cached = hits.get(t.request_hash)
            to_send = sum(t.cached is None for t in todo)
            try:
                blocked = _preflight(suite, chosen, todo, allow_missing_keys)
            except SuiteError:
                _abandon(ws, manifest, resumed)
                raise
            if planned_workers(to_send) > 1 and not prewarmed:
                start_workers(litellm=litellm_needed)  # only when calls will be sent: an unused fork server makes the exit slow
            prog = Progress(total=len(tasks), done=len(done_keys))
            prog.stopped.update({b.name: b.message for b in blocked.values()})

            resolved, pending, judged = _resolve_cached(ctx, q, todo)
            resolved += _not_sent(ctx, pending, blocked)
            pending = [t for t in pending if not (t.cached is None and t.candidate in blocked)]
            if resolved:
                rows, scores = zip(*resolved)
                write_results(ws, suite.name, run_id, f"cache-{uuid.uuid4().hex[:8]}", list(rows),
                              [s for ss in scores for s in ss])
                for r in rows:
                    prog.add(Tally(r["error_kind"], r["error"], 0.0, False, bool(r["cached"]),
                                   not_sent=not r["cached"], candidate=r["candidate"]))
                if progress:
                    progress(prog)
            ctx = replace(ctx, judge_cache=judged)
            to_send = sum(t.cached is None for t in pending)
            n_workers = planned_workers(len(pending))
            prog.to_send, prog.workers = to_send, (n_workers if n_workers > 1 else 0)
            prog.litellm = litellm_needed
            if progress and pending:
                progress(prog)  # before the first answer, which may take seconds (litellm loading in workers)
            status = "failed"  # until proven otherwise; a failed or interrupted run is resumed next time
            write_error: WorkspaceWriteError | None = None
            try:
                completed = _dispatch(pending, ctx, n_workers, prog, progress, stop) if pending else True
                status = "finished" if completed else "interrupted"
            except KeyboardInterrupt:
                status = "interrupted"
                raise
            except WorkspaceWriteError as exc:  # the disk filled up (or went read-only) mid-run: stop cleanly
                write_error = exc
            finally:
                for name, note in prog.stop_notes.items():  # the counts as they ended, not as they were at the stop
                    prog.stopped[name] = note.text(prog.by_candidate.get(name, CandidateCounts()))
                try:
                    ws.compact_run(suite.name, run_id)
                    mine = q.run_counts(suite.name, run_id)
                    errors = int(mine["errors"].iloc[0]) if len(mine) else 0
                    manifest.update(status=status, finished_at=utcnow().isoformat(),
                                    results=int(mine["results"].iloc[0]) if len(mine) else 0, errors=errors,
                                    sent=prog.sent, not_sent=prog.not_sent, stopped=prog.stopped,
                                    unpriced=_unpriced(prog),
                                    judge_calls=prog.judge_sent, judge_errors=prog.judge_errors)
                    ws.write_manifest(manifest)
                except WorkspaceWriteError as exc:  # still no room: the journals stay, the next run files them
                    write_error = write_error or exc
            if write_error is not None:
                raise _stopped_by_write(write_error, ws, suite.name, run_id, prog) from None
            by_kind = q.errors_by_kind(suite.name, run_id)
        finally:
            q.close()
    return RunSummary(
        run_id=run_id, suite=suite.name, suite_version=version, status=status, total=len(tasks),
        sent=prog.sent, cached=prog.cached, skipped=len(done_keys), errors=sum(by_kind.values()),
        cost_usd=round(prog.cost_usd, 6), wall_s=round(time.perf_counter() - started, 3), resumed=resumed,
        workers=n_workers if pending else 0, errors_by_kind=by_kind,
        cpu_s=round(time.process_time() - cpu_started + prog.worker_cpu_s, 3),
        not_sent=prog.not_sent, stopped=dict(prog.stopped), judge_calls=prog.judge_sent,
        judge_errors=prog.judge_errors, judge_errors_by_kind=dict(prog.judge_errors_by_kind),
        judge_cost_usd=round(prog.judge_cost_usd, 6), last_judge_error=prog.last_judge_error,
        final_errors=sum(n for k, n in by_kind.items() if k in FINAL),
        unpriced=_unpriced(prog), by_candidate={k: asdict(v) for k, v in prog.by_candidate.items()},
    )


def _unpriced(prog: Progress) -> dict[str, int]:
    """Candidate -> its answered calls whose price is unknown (their cost is not in `cost_usd`)."""
    return {name: c.unpriced for name, c in prog.by_candidate.items() if c.unpriced}


def _preflight(suite: Suite, chosen: Sequence[Candidate], todo: Sequence[Task],
               allow_missing_keys: bool) -> dict[str, Any]:
    """Check before the first call (see evalcore.preflight): a key variable not set is an error naming every one
    (unless allow_missing_keys: then those candidates are skipped), a judge that cannot be called is an error, an
    api_base nobody listens on skips its candidate. Only candidates with calls to send are checked, so a rerun
    answered wholly from the store needs neither keys nor network. Returns candidate -> Blocked."""
    from evalcore import preflight

    sending = {t.candidate for t in todo if t.cached is None}
    outputs = any(True for _ in todo)  # judges score every output that is not already judged
    judges = [s for s in suite.scorers if isinstance(s, LlmJudgeScorer)] if outputs else []
    cands, jdg = preflight.check([(c.name, c.api_base, c.api_key_env) for c in chosen if c.name in sending],
                                 [(j.label, j.api_base, j.api_key_env) for j in judges])
    keys = [b for b in cands if b.kind == "config"]
    if jdg or (keys and not allow_missing_keys):
        problems = [b.message for b in [*jdg, *([] if allow_missing_keys else keys)]]
        hint = ("Nothing was sent." + (" Pass --allow-missing-keys (allow_missing_keys=True) to run the other "
                                      "candidates now." if keys and not allow_missing_keys else ""))
        raise SuiteError(" ".join(problems), hint=hint)
    return {b.name: b for b in cands}


def _stopped_by_write(exc: WorkspaceWriteError, ws: Workspace, suite: str, run_id: str,
                      prog: Progress) -> WorkspaceWriteError:
    """The run stopped because the workspace could not be written: where, why, how much is kept, how to resume.
    Every answered call before the failure is a whole journal line (or a Parquet part), so the rerun sends only
    what is missing."""
    what = (f"the disk holding the workspace {ws.root} is full" if exc.reason == "full"
            else f"the workspace {ws.root} is read-only")
    fix = ("Free some space on that disk (or move the workspace elsewhere)" if exc.reason == "full"
           else "Make the workspace writable (or move it elsewhere)")
    kept = min(ws.run_progress(suite, run_id), prog.total)  # what is on disk: parts plus whole journal lines
    return WorkspaceWriteError(
        f"{what} (writing {exc.path.name} failed): run {run_id} of '{suite}' stopped and nothing more is sent. "
        f"{kept} of {prog.total} results are kept.",
        reason=exc.reason, path=exc.path,
        hint=f"{fix}, then run the same command again: it resumes run {run_id} and sends only the "
             f"{prog.total - kept} missing calls.")


def _abandon(ws: Workspace, manifest: dict[str, Any], resumed: bool) -> None:
    """A run that could not start leaves no trace: a new one's manifest goes, a resumed one keeps its old one."""
    if resumed:
        ws.write_manifest({**manifest, "status": "interrupted"})
    else:
        ws.delete_manifest(manifest["suite"], manifest["run_id"])


def _not_sent(ctx: RunContext, pending: Sequence[Task], blocked: dict[str, Any]) -> list[tuple[dict, list]]:
    """Rows for the calls of candidates stopped before the first call: attempts 0, the reason as the error (an
    error row is retried by the next run, so nothing is lost)."""
    now = utcnow()
    out = []
    for t in pending:
        if t.cached is None and t.candidate in blocked:
            b = blocked[t.candidate]
            row = _result_row(ctx, t, output=None, finish_reason=None, error_kind=b.kind,
                              error=f"not sent: {b.message}"[:500], latency_ms=None, input_tokens=None,
                              output_tokens=None, cost=None, cached=False, attempts=0, now=now)
            out.append((row, deterministic_scores(ctx, t, None, now)))
    return out


def _resolve_cached(ctx: RunContext, q: Any, todo: list[Task]
                    ) -> tuple[list[tuple[dict, list]], list[Task], dict[str, dict[str, Any]]]:
    """Cached answers whose every score is known are finished here, without a worker or litellm.

    Also returns the judge scores found, so workers scoring the other cached answers need not look again."""
    judges = [s for s in ctx.scorers if isinstance(s, LlmJudgeScorer)]
    now = utcnow()
    jh: dict[tuple[int, str], str] = {}
    if judges:
        for i, t in enumerate(todo):
            if t.cached is not None and t.cached.get("output") is not None:
                for j in judges:
                    jh[(i, j.label)] = judge_request(j, t.example, t.cached["output"]).hash(0)
    known = q.cached_judgements(sorted(set(jh.values()))) if jh else {}
    resolved, pending = [], []
    for i, t in enumerate(todo):
        final_failure = t.cached is not None and t.cached.get("output") is None
        if t.cached is None or (not final_failure and any(jh[(i, j.label)] not in known for j in judges)):
            pending.append(t)
            continue
        row = cached_row(ctx, t, now)
        scores = deterministic_scores(ctx, t, row["output"], now)
        if final_failure:  # a request's deterministic failure, reused: nothing for a judge to read
            scores += [_score_row(ctx, t, j.label, 0.0, False, {"reason": "no output"}, None, now) for j in judges]
            resolved.append((row, scores))
            continue
        for j in judges:
            hit = known[jh[(i, j.label)]]
            detail = {**json.loads(hit["detail"]), "cached": True}
            scores.append(_score_row(ctx, t, j.label, hit["value"], hit["passed"], detail, jh[(i, j.label)], now))
        resolved.append((row, scores))
    return resolved, pending, known




def judge_outputs(ctx: RunContext, items: Sequence[tuple[Task, str | None]]) -> list[dict[str, Any]]:
    """Score rows of every llm_judge in `ctx.scorers` for outputs that already exist (imported ones), through the
    same judge requests, retries, reply parsing and judge cache (`ctx.judge_cache`) as a run. The judge calls are
    sent from this process, with the suite's concurrency limit; a failed judge call is a row with the error."""
    from evalcore import calls, llm

    judges = [s for s in ctx.scorers if isinstance(s, LlmJudgeScorer)]
    if not judges or not items:
        return []

    async def judge_all() -> list[dict[str, Any]]:
        llm.use_call_executor(asyncio.get_running_loop())
        limit = asyncio.Semaphore(ctx.settings.concurrency)
        rng = random.Random(os.getpid() ^ int(time.time()))

        async def one(task: Task, output: str | None, scorer: LlmJudgeScorer) -> dict[str, Any]:
            async with limit:
                row, _cost, _sent, _failure = await _judge(ctx, task, scorer, output, rng, utcnow())
                return row

        try:
            return list(await asyncio.gather(*(one(t, o, j) for t, o in items for j in judges)))
        finally:
            await calls.aclose()  # else the pool outlives its loop and aiohttp reports it at exit

    return asyncio.run(judge_all())
