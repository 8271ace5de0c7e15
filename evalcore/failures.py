"""What kind of failure a model call met, in words a person can act on. Pure: no litellm, no network.

Both call paths use this module: the litellm path (evalcore.llm maps litellm's exceptions here) and a direct HTTP
path, which has only a status code, a body and headers. One classifier for both keeps the kinds, the retry
decisions and the messages identical whichever path sent a call.

Kinds, and what the runner does with them:

- transient (`rate_limit`, `timeout`, `connection`, `server`): retried with backoff, honouring Retry-After; a call
  that still fails becomes an error row, and the next run tries it again.
- deterministic for the request (`context_window`, `content_filter`, `bad_request`): the same request would fail
  the same way, so the failure is that request's final result: scored as a failure, kept by the cache, not resent
  by a rerun unless asked (`--retry-errors`).
- about the candidate, not the request (`auth`, `not_found`, `config`, and refused connections): every call of the
  candidate will fail alike, so the runner stops the candidate after a few and says how to fix it.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

KINDS = ("rate_limit", "timeout", "connection", "server", "auth", "not_found", "context_window", "content_filter",
         "bad_request", "config", "unknown")
TRANSIENT = frozenset({"rate_limit", "timeout", "connection", "server"})
FINAL = frozenset({"context_window", "content_filter", "bad_request"})  # the request's own result
CANDIDATE_WIDE = frozenset({"auth", "not_found", "config"})  # every call of the candidate fails alike

MESSAGE_LIMIT = 500  # characters kept of a message, after redaction

# What each kind means for the person running: the fix, in one sentence.
ADVICE = {
    "rate_limit": "The provider is rate-limiting: lower run.concurrency / per_candidate, or rerun later.",
    "timeout": "Calls took longer than run.timeout_s: raise it, or check the server's load; rerun to retry.",
    "connection": "Could not reach the server: check api_base (host and port) and that the server is up.",
    "server": "The provider had server errors (5xx); rerun later to retry them.",
    "auth": "The key was refused: check the variable named by api_key_env holds a valid key for this provider.",
    "not_found": "The model or URL was not found: check `model` (provider/name) and api_base.",
    "context_window": "The prompt is longer than the model's context window: shorten the prompt or input, or "
                      "pick a model with a larger window. Kept as this request's result.",
    "content_filter": "The provider's content filter refused the request. Kept as this request's result.",
    "bad_request": "The provider rejected the request as invalid (see the message; often a param the model "
                   "does not support). Kept as this request's result.",
    "config": "The candidate is not set up: see the message.",
    "unknown": "An unexpected failure: see the message.",
}

_CONTEXT = re.compile(
    r"context[ _-]?(length|window|size)|maximum context|context_length_exceeded|too many tokens|prompt is too long|"
    r"exceeds? (the )?(model'?s? )?(maximum|max)|input is too long|reduce the length|tokens? (limit|exceed)",
    re.I)
_FILTER = re.compile(r"content[ _-]?(filter|policy|management)|safety (system|filter)|flagged|responsible ?ai",
                     re.I)
_REFUSED = re.compile(r"connection refused|connect call failed|cannot connect to host|errno 111|"
                      r"name or service not known|nodename nor servname|no address associated|"
                      r"temporary failure in name resolution|getaddrinfo failed|invalid url|no host supplied|"
                      r"unsupported protocol|connecterror|all connection attempts failed", re.I)
_TIMEOUT = re.compile(r"timed? ?out|timeout", re.I)
_LITELLM_PREFIX = re.compile(
    r"^\s*(?:(?:litellm\.)?[A-Za-z]*(?:Error|Exception|Exceeded|Violation)\w*\s*[:\-]\s*)+", re.I)
_QUOTED_MESSAGE = re.compile(r"""['"]message['"]\s*:\s*(['"])(.+?)\1\s*[,}]""", re.S)
_CODE_PREFIX = re.compile(r"^\s*(?:Error code:\s*\d{3}\s*-\s*)", re.I)


@dataclass
class Failure:
    """One classified failure. `final`: the failure is this request's result (deterministic, cached);
    `candidate_wide`: every call of this candidate would fail the same way."""

    kind: str
    message: str
    retryable: bool
    final: bool = False
    candidate_wide: bool = False
    retry_after: float | None = None
    status: int | None = None

    @property
    def advice(self) -> str:
        return ADVICE.get(self.kind, ADVICE["unknown"])


class CallFailed(Exception):
    """A classified failure of one call, raised by every call path; `kind` is one of KINDS."""

    def __init__(self, kind: str, message: str, *, retryable: bool, retry_after: float | None = None,
                 final: bool | None = None, candidate_wide: bool | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
        self.final = kind in FINAL if final is None else final
        self.candidate_wide = kind in CANDIDATE_WIDE if candidate_wide is None else candidate_wide
        self.status = status

    @classmethod
    def of(cls, failure: Failure) -> CallFailed:
        return cls(failure.kind, failure.message, retryable=failure.retryable, retry_after=failure.retry_after,
                   final=failure.final, candidate_wide=failure.candidate_wide, status=failure.status)

    @property
    def advice(self) -> str:
        return ADVICE.get(self.kind, ADVICE["unknown"])


# -- pieces -----------------------------------------------------------------------------------------------------
def redact(message: str, secrets: Iterable[str | None]) -> str:
    """Every secret replaced by ***, before anything trims the message (a key echoed late in a long message must
    never survive half-cut). Longer secrets first, so one that contains another is replaced whole."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        message = message.replace(secret, "***")
    return message


def trim(message: str, limit: int = MESSAGE_LIMIT) -> str:
    message = " ".join(message.split())
    return message if len(message) <= limit else message[: limit - 3].rstrip() + "..."


def retry_after_s(headers: Mapping[str, str] | None) -> float | None:
    """Seconds the server asked us to wait: OpenAI's retry-after-ms, else Retry-After in seconds. An HTTP date or
    garbage gives None (our own backoff applies). Header names are compared case-insensitively."""
    if not headers:
        return None
    low = {str(k).lower(): str(v) for k, v in headers.items()}
    try:
        if "retry-after-ms" in low:
            return max(0.0, float(low["retry-after-ms"]) / 1000.0)
        if "retry-after" in low:
            return max(0.0, float(low["retry-after"]))
    except ValueError:
        return None
    return None


def _message_in(obj: object) -> str | None:
    """The provider's own message inside a decoded error body ({"error": {"message": ...}} and variants)."""
    if isinstance(obj, Mapping):
        for key in ("error", "detail", "message", "msg"):
            if key in obj:
                inner = obj[key]
                if isinstance(inner, str) and inner.strip():
                    return inner
                found = _message_in(inner)
                if found:
                    return found
    if isinstance(obj, list) and obj:
        return _message_in(obj[0])
    return None


def provider_reason(text: str) -> str:
    """The provider's own reason from an error body or a library's exception text, without the class chain
    ("litellm.BadRequestError: OpenAIException - Error code: 400 - {'error': {'message': 'x'}}" -> "x")."""
    text = text.strip()
    start = text.find("{")
    while start != -1:  # a JSON (or Python repr) object inside the text: its message is the reason
        candidate = text[start:]
        for parse in (json.loads, ast.literal_eval):
            try:
                found = _message_in(parse(candidate))
            except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
                found = None
            if found:
                return provider_reason(found) if "{" in found else found.strip()
        end = candidate.rfind("}")
        if end > 0:  # trailing text after the object: try the object alone
            for parse in (json.loads, ast.literal_eval):
                try:
                    found = _message_in(parse(candidate[: end + 1]))
                except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
                    found = None
                if found:
                    return found.strip()
        start = text.find("{", start + 1)
    quoted = _QUOTED_MESSAGE.search(text)  # an object too broken to parse: its message field still reads
    if quoted:
        return quoted.group(2).strip()
    previous = None
    while previous != text:  # peel "litellm.XError: " / "OpenAIException - " / "Error code: 400 - " layers
        previous = text
        text = _CODE_PREFIX.sub("", _LITELLM_PREFIX.sub("", text))
    return text.strip() or previous.strip()


def _sentence(reason: str, status: int | None) -> str:
    reason = reason.strip().rstrip(".") or "no reason given"
    return f"HTTP {status}: {reason}." if status else f"{reason}."


# -- the classifier -------------------------------------------------------------------------------------------
def classify_http(status: int | None, body_or_message: str, headers: Mapping[str, str] | None = None, *,
                  secrets: Iterable[str | None] = ()) -> Failure:
    """Classify one failed call from what the wire showed: the HTTP status (None when no response came back), the
    body (or the client library's message) and the response headers. Secrets are redacted before trimming."""
    reason = provider_reason(redact(body_or_message or "", secrets))
    message = trim(_sentence(reason, status))
    wait = retry_after_s(headers)
    low = reason.lower()
    if status is None:
        if _TIMEOUT.search(low) and not _REFUSED.search(low):
            return Failure("timeout", message, retryable=True)
        # refused, unresolvable or malformed address: every call of this candidate would fail alike
        return Failure("connection", message, retryable=True, candidate_wide=bool(_REFUSED.search(low)))
    if status == 429:
        if "quota" in low and ("exceeded" in low or "insufficient" in low):  # out of credit: waiting won't help
            return Failure("rate_limit", message, retryable=False, candidate_wide=True, retry_after=wait,
                           status=status)
        return Failure("rate_limit", message, retryable=True, retry_after=wait, status=status)
    if status in (408, 504) or status == 524:
        return Failure("timeout", message, retryable=True, retry_after=wait, status=status)
    if status >= 500:
        if _CONTEXT.search(low):  # some servers answer an over-long prompt with a 500
            return Failure("context_window", message, retryable=False, final=True, status=status)
        return Failure("server", message, retryable=True, retry_after=wait, status=status)
    if status in (401, 403):
        if status == 403 and _FILTER.search(low):
            return Failure("content_filter", message, retryable=False, final=True, status=status)
        return Failure("auth", message, retryable=False, candidate_wide=True, status=status)
    if status == 404:
        return Failure("not_found", message, retryable=False, candidate_wide=True, status=status)
    if status == 413 or _CONTEXT.search(low):
        return Failure("context_window", message, retryable=False, final=True, status=status)
    if _FILTER.search(low):
        return Failure("content_filter", message, retryable=False, final=True, status=status)
    if status in (400, 409, 415, 422):
        return Failure("bad_request", message, retryable=False, final=True, status=status)
    return Failure("unknown", message, retryable=False, status=status)


def config_failure(message: str) -> Failure:
    """A candidate that cannot be called as configured (a missing key, no model): nothing was sent."""
    return Failure("config", trim(message), retryable=False, candidate_wide=True)
