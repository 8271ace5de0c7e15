"""The runner against a real local OpenAI-compatible server, through litellm's real HTTP path."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st
from suite_factory import make_suite

from evalcore.queries import Queries
from evalcore.runner import Progress, backoff_delay, deal, run_suite, split_limit, worker_count
from evalcore.store import Workspace
from evalcore.suite import RunSettings


def _results(ws: Path, run_id: str | None = None):
    q = Queries(ws)
    df = q.current_results("t", run_id)
    q.close()
    return df


def test_run_writes_one_row_per_example_candidate_repeat(tmp_path, server):
    suite = make_suite(tmp_path, server.base_url, [f"question {i}" for i in range(5)], repeats=2)
    summary = run_suite(suite, tmp_path / "ws")
    assert summary.status == "finished"
    assert (summary.total, summary.sent, summary.cached, summary.errors) == (20, 20, 0, 0)
    df = _results(tmp_path / "ws")
    assert len(df) == 20
    assert df.groupby(["example_id", "candidate", "repeat"]).size().max() == 1
    row = df[(df.candidate == "m1") & (df.example_id == "e002") & (df.repeat == 1)].iloc[0]
    assert row.output == "model-1 says: Q: question 2"
    assert row.model == "openai/model-1" and row.family == "fam" and str(row.release)[:10] == "2026-02-01"
    assert row.input_tokens > 0 and row.output_tokens > 0 and row.latency_ms > 0
    # cost from the candidate's price override: $1 / $2 per million tokens
    assert row.cost_usd == pytest.approx((row.input_tokens * 1.0 + row.output_tokens * 2.0) / 1e6)
    assert server.stats()["requests"] == 20


def test_a_candidate_named_twice_runs_once(tmp_path, server):
    """`--candidates m0,m0` sent every call twice and wrote each row twice into one run; every later read then
    refused the run's duplicate rows."""
    suite = make_suite(tmp_path, server.base_url, ["q1", "q2", "q3"])
    summary = run_suite(suite, tmp_path / "ws", candidates=["m0", "m0"])
    assert (summary.total, summary.sent) == (3, 3) and server.stats()["requests"] == 3
    df = _results(tmp_path / "ws")
    assert len(df) == 3 and set(df.candidate) == {"m0"}
    assert [c.name for c in suite.select(["m1", "m0", "m1"])] == ["m1", "m0"]


def test_rerun_sends_no_request_and_marks_rows_cached(tmp_path, server):
    suite = make_suite(tmp_path, server.base_url, [f"question {i}" for i in range(6)])
    first = run_suite(suite, tmp_path / "ws")
    server.reset()
    second = run_suite(suite, tmp_path / "ws")
    assert server.stats()["requests"] == 0
    assert second.run_id != first.run_id
    assert (second.sent, second.cached, second.cost_usd) == (0, 12, 0.0)
    df = _results(tmp_path / "ws", second.run_id)
    assert df["cached"].all() and len(df) == 12
    assert set(df["output"]) == set(_results(tmp_path / "ws", first.run_id)["output"])


def test_429_is_retried_and_retry_after_is_honoured(tmp_path, server, monkeypatch):
    from evalcore import runner

    waits: list[tuple[float | None, float]] = []

    def recording_backoff(attempt, base_s, retry_after, rng, cap_s=60.0):
        delay = backoff_delay(attempt, base_s, retry_after, rng, cap_s)
        waits.append((retry_after, delay))
        return delay

    monkeypatch.setattr(runner, "backoff_delay", recording_backoff)
    suite = make_suite(tmp_path, server.base_url, ["busy [[429:2]]"], candidates=1,
                       run={"backoff_s": 0.0})  # no backoff of our own: any wait comes from Retry-After
    summary = run_suite(suite, tmp_path / "ws")
    assert summary.errors == 0
    df = _results(tmp_path / "ws")
    assert int(df.iloc[0]["attempts"]) == 3
    assert server.stats()["by_status"] == {"429": 2, "200": 1}
    assert [r for r, _ in waits] == [0.05, 0.05]  # the server's Retry-After reached the backoff, twice
    assert all(0.05 <= d <= 0.055 for _, d in waits)  # and was waited (plus <= 10% jitter), not our 0 s


def test_backoff_uses_retry_after_else_full_jitter():
    rng = random.Random(1)
    assert 2.0 <= backoff_delay(1, 0.5, 2.0, rng) <= 2.2
    delays = [backoff_delay(4, 0.5, None, rng) for _ in range(200)]
    assert all(0 <= d <= 4.0 for d in delays) and max(delays) > 2.0  # jittered over [0, 0.5 * 2^3]
    assert backoff_delay(30, 0.5, None, rng) <= 60.0  # capped


def test_500_exhausting_attempts_becomes_an_error_row_not_a_crash(tmp_path, server):
    suite = make_suite(tmp_path, server.base_url, ["fine", "broken [[500:99]]"], candidates=1,
                       run={"max_attempts": 3})
    summary = run_suite(suite, tmp_path / "ws")
    assert summary.status == "finished" and summary.errors == 1 and summary.errors_by_kind == {"server": 1}
    df = _results(tmp_path / "ws").set_index("example_id")
    assert df.loc["e001", "error_kind"] == "server" and int(df.loc["e001", "attempts"]) == 3
    assert "500" in df.loc["e001", "error"] or "internal" in df.loc["e001", "error"].lower()
    assert df.loc["e001", "output"] is None or df.loc["e001", "output"] != df.loc["e001", "output"]
    assert df.loc["e000", "error_kind"] is None or df.loc["e000", "error_kind"] != df.loc["e000", "error_kind"]


def test_hanging_call_times_out_into_an_error_row(tmp_path, server):
    suite = make_suite(tmp_path, server.base_url, ["ok", "stuck [[hang]]"], candidates=1,
                       run={"timeout_s": 0.5, "max_attempts": 1})
    summary = run_suite(suite, tmp_path / "ws")
    assert summary.errors_by_kind == {"timeout": 1}
    assert summary.wall_s < 30


def test_error_rows_are_retried_by_the_next_run_and_good_ones_are_not(tmp_path, server):
    # the server fails this message on its first 3 attempts; 2 attempts per run
    suite = make_suite(tmp_path, server.base_url, ["good", "flaky [[500:3]]"], candidates=1,
                       run={"max_attempts": 2})
    first = run_suite(suite, tmp_path / "ws")
    assert first.errors == 1
    before = server.stats()["requests"]
    second = run_suite(suite, tmp_path / "ws")
    assert second.errors == 0 and second.sent == 1 and second.cached == 1
    assert server.stats()["requests"] - before == 2  # the flaky call (attempts 3 and 4), not the good one


def test_api_key_is_sent_but_never_written(tmp_path, server, monkeypatch):
    secret = "sk-test-" + "9f8e7d6c5b4a" * 3
    monkeypatch.setenv("EVALCORE_TEST_KEY", secret)
    suite = make_suite(tmp_path, server.base_url, ["a", "b [[500:9]]", "c [[echo-key]]"], candidates=1,
                       candidate_extra={"api_key_env": "EVALCORE_TEST_KEY"}, run={"max_attempts": 1})
    run_suite(suite, tmp_path / "ws")
    assert f"Bearer {secret}" in server.stats()["authorization"]
    # a model that repeats the key: its output is stored with the key redacted (it was stored verbatim)
    assert "your key is ***" in set(_results(tmp_path / "ws")["output"].dropna())
    for path in (tmp_path / "ws").rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


def test_a_missing_key_is_an_error_before_anything_is_sent(tmp_path, server, monkeypatch):
    from evalcore.errors import SuiteError

    monkeypatch.delenv("EVALCORE_ABSENT_KEY", raising=False)
    suite = make_suite(tmp_path, server.base_url, ["a", "b"], candidates=1,
                       candidate_extra={"api_key_env": "EVALCORE_ABSENT_KEY"})
    with pytest.raises(SuiteError) as err:
        run_suite(suite, tmp_path / "ws")
    assert "candidate 'm0'" in str(err.value) and "EVALCORE_ABSENT_KEY" in str(err.value)
    assert "--allow-missing-keys" in str(err.value) and "Nothing was sent" in str(err.value)
    assert server.stats()["requests"] == 0
    assert Workspace(tmp_path / "ws").manifests("t") == []  # a run that never started leaves no run behind


def test_allow_missing_keys_runs_the_others_and_the_rerun_sends_only_the_skipped(tmp_path, server, monkeypatch):
    monkeypatch.delenv("EVALCORE_LATER_KEY", raising=False)
    suite = make_suite(tmp_path, server.base_url, ["a", "b", "c"])
    data = suite.model_dump(mode="json", by_alias=True, exclude={"base_dir"})
    data["candidates"][1]["api_key_env"] = "EVALCORE_LATER_KEY"
    (tmp_path / "suite.yaml").write_text(json.dumps(data), encoding="utf-8")
    from evalcore.suite import load_suite

    suite = load_suite(tmp_path / "suite.yaml")
    first = run_suite(suite, tmp_path / "ws", allow_missing_keys=True)
    assert (first.sent, first.not_sent) == (3, 3) and server.stats()["by_model"] == {"model-0": 3}
    assert "EVALCORE_LATER_KEY" in first.stopped["m1"]
    df = _results(tmp_path / "ws", first.run_id)
    skipped = df[df.candidate == "m1"]
    assert (skipped["error_kind"] == "config").all() and (skipped["attempts"] == 0).all()
    assert skipped["error"].str.startswith("not sent: ").all()
    monkeypatch.setenv("EVALCORE_LATER_KEY", "sk-later-123456")
    server.reset()
    second = run_suite(suite, tmp_path / "ws")
    assert server.stats()["by_model"] == {"model-1": 3} and (second.sent, second.cached) == (3, 3)


def test_an_api_base_nobody_listens_on_skips_its_candidate_at_once_with_the_url(tmp_path, server):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, never listening: refused
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
        suite = make_suite(tmp_path, server.base_url, ["a", "b", "c"])
        data = suite.model_dump(mode="json", by_alias=True, exclude={"base_dir"})
        data["candidates"][1]["api_base"] = dead
        (tmp_path / "suite.yaml").write_text(json.dumps(data), encoding="utf-8")
        from evalcore.suite import load_suite

        summary = run_suite(load_suite(tmp_path / "suite.yaml"), tmp_path / "ws")
    assert summary.wall_s < 20  # not a minute of retries against a closed port
    assert server.stats()["by_model"] == {"model-0": 3}
    assert summary.errors_by_kind == {"connection": 3} and (summary.sent, summary.not_sent) == (3, 3)
    why = summary.stopped["m1"]
    assert dead in why and "refused" in why.lower() and "api_base" in why


@pytest.mark.parametrize(("extra", "kind", "reason", "where"), [
    ({"api_key_env": "EVALCORE_BAD_KEY"}, "auth", "Incorrect API key provided", "$EVALCORE_BAD_KEY"),
    ({"model": "openai/missing-model"}, "not_found", "does not exist", "openai/missing-model"),
])
def test_a_candidate_whose_calls_fail_alike_is_stopped_and_the_others_go_on(tmp_path, server, monkeypatch, extra,
                                                                             kind, reason, where):
    key = "sk-bad-" + "5e5e5e5e" * 4
    monkeypatch.setenv("EVALCORE_BAD_KEY", key)
    suite = make_suite(tmp_path, server.base_url, [f"q{i}" for i in range(30)], run={"max_attempts": 4})
    data = suite.model_dump(mode="json", by_alias=True, exclude={"base_dir"})
    data["candidates"][1].update(extra)
    (tmp_path / "suite.yaml").write_text(json.dumps(data), encoding="utf-8")
    from evalcore.suite import load_suite

    summary = run_suite(load_suite(tmp_path / "suite.yaml"), tmp_path / "ws")
    by_model = server.stats()["by_model"]
    assert by_model["model-0"] == 30  # the other candidate ran in full
    bad = sum(n for m, n in by_model.items() if m != "model-0")
    assert 3 <= bad <= 4 + 3  # a few calls (those in flight when it tripped), not 30 x 4 attempts
    assert (summary.sent, summary.not_sent) == (30 + bad, 30 - bad)  # "sent" is what the server received
    why = summary.stopped["m1"]
    assert "candidate 'm1'" in why and reason in why and where in why and "Fix:" in why
    assert key not in why and summary.errors_by_kind == {kind: 30}
    for path in (tmp_path / "ws").rglob("*"):
        if path.is_file():
            assert key.encode() not in path.read_bytes(), path


@pytest.mark.parametrize("workers", [1, 2])
def test_a_stopped_candidates_message_gives_the_runs_final_counts(tmp_path, server, workers):
    """The stop message was written when the breaker tripped ("after 3 not_found failures; 3 of its calls were not
    sent") while calls in flight, and each worker's own breaker, went on failing: the data held 6 and 6."""
    suite = make_suite(tmp_path, server.base_url, [f"q{i} [[sleep:50]]" for i in range(12)],
                       run={"concurrency": 8, "per_candidate": 8})
    data = suite.model_dump(mode="json", by_alias=True, exclude={"base_dir"})
    data["candidates"][1]["model"] = "openai/missing-x"
    (tmp_path / "suite.yaml").write_text(json.dumps(data), encoding="utf-8")
    from evalcore.suite import load_suite

    summary = run_suite(load_suite(tmp_path / "suite.yaml"), tmp_path / "ws", workers=workers)
    df = _results(tmp_path / "ws", summary.run_id)
    mine = df[df.candidate == "m1"]
    failed, skipped = int((mine["attempts"] > 0).sum()), int((mine["attempts"] == 0).sum())
    assert failed + skipped == 12 and failed >= 3 and summary.not_sent == skipped
    why = summary.stopped["m1"]
    assert why.startswith("candidate 'm1' (openai/missing-x at ") and "stopped after repeated not_found" in why
    counted = f"{failed} of its calls failed and {skipped} were not sent" if skipped else f"{failed} of its calls"
    assert counted in why and "Fix:" in why, why
    assert Workspace(tmp_path / "ws").read_manifest("t", summary.run_id)["stopped"]["m1"] == why
    assert summary.by_candidate["m1"] == {"results": 12, "errors": 12, "sent": failed, "failed_sent": failed,
                                          "not_sent": skipped, "unpriced": 0}
    assert summary.by_candidate["m0"]["errors"] == 0 and summary.unpriced == {}


def test_answers_with_no_known_price_are_counted_not_priced_at_0(tmp_path, server):
    suite = make_suite(tmp_path, server.base_url, ["q1", "q2", "q3"])
    data = suite.model_dump(mode="json", by_alias=True, exclude={"base_dir"})
    data["candidates"][1].update(input_price_per_mtok=None, output_price_per_mtok=None)
    (tmp_path / "suite.yaml").write_text(json.dumps(data), encoding="utf-8")
    from evalcore.suite import load_suite

    summary = run_suite(load_suite(tmp_path / "suite.yaml"), tmp_path / "ws")
    assert summary.unpriced == {"m1": 3} and summary.cost_usd > 0
    assert Workspace(tmp_path / "ws").read_manifest("t", summary.run_id)["unpriced"] == {"m1": 3}
    again = run_suite(load_suite(tmp_path / "suite.yaml"), tmp_path / "ws")
    assert again.cached == 6 and again.unpriced == {}  # cached answers are free


def test_a_prompt_over_the_context_window_is_a_final_result_not_resent(tmp_path, server):
    suite = make_suite(tmp_path, server.base_url, ["fine", "huge [[ctx]]"], candidates=1)
    first = run_suite(suite, tmp_path / "ws")
    assert first.errors_by_kind == {"context_window": 1} and first.final_errors == 1
    row = _results(tmp_path / "ws", first.run_id).set_index("example_id").loc["e001"]
    assert row["error"].startswith("HTTP 400: This model's maximum context length is 8192 tokens.")
    assert int(row["attempts"]) == 1  # deterministic: not retried
    q = Queries(tmp_path / "ws")
    assert q.score_table("t", "contains").set_index("example_id").loc["e001", "value"] == 0.0  # scored as failing
    q.close()
    server.reset()
    second = run_suite(suite, tmp_path / "ws")
    assert server.stats()["requests"] == 0 and second.cached == 2 and second.errors_by_kind == {"context_window": 1}
    third = run_suite(suite, tmp_path / "ws", retry_errors=True)
    assert server.stats()["requests"] == 1 and third.sent == 1  # only the failed one, when asked


def test_judge_calls_are_counted_priced_and_their_failures_reported(tmp_path, server):
    verdict = '{"reasoning": "fine", "rating": 4}'
    judge = {"type": "llm_judge", "name": "judge", "model": "openai/judge", "api_base": server.base_url,
             "rubric": "5 is perfect"}
    suite = make_suite(tmp_path, server.base_url, [f"[[reply:{verdict}]] {i}" for i in range(3)], candidates=1,
                       scorers=[judge])
    ok = run_suite(suite, tmp_path / "ws")
    assert (ok.sent, ok.judge_calls, ok.judge_errors) == (3, 3, 0)
    broken = {**judge, "model": "openai/missing-judge"}
    suite = make_suite(tmp_path, server.base_url, [f"[[reply:{verdict}]] {i}" for i in range(3)], candidates=1,
                       scorers=[broken])
    server.reset()
    bad = run_suite(suite, tmp_path / "ws", new_run=True)
    assert bad.sent == 0 and bad.cached == 3  # the outputs come from the store; only the judge is called
    assert bad.judge_calls == 3 and bad.judge_errors == 3 and bad.judge_errors_by_kind == {"not_found": 3}
    assert "judge 'judge'" in bad.last_judge_error and "missing-judge" in bad.last_judge_error


def test_hostile_output_is_stored_verbatim(tmp_path, server):
    hostile = "‮evil\x07 <script>alert(1)</script> 💥 '); DROP TABLE results; --"
    suite = make_suite(tmp_path, server.base_url, [f"[[reply:{hostile}]]"], candidates=1)
    run_suite(suite, tmp_path / "ws")
    assert _results(tmp_path / "ws").iloc[0]["output"] == hostile


def test_progress_callback_sees_every_result(tmp_path, server):
    seen: list[Progress] = []
    suite = make_suite(tmp_path, server.base_url, [f"q{i}" for i in range(4)])
    run_suite(suite, tmp_path / "ws", progress=lambda p: seen.append(Progress(**p.__dict__)))
    assert seen[-1].done == seen[-1].total == 8
    assert [p.done for p in seen] == sorted(p.done for p in seen)


def test_worker_processes_produce_the_same_results(tmp_path, server):
    seen: list[Progress] = []
    suite = make_suite(tmp_path, server.base_url, [f"q{i}" for i in range(15)])
    summary = run_suite(suite, tmp_path / "ws", workers=2, progress=lambda p: seen.append(Progress(**p.__dict__)))
    assert summary.workers == 2 and summary.sent == 30 and summary.errors == 0
    # told what is coming before the first answer (workers may take seconds to load litellm)
    assert (seen[0].done, seen[0].to_send, seen[0].workers) == (0, 30, 2)
    df = _results(tmp_path / "ws")
    assert len(df) == 30 and df.groupby(["example_id", "candidate", "repeat"]).size().max() == 1
    assert len(list((tmp_path / "ws" / "results").rglob("*.parquet"))) == 2  # one part per worker


def test_llm_judge_goes_through_the_same_cache(tmp_path, server):
    verdict = '{"reasoning": "fine", "rating": 4}'
    judge = {"type": "llm_judge", "name": "judge", "model": "openai/judge", "api_base": server.base_url,
             "rubric": "5 is perfect"}
    suite = make_suite(tmp_path, server.base_url, [f"[[reply:{verdict}]]"], candidates=1,
                       scorers=[{"type": "json_valid"}, judge])
    run_suite(suite, tmp_path / "ws")
    assert server.stats()["by_model"] == {"model-0": 1, "judge": 1}
    q = Queries(tmp_path / "ws")
    scores = q.score_table("t", "judge")
    assert scores.iloc[0]["value"] == pytest.approx(0.75) and bool(scores.iloc[0]["passed"])
    server.reset()
    run_suite(suite, tmp_path / "ws")
    assert server.stats()["requests"] == 0
    q2 = Queries(tmp_path / "ws")
    assert q2.score_table("t", "judge").iloc[0]["value"] == pytest.approx(0.75)


def test_prompt_variable_missing_from_dataset_is_named(tmp_path, server):
    from evalcore.errors import SuiteError

    suite = make_suite(tmp_path, server.base_url, ["a"], extra={"prompt": "{{ input }} for {{ customer }}"})
    with pytest.raises(SuiteError) as err:
        run_suite(suite, tmp_path / "ws")
    assert "customer" in str(err.value) and "examples.csv" in str(err.value)


def test_prompt_template_is_sandboxed(tmp_path, server):
    from evalcore.errors import SuiteError

    suite = make_suite(tmp_path, server.base_url, ["a"],
                       extra={"prompt": "{{ input.__class__.__mro__[1].__subclasses__() }}"})
    with pytest.raises(Exception) as err:
        run_suite(suite, tmp_path / "ws")
    assert isinstance(err.value, SuiteError) or "unsafe" in str(err.value).lower()


def _journal_lines(ws: Path) -> int:
    return sum(p.read_text().count("\n") for p in (ws / "journal").rglob("*.jsonl")) if (ws / "journal").exists() else 0


@pytest.mark.slow
def test_kill_9_then_rerun_resumes_without_loss_or_duplicates(tmp_path, server):
    n = 30
    suite = make_suite(tmp_path, server.base_url, [f"slow {i} [[sleep:150]]" for i in range(n)], candidates=1,
                       run={"concurrency": 3, "per_candidate": 3})
    ws = tmp_path / "ws"
    env = {**os.environ, "EVALCORE_WORKSPACE": str(ws)}
    proc = subprocess.Popen([sys.executable, "-m", "evalcore.cli", "run", str(tmp_path / "suite.yaml"),
                             "--workers", "1"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while _journal_lines(ws) < 6 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = _journal_lines(ws)
    assert 6 <= done_before < n, proc.stderr.read().decode() if proc.stderr else ""
    assert Workspace(ws).manifests("t")[0]["status"] == "interrupted"

    server.reset()
    summary = run_suite(suite, ws)
    assert summary.resumed and summary.skipped == done_before
    assert server.stats()["requests"] == n - done_before  # only the missing calls were sent
    df = _results(ws, summary.run_id)
    assert len(df) == n and df["example_id"].is_unique
    assert not (ws / "journal" / "t").exists()


def test_results_parquet_has_the_documented_columns(tmp_path, server):
    suite = make_suite(tmp_path, server.base_url, ["a"], candidates=1)
    run_suite(suite, tmp_path / "ws")
    part = next((tmp_path / "ws" / "results").rglob("*.parquet"))
    names = set(pq.read_schema(part).names)
    assert {"run_id", "suite", "suite_version", "example_id", "candidate", "model", "family", "release", "repeat",
            "output", "error", "latency_ms", "input_tokens", "output_tokens", "cost_usd", "cached",
            "created_at"} <= names
    manifest = json.loads(next((tmp_path / "ws" / "runs").rglob("*.json")).read_text())
    assert manifest["status"] == "finished" and manifest["results"] == 1


def test_worker_count_is_one_more_than_cores_within_the_limits():
    wide = RunSettings(concurrency=32, per_candidate=32)
    assert worker_count(2000, wide, cpus=2) == 3
    assert worker_count(2000, wide, cpus=16) == 4  # capped: more loops than that only add processes
    assert worker_count(2000, wide, cpus=1) == 1
    assert worker_count(399, wide, cpus=2) == 1  # a small run stays in-process
    assert worker_count(2000, RunSettings(concurrency=8, per_candidate=8), cpus=2) == 1  # ~8 in flight per worker
    assert worker_count(2000, RunSettings(concurrency=32, per_candidate=2), cpus=4) == 2  # a limit is split, not broken


@given(st.integers(1, 1024), st.integers(1, 8))
def test_a_limit_split_between_workers_sums_to_the_limit(total, parts):
    shares = split_limit(total, min(parts, total))
    assert sum(shares) == total and min(shares) >= 1 and max(shares) - min(shares) <= 1


@given(st.integers(0, 3000), st.lists(st.integers(1, 64), min_size=1, max_size=4))
def test_tasks_are_dealt_in_proportion_to_each_workers_concurrency(n, shares):
    hands = deal(list(range(n)), shares)
    assert sorted(t for h in hands for t in h) == list(range(n))  # every task once
    assert all(h == sorted(h) for h in hands)  # in order
    rounds = [len(h) / s for h, s in zip(hands, shares)]  # calls per slot: equal, so all finish together
    assert max(rounds) - min(rounds) <= 1.0 + 1e-9


def test_three_workers_at_concurrency_32_get_work_for_the_same_number_of_rounds():
    hands = deal(list(range(2000)), split_limit(32, 3))
    assert [len(h) for h in hands] == [688, 687, 625]


# -- a stopped run stops spending: the real CLI, killed by a real signal, against the real server ------------------
def _run_processes(marker: str) -> list[int]:
    """PIDs of every live process whose environment carries the marker (the CLI, its fork server, its workers)."""
    found = []
    needle = f"EVALCORE_TEST_RUN_MARKER={marker}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes() and b"Z" not in (entry / "stat").read_bytes().split(b")")[-1][:3]:
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _start_cli_run(tmp_path: Path, ws: Path, marker: str, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "EVALCORE_WORKSPACE": str(ws), "EVALCORE_TEST_RUN_MARKER": marker}
    return subprocess.Popen([sys.executable, "-m", "evalcore.cli", "run", str(tmp_path / "suite.yaml"), *extra],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGKILL, -9), (signal.SIGTERM, 143), (signal.SIGHUP, 129),
                                           (signal.SIGINT, 130)])
def test_a_killed_run_stops_every_process_at_once_and_the_rerun_sends_only_the_missing(tmp_path, server, sig, code):
    n = 240
    suite = make_suite(tmp_path, server.base_url, [f"slow {i} [[sleep:100]]" for i in range(n)],
                       run={"concurrency": 8, "per_candidate": 8})
    ws = tmp_path / "ws"
    marker = f"{os.getpid()}-{sig.name}-{random.random()}"
    proc = _start_cli_run(tmp_path, ws, marker, "--workers", "2")
    deadline = time.monotonic() + 90
    while _journal_lines(ws) < 40 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    assert proc.poll() is None, proc.stderr.read().decode()
    assert len(_run_processes(marker)) >= 4  # the CLI, its fork server, two workers (and the resource tracker)
    proc.send_signal(sig)
    proc.wait(timeout=5)  # SIGKILL: at once; the others save first (the CLI's backstop ends it within ~1.5 s)
    exited_at = time.monotonic()
    assert proc.returncode == code, proc.stderr.read().decode()
    while _run_processes(marker) and time.monotonic() - exited_at < 1.0:
        time.sleep(0.02)
    assert _run_processes(marker) == [], "a process of the run is still alive 1 s after the CLI ended"
    sent_by_then = server.stats()["requests"]
    time.sleep(1.0)
    assert server.stats()["requests"] == sent_by_then, "the killed run kept calling the server"
    stderr = proc.stderr.read().decode()
    if sig != signal.SIGKILL:
        assert "run the same command again to resume" in stderr.lower() and "Traceback" not in stderr, stderr
        assert "never awaited" not in stderr, stderr
        assert Workspace(ws).manifests("t")[0]["status"] == "interrupted"

    # the rerun, right away: no waiting for orphans, no "still being written", only the missing calls sent
    run_id = Workspace(ws).manifests("t")[0]["run_id"]
    server.reset()
    rerun = subprocess.run([sys.executable, "-m", "evalcore.cli", "run", str(tmp_path / "suite.yaml"), "--workers", "2"],
                           env={**os.environ, "EVALCORE_WORKSPACE": str(ws)}, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert f"Resumed run {run_id}" in rerun.stdout
    skipped = int(re.search(r"(\d+) already done", rerun.stdout).group(1))
    assert 40 <= skipped < 2 * n
    assert server.stats()["requests"] == 2 * n - skipped  # exactly the missing calls
    df = _results(ws, run_id)
    assert len(df) == 2 * n and df.groupby(["example_id", "candidate"]).size().max() == 1
    assert df["error_kind"].isna().all()


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_in_process_run_stops_cleanly_on_a_signal(tmp_path, server, sig):
    suite = make_suite(tmp_path, server.base_url, [f"slow {i} [[sleep:100]]" for i in range(60)], candidates=1,
                       run={"concurrency": 4, "per_candidate": 4})
    ws = tmp_path / "ws"
    marker = f"{os.getpid()}-inproc-{sig.name}-{random.random()}"
    proc = _start_cli_run(tmp_path, ws, marker, "--workers", "1")
    deadline = time.monotonic() + 60
    while _journal_lines(ws) < 8 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(sig)
    proc.wait(timeout=5)
    stderr = proc.stderr.read().decode()
    assert proc.returncode == 128 + sig, stderr
    assert "never awaited" not in stderr and "Traceback" not in stderr, stderr
    assert "resume" in stderr
    sent = server.stats()["requests"]
    time.sleep(0.5)
    assert server.stats()["requests"] == sent and not _run_processes(marker)
    assert Workspace(ws).manifests("t")[0]["status"] == "interrupted"


@pytest.mark.slow
def test_a_long_lived_process_pool_dies_with_its_process(tmp_path, server):
    """The dashboard's case: start_workers() ahead of time, then a run in a background thread; kill -9 the process."""
    make_suite(tmp_path, server.base_url, [f"slow {i} [[sleep:100]]" for i in range(200)],
               run={"concurrency": 8, "per_candidate": 8})
    script = tmp_path / "host.py"
    script.write_text(
        "import sys, threading, time\n"
        "from evalcore import runner\nfrom evalcore.suite import load_suite\n"
        "runner.start_workers(wait=True)\n"
        f"suite = load_suite({str(tmp_path / 'suite.yaml')!r})\n"
        f"t = threading.Thread(target=runner.run_suite, args=(suite, {str(tmp_path / 'ws')!r}), kwargs={{'workers': 2}})\n"
        "t.start()\n"
        "while True: time.sleep(1)\n")
    marker = f"{os.getpid()}-pool-{random.random()}"
    proc = subprocess.Popen([sys.executable, str(script)], env={**os.environ, "EVALCORE_TEST_RUN_MARKER": marker},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 90
    while _journal_lines(tmp_path / "ws") < 30 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    assert proc.poll() is None, proc.stderr.read().decode()
    proc.kill()
    killed_at = time.monotonic()
    proc.wait()
    while _run_processes(marker) and time.monotonic() - killed_at < 1.0:
        time.sleep(0.02)
    assert _run_processes(marker) == []
    sent = server.stats()["requests"]
    time.sleep(1.0)
    assert server.stats()["requests"] == sent < 400


def test_a_background_pool_loads_and_works_at_a_lower_cpu_priority(tmp_path):
    """The dashboard warms the fork server with background=True: the fork server and the workers forked from it
    run niced (the page being opened keeps the CPU while litellm loads); the host and a CLI-style pool do not."""
    code = (
        "import os, sys\n"
        "from evalcore import runner\n"
        "from probe import nice\n"
        "if __name__ == '__main__':\n"
        "    runner.start_workers(wait=True, litellm=False, background=sys.argv[1] == 'bg')\n"
        "    ctx = runner._mp_context(); q = ctx.Queue(); p = ctx.Process(target=nice, args=(q,)); p.start()\n"
        "    worker = q.get(timeout=60); p.join()\n"
        "    print(os.nice(0), worker)\n")
    script = tmp_path / "host.py"
    script.write_text(code)
    (tmp_path / "probe.py").write_text("import os\n\ndef nice(q):\n    q.put(os.nice(0))\n")  # workers import it
    from evalcore.worker_nice import NICENESS

    for mode in ("bg", "cli"):
        done = subprocess.run([sys.executable, str(script), mode], capture_output=True, text=True, timeout=120,
                              cwd=tmp_path, env={**os.environ, "PYTHONPATH": os.pathsep.join(
                                  [str(tmp_path), os.environ.get("PYTHONPATH", "")])})
        assert done.returncode == 0, done.stderr[-2000:]
        host, worker = map(int, done.stdout.split())
        assert worker == (min(19, host + NICENESS) if mode == "bg" else host), (mode, host, worker)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_stop_event_ends_the_run_as_interrupted_and_nothing_more_is_sent(tmp_path, server, workers):
    import threading

    suite = make_suite(tmp_path, server.base_url, [f"slow {i} [[sleep:100]]" for i in range(80)],
                       run={"concurrency": 4, "per_candidate": 4})
    stop = threading.Event()

    def progress(p: Progress) -> None:
        if p.done >= 10:
            stop.set()

    summary = run_suite(suite, tmp_path / "ws", workers=workers, progress=progress, stop=stop)
    assert summary.status == "interrupted"
    sent = server.stats()["requests"]
    time.sleep(0.5)
    assert server.stats()["requests"] == sent < 160
    assert Workspace(tmp_path / "ws").manifests("t")[0]["status"] == "interrupted"
    server.reset()
    again = run_suite(suite, tmp_path / "ws")
    assert again.resumed and again.run_id == summary.run_id and again.status == "finished"
    assert server.stats()["requests"] == 160 - again.skipped
    assert len(_results(tmp_path / "ws", summary.run_id)) == 160


def test_direct_path_runs_send_in_process_up_to_64_in_flight_and_spread_beyond():
    direct = dict(cpus=2, litellm=False)
    assert worker_count(2000, RunSettings(concurrency=32, per_candidate=32), **direct) == 1  # ~0.5 ms CPU per call
    assert worker_count(2000, RunSettings(concurrency=64, per_candidate=64), **direct) == 1
    assert worker_count(10000, RunSettings(concurrency=256, per_candidate=256), **direct) == 3  # one more than cores
    assert worker_count(10000, RunSettings(concurrency=256, per_candidate=256), cpus=8, litellm=False) == 4
    assert worker_count(2000, RunSettings(concurrency=32, per_candidate=32), cpus=2) == 3  # litellm: as before


def test_workers_never_run_the_callers_main_script(tmp_path, server):
    """Streamlit puts the running page in sys.modules['__main__']; multiprocessing would re-run it in every worker
    (each died with exit code 1 when the dashboard's Run page started a run). A fresh interpreter does the same."""
    import subprocess
    import sys
    import textwrap

    make_suite(tmp_path, server.base_url, [f"q{i}" for i in range(6)])
    page = tmp_path / "page.py"
    page.write_text("raise SystemExit('the page script ran in a worker')\n", encoding="utf-8")
    code = textwrap.dedent(f"""
        import sys, types
        from evalcore.runner import run_suite
        from evalcore.suite import load_suite

        if __name__ == "__main__":
            suite = load_suite({str(tmp_path / "suite.yaml")!r})
            fake = types.ModuleType("__main__")
            fake.__file__ = {str(page)!r}
            real, sys.modules["__main__"] = sys.modules["__main__"], fake
            try:
                summary = run_suite(suite, {str(tmp_path / "ws")!r}, workers=2)
            finally:
                sys.modules["__main__"] = real
            print(summary.status, summary.sent)
    """)
    script = tmp_path / "caller.py"
    script.write_text(code, encoding="utf-8")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["finished", "12"]
