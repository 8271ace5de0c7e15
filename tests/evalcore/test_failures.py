"""evalcore.failures: the one classifier both call paths share (pure: status, body, headers -> kind)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evalcore.failures import FINAL, KINDS, MESSAGE_LIMIT, classify_http, provider_reason, redact

OPENAI_CTX = json.dumps({"error": {"message": "This model's maximum context length is 8192 tokens. However, your "
                                   "messages resulted in 9021 tokens. Please reduce the length of the messages.",
                                   "type": "invalid_request_error", "code": "context_length_exceeded"}})
LLAMACPP_CTX = json.dumps({"error": {"code": 400, "message": "the request exceeds the available context size, try "
                                     "increasing it", "type": "exceed_context_size_error"}})


@pytest.mark.parametrize(("status", "body", "kind", "retryable", "final", "wide"), [
    (429, '{"error": {"message": "Rate limit reached"}}', "rate_limit", True, False, False),
    (429, '{"error": {"message": "You exceeded your current quota"}}', "rate_limit", False, False, True),
    (500, '{"error": {"message": "internal"}}', "server", True, False, False),
    (503, "upstream unavailable", "server", True, False, False),
    (504, "gateway timeout", "timeout", True, False, False),
    (401, '{"error": {"message": "Incorrect API key provided"}}', "auth", False, False, True),
    (403, '{"error": {"message": "not allowed"}}', "auth", False, False, True),
    (404, '{"error": {"message": "The model `x` does not exist"}}', "not_found", False, False, True),
    (400, OPENAI_CTX, "context_window", False, True, False),
    (400, LLAMACPP_CTX, "context_window", False, True, False),
    (413, "payload too large", "context_window", False, True, False),
    (400, '{"error": {"message": "filtered by the content management policy", "code": "content_filter"}}',
     "content_filter", False, True, False),
    (400, '{"error": {"message": "Invalid value for temperature"}}', "bad_request", False, True, False),
    (422, '{"detail": [{"msg": "field required"}]}', "bad_request", False, True, False),
    (None, "Cannot connect to host 127.0.0.1:9 [Connection refused]", "connection", True, False, True),
    (None, "Server disconnected", "connection", True, False, False),
    (None, "Request timed out.", "timeout", True, False, False),
])
def test_status_and_body_give_an_actionable_kind(status, body, kind, retryable, final, wide):
    f = classify_http(status, body, {})
    assert (f.kind, f.retryable, f.final, f.candidate_wide) == (kind, retryable, final, wide)
    assert f.advice and f.message.endswith(".")


def test_the_message_is_the_providers_reason_not_litellms_class_chain():
    chain = ("ContextWindowExceededError: litellm.ContextWindowExceededError: litellm.BadRequestError: "
             "ContextWindowExceededError: OpenAIException - Error code: 400 - " + repr(json.loads(OPENAI_CTX)))
    f = classify_http(400, chain, {})
    assert f.kind == "context_window"
    assert f.message.startswith("HTTP 400: This model's maximum context length is 8192 tokens.")
    assert "litellm" not in f.message and "Error:" not in f.message
    assert provider_reason("litellm.APIConnectionError: OpenAIException - Connection error.") == "Connection error."


@pytest.mark.parametrize(("headers", "wait"), [
    ({"Retry-After": "2"}, 2.0), ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
    ({"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}, None), (None, None),
])
def test_retry_after_comes_from_the_headers(headers, wait):
    assert classify_http(429, "slow down", headers).retry_after == wait


def test_a_key_echoed_late_in_a_long_message_never_survives_half_cut():
    key = "sk-live-" + "abcdef0123456789" * 4
    body = json.dumps({"error": {"message": "x" * (MESSAGE_LIMIT - 20) + f" Incorrect API key provided: {key}"}})
    f = classify_http(401, body, {}, secrets=[key])
    assert len(f.message) <= MESSAGE_LIMIT
    for n in range(8, len(key)):
        assert key[:n] not in f.message


@given(st.text(min_size=8, max_size=40).filter(lambda s: s.strip() == s and len(set(s)) > 3),
       st.text(max_size=300), st.text(max_size=300))
def test_redaction_removes_every_copy_of_a_secret(secret, before, after):
    assert secret not in redact(before + secret + after + secret, [secret, None])


@given(st.one_of(st.none(), st.integers(100, 599)), st.text(max_size=2000))
def test_every_failure_gets_a_known_kind_and_a_bounded_message(status, body):
    f = classify_http(status, body, {})
    assert f.kind in KINDS and len(f.message) <= MESSAGE_LIMIT
    assert not (f.final and f.retryable) and (f.final == (f.kind in FINAL) or f.kind == "context_window")
