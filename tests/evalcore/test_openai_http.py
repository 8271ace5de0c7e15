"""The direct OpenAI-compatible path (evalcore.openai_http) and the litellm path, side by side through the real HTTP
path against the local server: the same outputs, tokens, costs, failure kinds and key handling either way."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from suite_factory import make_suite

from evalcore import calls, price_map
from evalcore.calls import CallSpec
from evalcore.errors import EvalcoreError
from evalcore.failures import CallFailed
from evalcore.runner import run_suite

ROOT = Path(__file__).resolve().parents[2]
BOTH = pytest.mark.parametrize("client", ["auto", "litellm"])  # auto: the direct path for openai/ models


def _call(spec: CallSpec, client: str, timeout_s: float = 10) -> calls.CallOutcome:
    async def main() -> calls.CallOutcome:
        try:
            return await calls.complete(spec, timeout_s=timeout_s, client=client)
        finally:
            await calls.aclose()

    return asyncio.run(main())


def _fail(spec: CallSpec, client: str, timeout_s: float = 10) -> CallFailed:
    with pytest.raises(CallFailed) as failed:
        _call(spec, client, timeout_s)
    return failed.value


def _spec(server, text: str, model: str = "openai/direct-check", **kw) -> CallSpec:
    return CallSpec(model, [{"role": "user", "content": text}], kw.pop("params", {}), kw.pop("api_base", server.base_url),
                    **kw)


# -- which path ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("model", "sent_as"), [
    ("openai/llama-3.1-8b", "llama-3.1-8b"),  # a local or hosted OpenAI-compatible server
    ("openai/gpt-4o-mini", "gpt-4o-mini"),
    ("gpt-4o-mini", "gpt-4o-mini"),  # OpenAI itself, as litellm's price map names it
    ("o3-mini", None), ("openai/o1", None), ("gpt-5", None),  # reasoning models: litellm rewrites their params
    ("anthropic/claude-3-5-haiku", None), ("claude-3-haiku-20240307", None), ("demo/cirrus-1", None),
    ("groq/llama3-8b-8192", None), ("no-such-model-xyz", None),
])
def test_openai_compatible_models_take_the_direct_path_and_the_rest_litellm(model, sent_as):
    assert calls.direct_model(model) == sent_as
    assert calls.uses_litellm(model, "auto") is (sent_as is None)
    assert calls.uses_litellm(model, "litellm")


def test_the_environment_switch_wins_over_the_suite_and_is_checked(monkeypatch):
    monkeypatch.delenv(calls.CLIENT_ENV, raising=False)
    assert calls.client_setting(None) == "auto" and calls.client_setting("litellm") == "litellm"
    monkeypatch.setenv(calls.CLIENT_ENV, "litellm")
    assert calls.client_setting("auto") == "litellm"
    monkeypatch.setenv(calls.CLIENT_ENV, "httpx")
    with pytest.raises(EvalcoreError, match="EVALCORE_CLIENT"):
        calls.client_setting(None)


def test_importing_the_direct_path_does_not_import_litellm():
    code = ("import sys; import evalcore.openai_http, evalcore.calls, evalcore.price_map, evalcore.worker_boot_http; "
            "assert evalcore.price_map.per_token('gpt-4o-mini'); print('litellm' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


# -- prices ---------------------------------------------------------------------------------------------------
def test_the_price_map_is_litellms_own_file_read_the_way_litellm_reads_it():
    import litellm

    table = price_map._table()
    openai_chat = [k for k, v in table.items() if v.get("litellm_provider") == "openai" and v.get("mode") == "chat"]
    assert len(openai_chat) > 50
    for name in openai_chat[::7] + ["gpt-4o-mini"]:
        for model in (name, f"openai/{name}"):
            info = litellm.get_model_info(model)
            assert price_map.per_token(model) == (info["input_cost_per_token"], info["output_cost_per_token"]), model
    for unknown in ("openai/evalcore-unknown-model", "evalcore-unknown-model", "anthropic/gpt-4o-mini"):
        assert price_map.per_token(unknown) is None  # unknown stays unknown (never 0)


@BOTH
def test_outputs_tokens_and_finish_reason_are_recorded_the_same_on_both_paths(server, client):
    got = _call(_spec(server, "hello there", input_price_per_mtok=1.0, output_price_per_mtok=2.0), client)
    assert got.output == "direct-check says: hello there" and got.finish_reason == "stop"
    assert (got.input_tokens, got.output_tokens) == (5, 4)  # what the server counted
    assert got.cost_usd == pytest.approx((5 * 1.0 + 4 * 2.0) / 1e6)  # the candidate's own price
    assert got.latency_ms > 0
    assert server.stats()["by_model"] == {"direct-check": 1}  # sent without the provider prefix, as litellm does


@BOTH
def test_cost_comes_from_the_price_map_and_an_unknown_price_stays_unknown(server, client):
    known = _call(_spec(server, "priced", model="openai/gpt-4o-mini"), client)
    pin, pout = price_map.per_token("gpt-4o-mini")  # type: ignore[misc]
    assert known.cost_usd == pytest.approx(known.input_tokens * pin + known.output_tokens * pout)
    assert _call(_spec(server, "unpriced", model="openai/evalcore-unpriced"), client).cost_usd is None


# -- failures -------------------------------------------------------------------------------------------------
@BOTH
def test_a_429_carries_the_servers_retry_after(server, client):
    failed = _fail(_spec(server, f"busy [[429:1]] {client}"), client)
    assert (failed.kind, failed.retryable, failed.retry_after) == ("rate_limit", True, 0.05)


@BOTH
def test_a_500_is_a_retryable_server_error(server, client):
    failed = _fail(_spec(server, f"broken [[500:1]] {client}"), client)
    assert (failed.kind, failed.retryable) == ("server", True)


@BOTH
def test_a_hanging_server_is_a_timeout(server, client):
    failed = _fail(_spec(server, f"stuck [[hang]] {client}"), client, timeout_s=0.5)
    assert (failed.kind, failed.retryable) == ("timeout", True)


@BOTH
def test_a_refused_connection_is_a_connection_error_that_names_the_url(client):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, never listening: refused
        base = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
        failed = _fail(CallSpec("openai/nobody", [{"role": "user", "content": "hi"}], {}, base), client)
    assert (failed.kind, failed.retryable, failed.candidate_wide) == ("connection", True, True)
    if client == "auto":
        assert base in failed.message


@BOTH
@pytest.mark.parametrize(("directive", "kind"), [("[[ctx]]", "context_window"), ("[[filter]]", "content_filter"),
                                                 ("[[400]]", "bad_request")])
def test_a_400_is_classified_by_the_providers_reason(server, client, directive, kind):
    failed = _fail(_spec(server, f"x {directive}"), client)
    assert (failed.kind, failed.retryable, failed.final) == (kind, False, True)
    assert failed.message.startswith("HTTP 400: ") and "litellm" not in failed.message


@BOTH
def test_an_unknown_model_is_not_found(server, client):
    failed = _fail(_spec(server, "x", model="openai/missing-model"), client)
    assert (failed.kind, failed.candidate_wide) == ("not_found", True)
    assert "missing-model" in failed.message


@BOTH
def test_a_refused_key_is_auth_and_the_key_the_server_echoes_is_redacted(server, client, monkeypatch):
    secret = "sk-bad-" + "5e4d3c2b1a" * 3
    monkeypatch.setenv("EVALCORE_DIRECT_KEY", secret)
    failed = _fail(_spec(server, "x", api_key_env="EVALCORE_DIRECT_KEY"), client)
    assert failed.kind == "auth" and not failed.retryable
    assert "Incorrect API key" in failed.message and secret not in failed.message
    assert f"Bearer {secret}" in server.stats()["authorization"]  # it was sent, read from the variable at call time


def test_a_missing_key_variable_is_a_config_failure_before_anything_is_sent(server, monkeypatch):
    monkeypatch.delenv("EVALCORE_DIRECT_ABSENT", raising=False)
    failed = _fail(_spec(server, "x", api_key_env="EVALCORE_DIRECT_ABSENT"), "auto")
    assert failed.kind == "config" and "EVALCORE_DIRECT_ABSENT" in failed.message
    assert server.stats()["requests"] == 0


def test_params_are_sent_as_given_with_extra_body_merged(server):
    got = _call(_spec(server, "x", params={"temperature": 0, "max_tokens": 5, "extra_body": {"top_k": 3}}), "auto")
    assert got.output == "direct-check says: x"


# -- whole runs ------------------------------------------------------------------------------------------------
def _rows(ws: Path) -> list[dict]:
    from evalcore.queries import Queries

    q = Queries(ws)
    try:
        return q.current_results("t").to_dict("records")
    finally:
        q.close()


@BOTH
def test_a_run_retries_and_records_the_same_rows_on_both_paths(tmp_path, server, client, monkeypatch):
    monkeypatch.delenv(calls.CLIENT_ENV, raising=False)
    suite = make_suite(tmp_path, server.base_url, ["plain", "busy [[429:2]]", "flaky [[500:1]]", "stuck [[hang]]"],
                       candidates=1, run={"client": client, "timeout_s": 1.0, "max_attempts": 3})
    summary = run_suite(suite, tmp_path / "ws")
    rows = {r["example_id"]: r for r in _rows(tmp_path / "ws")}
    assert summary.errors_by_kind == {"timeout": 1}
    assert [int(rows[e]["attempts"]) for e in ("e000", "e001", "e002", "e003")] == [1, 3, 2, 3]
    assert rows["e000"]["output"] == "model-0 says: Q: plain" and rows["e000"]["finish_reason"] == "stop"
    assert rows["e000"]["cost_usd"] == pytest.approx(
        (rows["e000"]["input_tokens"] * 1.0 + rows["e000"]["output_tokens"] * 2.0) / 1e6)
    agents = server.stats()["user_agents"]
    assert (agents == ["evalcore"]) if client == "auto" else ("evalcore" not in agents and agents)


def test_the_environment_switch_really_sends_through_litellm(tmp_path, server, monkeypatch):
    monkeypatch.setenv(calls.CLIENT_ENV, "litellm")
    suite = make_suite(tmp_path, server.base_url, ["a", "b"], candidates=1)
    assert run_suite(suite, tmp_path / "ws").errors == 0
    agents = server.stats()["user_agents"]
    assert agents and all("openai" in a.lower() for a in agents), agents  # the openai SDK under litellm


def test_the_key_never_reaches_stored_rows_on_the_direct_path(tmp_path, server, monkeypatch):
    secret = "sk-bad-" + "0f1e2d3c4b5a" * 3  # the server refuses it and echoes it in its 401 message
    monkeypatch.setenv("EVALCORE_DIRECT_KEY", secret)
    suite = make_suite(tmp_path, server.base_url, ["a", "b", "c"], candidates=1,
                       candidate_extra={"api_key_env": "EVALCORE_DIRECT_KEY"}, run={"max_attempts": 1})
    summary = run_suite(suite, tmp_path / "ws")
    assert summary.errors_by_kind.get("auth")
    assert f"Bearer {secret}" in server.stats()["authorization"]
    for path in (tmp_path / "ws").rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


@pytest.mark.parametrize(("client", "workers", "litellm_loaded"), [("auto", 1, False), ("litellm", 1, True),
                                                                   ("auto", 2, False)])
def test_a_run_of_openai_compatible_calls_never_imports_litellm(tmp_path, server, client, workers, litellm_loaded):
    make_suite(tmp_path, server.base_url, [f"q{i}" for i in range(6)], candidates=2, run={"client": client})
    code = f"""
import sys
from evalcore import runner
from evalcore.suite import load_suite
if __name__ == "__main__":
    s = runner.run_suite(load_suite({str(tmp_path / 'suite.yaml')!r}), {str(tmp_path / 'ws')!r}, workers={workers})
    print(s.errors, s.sent, s.workers, 'litellm' in sys.modules, runner._server_litellm)
"""
    script = tmp_path / "run_it.py"
    script.write_text(code)
    env = {k: v for k, v in os.environ.items() if k != calls.CLIENT_ENV}
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT,
                         env={**env, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert out.returncode == 0, out.stderr
    errors, sent, used_workers, loaded, fork_server_litellm = out.stdout.split()
    assert (errors, sent, loaded) == ("0", "12", str(litellm_loaded))
    assert int(used_workers) == workers
    assert fork_server_litellm == ("None" if workers == 1 else "False")  # workers forked from a litellm-free preload
    if client == "auto":
        assert server.stats()["user_agents"] == ["evalcore"]


def test_a_fork_server_started_without_litellm_is_restarted_with_it_when_a_later_run_needs_it(tmp_path, server):
    (tmp_path / "direct").mkdir()
    (tmp_path / "via").mkdir()
    make_suite(tmp_path / "direct", server.base_url, [f"d{i}" for i in range(6)], run={"client": "auto"})
    make_suite(tmp_path / "via", server.base_url, [f"l{i}" for i in range(6)], run={"client": "litellm"})
    code = f"""
from evalcore import runner
from evalcore.suite import load_suite
if __name__ == "__main__":
    for name in ("direct", "via", "direct"):
        s = runner.run_suite(load_suite({str(tmp_path)!r} + f"/{{name}}/suite.yaml"), {str(tmp_path / 'ws')!r},
                             workers=2)
        print(name, s.errors, s.sent, runner._server_litellm)
"""
    (tmp_path / "run_it.py").write_text(code)
    env = {k: v for k, v in os.environ.items() if k != calls.CLIENT_ENV}
    out = subprocess.run([sys.executable, str(tmp_path / "run_it.py")], capture_output=True, text=True, cwd=ROOT,
                         env={**env, "PYTHONPATH": str(ROOT)}, timeout=180)
    assert out.returncode == 0, out.stderr
    # a server with litellm serves direct runs too; the last run's prompts were all answered by the first
    assert out.stdout.split("\n")[:3] == ["direct 0 12 False", "via 0 12 True", "direct 0 0 True"]
