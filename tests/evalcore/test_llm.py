"""evalcore.llm, the one module that imports litellm: where request building runs, price-map entries, warm-up."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest

from evalcore import llm


def test_call_executor_runs_inline_only_inside_a_call_that_allows_it():
    executor, dns = llm.CallExecutor(), llm.CallExecutor()
    here = threading.get_ident()
    try:
        assert executor.submit(threading.get_ident).result() != here  # outside a call: litellm's thread hop
        token = llm._inline_setup.set(True)
        try:
            assert executor.submit(threading.get_ident).result() == here  # inside one: same work, no hop
            with pytest.raises(ValueError):
                executor.submit(int, "not a number").result()  # failures reach the caller as from a thread
            assert dns.submit(socket.getaddrinfo, "127.0.0.1", 80).result()
            assert len(dns._threads) == 1  # a DNS lookup may block, so it still went to a thread
        finally:
            llm._inline_setup.reset(token)
    finally:
        executor.shutdown()
        dns.shutdown()


def test_the_runner_loop_uses_the_call_executor():
    async def main() -> object:
        loop = asyncio.get_running_loop()
        llm.use_call_executor(loop)
        return loop._default_executor

    assert isinstance(asyncio.run(main()), llm.CallExecutor)


@pytest.mark.parametrize(("model", "api_base", "inline"), [
    ("openai/local-model", "http://127.0.0.1:1/v1", True),
    ("gpt-4o-mini", None, True),
    ("anthropic/claude-3-5-haiku", None, True),
    ("demo/cirrus-1", None, True),
    ("vertex_ai/gemini-1.5-pro", None, False),  # may fetch credentials while building the request
    ("bedrock/anthropic.claude-3", None, False),
    ("azure/my-deployment", None, False),
    ("no-such-provider-xyz", None, False),
])
def test_only_api_key_providers_build_requests_inline(model, api_base, inline):
    assert llm.setup_is_inline(model, api_base) is inline


def test_entering_an_unknown_model_makes_litellm_price_it_but_leaves_our_cost_unknown():
    import litellm

    unpriced = llm.CallSpec("openai/evalcore-test-unpriced", [], {}, "http://127.0.0.1:1/v1")
    priced = llm.CallSpec("openai/evalcore-test-priced", [], {}, "http://127.0.0.1:1/v1", None, 1.0, 2.0)
    for spec in (unpriced, priced):
        with pytest.raises(Exception):
            litellm.get_model_info(spec.model)
        llm.enter_unknown_model(spec)
        assert litellm.get_model_info(spec.model)["input_cost_per_token"] is not None
    assert llm.cost_usd(unpriced, 1000, 1000) is None  # 0 in litellm's entry, still unknown in our results
    assert llm.cost_usd(priced, 1000, 1000) == pytest.approx(0.003)


def test_a_model_litellm_knows_keeps_its_own_price():
    spec = llm.CallSpec("gpt-4o-mini", [], {})
    before = llm.cost_usd(spec, 1_000_000, 0)
    llm.enter_unknown_model(llm.CallSpec("gpt-4o-mini", [], {}, None, None, 99.0, 99.0))
    assert before is not None and llm.cost_usd(spec, 1_000_000, 0) == before


def test_warm_up_sends_nothing_anywhere_and_leaves_no_thread_or_client():
    import litellm

    threads = threading.active_count()
    llm.warm_up()
    assert threading.active_count() == threads
    assert not litellm.in_memory_llm_clients_cache.cache_dict


def test_a_call_through_the_inline_path_is_a_normal_call(server):
    async def main() -> llm.CallOutcome:
        llm.use_call_executor(asyncio.get_running_loop())
        spec = llm.CallSpec("openai/inline-check", [{"role": "user", "content": "hello"}], {}, server.base_url,
                            None, 1.0, 1.0)
        return await llm.complete(spec, timeout_s=10)

    outcome = asyncio.run(main())
    assert outcome.output == "inline-check says: hello"
    assert outcome.cost_usd == pytest.approx((outcome.input_tokens + outcome.output_tokens) / 1e6)


class _Failure(Exception):
    def __init__(self, **attrs: object) -> None:
        super().__init__("failed")
        self.__dict__.update(attrs)


@pytest.mark.parametrize(("attrs", "wait"), [
    ({"litellm_response_headers": {"Retry-After": "2"}}, 2.0),  # where litellm keeps the headers
    ({"litellm_response_headers": {"retry-after-ms": "1500", "retry-after": "9"}}, 1.5),  # OpenAI's, more precise
    ({"headers": {"retry-after": "0.25"}}, 0.25),
    ({"litellm_response_headers": {"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}}, None),  # a date: our backoff
    ({"litellm_response_headers": None, "response": None}, None),
    ({}, None),
])
def test_retry_after_is_read_wherever_litellm_put_it(attrs, wait):
    assert llm._retry_after(_Failure(**attrs)) == wait


def test_a_real_429_carries_the_servers_retry_after(server):
    spec = llm.CallSpec("openai/busy", [{"role": "user", "content": "busy [[429:1]] retry-after check"}], {},
                        server.base_url)
    with pytest.raises(llm.CallFailed) as failed:
        asyncio.run(llm.complete(spec, timeout_s=10))
    assert (failed.value.kind, failed.value.retryable, failed.value.retry_after) == ("rate_limit", True, 0.05)


def test_a_server_that_is_not_there_is_a_connection_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, never listening: refused
        spec = llm.CallSpec("openai/nobody", [{"role": "user", "content": "hi"}], {},
                            f"http://127.0.0.1:{sock.getsockname()[1]}/v1")
        with pytest.raises(llm.CallFailed) as failed:
            asyncio.run(llm.complete(spec, timeout_s=5))
    assert failed.value.kind == "connection" and failed.value.retryable and failed.value.candidate_wide
    assert "Connect call failed" in failed.value.message  # the reason, not only litellm's "Connection error"


def _fail_through_litellm(server, model: str, text: str, key: str | None = None) -> llm.CallFailed:
    import os

    env = "EVALCORE_TEST_LLM_KEY"
    if key:
        os.environ[env] = key
    try:
        spec = llm.CallSpec(model, [{"role": "user", "content": text}], {}, server.base_url, env if key else None)
        with pytest.raises(llm.CallFailed) as failed:
            asyncio.run(llm.complete(spec, timeout_s=10))
        return failed.value
    finally:
        os.environ.pop(env, None)


@pytest.mark.parametrize(("directive", "kind", "reason"), [
    ("[[ctx]]", "context_window", "HTTP 400: This model's maximum context length is 8192 tokens."),
    ("[[ctx-llamacpp]]", "context_window", "HTTP 400: the request exceeds the available context size"),
    ("[[filter]]", "content_filter", "HTTP 400: The response was filtered"),
    ("[[400]]", "bad_request", "HTTP 400: Invalid value for 'temperature'"),
])
def test_deterministic_failures_are_final_with_the_providers_own_sentence(server, directive, kind, reason):
    failed = _fail_through_litellm(server, "openai/m", f"long prompt {directive}")
    assert (failed.kind, failed.retryable, failed.final) == (kind, False, True)
    assert failed.message.startswith(reason), failed.message
    assert "litellm" not in failed.message and "Exception" not in failed.message


def test_a_refused_key_is_auth_for_the_whole_candidate_and_the_echoed_key_is_redacted(server):
    key = "sk-bad-" + "0123456789abcdef" * 3
    failed = _fail_through_litellm(server, "openai/m", "hi", key=key)
    assert (failed.kind, failed.retryable, failed.candidate_wide) == ("auth", False, True)
    assert failed.message.startswith("HTTP 401: Incorrect API key provided: ***")
    assert key[:12] not in failed.message


def test_an_unknown_model_is_not_found(server):
    failed = _fail_through_litellm(server, "openai/missing-model", "hi")
    assert (failed.kind, failed.candidate_wide) == ("not_found", True)
    assert "The model `missing-model` does not exist" in failed.message
