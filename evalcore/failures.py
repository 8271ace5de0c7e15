"""INTERIM (branch runner-fast): the litellm-free failure kinds, until branch runner-stop's module of the same
name is merged, which replaces this file whole. Same names: CallFailed, classify_http, redact."""

from __future__ import annotations

from collections.abc import Mapping


class CallFailed(Exception):
    """A classified failure: kind is one of rate_limit, timeout, connection, server, auth, not_found,
    context_window, content_filter, bad_request, config; retryable says whether backing off may help."""

    def __init__(self, kind: str, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds the server asked us to wait (retry-after-ms, else Retry-After in seconds), if it said."""
    lower = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    try:
        if "retry-after-ms" in lower:
            return max(0.0, float(lower["retry-after-ms"]) / 1000.0)
        if "retry-after" in lower:
            return max(0.0, float(lower["retry-after"]))
    except ValueError:
        return None
    return None


def classify_http(status: int, message: str, headers: Mapping[str, str] | None = None) -> CallFailed:
    """An HTTP error answer as a failure kind."""
    text = f"HTTP {status}: {message}"[:500]
    low = message.lower()
    if status == 429:
        return CallFailed("rate_limit", text, retryable=True, retry_after=retry_after(headers))
    if status in (401, 403):
        return CallFailed("auth", text, retryable=False)
    if status == 404:
        return CallFailed("not_found", text, retryable=False)
    if status == 408:
        return CallFailed("timeout", text, retryable=True)
    if status >= 500:
        return CallFailed("server", text, retryable=True, retry_after=retry_after(headers))
    if "context length" in low or "context window" in low or "context_length_exceeded" in low:
        return CallFailed("context_window", text, retryable=False)
    if "content_filter" in low or "content policy" in low or "content_policy" in low:
        return CallFailed("content_filter", text, retryable=False)
    return CallFailed("bad_request", text, retryable=False)


def redact(message: str, key: str | None) -> str:
    return message.replace(key, "***") if key else message
