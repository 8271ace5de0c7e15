"""What can be checked before a run's first call, without litellm and without sending a request.

A key variable that is not set, or an api_base nobody listens on, would otherwise show up as dozens of identical
error rows after a long wait (a refused port is retried with backoff). Both are cheap to check up front: the
environment, and one TCP connect per distinct server (no HTTP request, so nothing is billed or logged).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

CONNECT_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Blocked:
    """A candidate (or judge) that cannot be called as configured; `message` names it, the URL or variable, the
    reason and the fix."""

    name: str
    kind: str  # "config" (a key variable not set) or "connection" (api_base not reachable)
    message: str


def missing_key(name: str, what: str, api_key_env: str | None) -> Blocked | None:
    if api_key_env and not os.environ.get(api_key_env):
        return Blocked(name, "config", f"{what} '{name}': environment variable {api_key_env} (named by api_key_env) "
                                       "is not set. Export it, or put it in .streamlit/secrets.toml.")
    return None


def _address(url: str) -> tuple[str, int] | str:
    """(host, port) of a URL, or why it is not a usable URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"not a valid URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "not an http(s) URL with a host (e.g. http://127.0.0.1:11434/v1)"
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def _connect(url: str, timeout_s: float) -> str | None:
    """None when something accepts a TCP connection at the URL's host and port, else the reason."""
    addr = _address(url)
    if isinstance(addr, str):
        return addr
    try:
        with socket.create_connection(addr, timeout=timeout_s):
            return None
    except socket.gaierror as exc:
        return f"host '{addr[0]}' not found ({exc.strerror or exc})"
    except TimeoutError:
        return f"no answer from {addr[0]}:{addr[1]} within {timeout_s:g} s"
    except OSError as exc:
        return f"{exc.strerror or exc} at {addr[0]}:{addr[1]}"


def unreachable(urls: Iterable[str], timeout_s: float = CONNECT_TIMEOUT_S) -> dict[str, str]:
    """url -> reason, for every URL where nothing accepts a connection (checked in parallel)."""
    distinct = sorted(set(urls))
    if not distinct:
        return {}
    with ThreadPoolExecutor(max_workers=min(16, len(distinct))) as pool:
        reasons = list(pool.map(lambda u: _connect(u, timeout_s), distinct))
    return {u: r for u, r in zip(distinct, reasons) if r is not None}


def unreachable_message(name: str, what: str, url: str, reason: str) -> str:
    return (f"{what} '{name}': cannot connect to api_base {url}: {reason}. Check the host and port in api_base "
            "and that the server is running; nothing was sent to it.")


def check(candidates: Sequence[tuple[str, str | None, str | None]], judges: Sequence[tuple[str, str | None,
          str | None]], *, timeout_s: float = CONNECT_TIMEOUT_S) -> tuple[list[Blocked], list[Blocked]]:
    """(blocked candidates, blocked judges) from (name, api_base, api_key_env) triples: keys first (no network),
    then one connect per distinct api_base of what is left."""
    cands = [b for n, _, env in candidates if (b := missing_key(n, "candidate", env))]
    jdg = [b for n, _, env in judges if (b := missing_key(n, "judge", env))]
    blocked_names = {b.name for b in cands} | {b.name for b in jdg}
    bases = [base for n, base, _ in [*candidates, *judges] if base and n not in blocked_names]
    down = unreachable(bases, timeout_s)
    cands += [Blocked(n, "connection", unreachable_message(n, "candidate", base, down[base]))
              for n, base, _ in candidates if base in down and n not in blocked_names]
    jdg += [Blocked(n, "connection", unreachable_message(n, "judge", base, down[base]))
            for n, base, _ in judges if base in down and n not in blocked_names]
    return cands, jdg
