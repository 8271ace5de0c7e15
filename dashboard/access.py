"""Who is looking at the dashboard, and which pages that person may open.

Two roles: a *viewer* reads (Overview, Compare, Trends, Explore); an *editor* also changes things (Data, Run,
Label). With Streamlit's login configured (an `[auth]` section in `.streamlit/secrets.toml`, any OIDC
provider), the role comes from the signed-in identity: allow-lists of emails or `@domains` per role, or a
roles claim of the ID token, under `[evalcore.access]`. Without login configured the dashboard is a local
single-user tool: the person at this machine is the editor, but only while the server listens on a loopback
address; bound to any other address without login, everyone is a viewer.

Access is enforced where Streamlit decides what runs: `app.py` builds the page list from `allowed_pages` on
every run, so a page a person may not open is not in it and its script never runs, however it was reached.
The pure part (`role_for`, `allowed_pages`) has no Streamlit in it, for tests.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

VIEWER, EDITOR = "viewer", "editor"
Role = Literal["viewer", "editor"]
Mode = Literal["local", "login", "open"]  # local single-user; signed-in identities; no login, not loopback


@dataclass(frozen=True)
class AccessConfig:
    """`[evalcore.access]` in secrets.toml. Entries are emails (`ana@example.com`) or domains (`@example.com`);
    `"*"` is anyone who signs in. `roles_claim` names an ID-token claim holding "editor" and/or "viewer"."""

    editors: tuple[str, ...] = ()
    viewers: tuple[str, ...] = ()
    roles_claim: str | None = None

    @classmethod
    def from_secrets(cls, section: Mapping[str, Any] | None) -> AccessConfig:
        section = dict(section or {})

        def entries(key: str) -> tuple[str, ...]:
            value = section.get(key) or ()
            if isinstance(value, str):
                value = [value]
            return tuple(str(v).strip().lower() for v in value if str(v).strip())

        claim = section.get("roles_claim")
        return cls(entries("editors"), entries("viewers"), str(claim) if claim else None)


@dataclass(frozen=True)
class Identity:
    """The person behind this browser session, as far as the dashboard can tell."""

    mode: Mode
    logged_in: bool
    email: str | None = None
    name: str | None = None
    role: Role | None = None  # None: signed in (or not) without access

    @property
    def reviewer(self) -> str | None:
        """The name labels are stored under: the login's email; None in local mode (the page asks once)."""
        return self.email if self.mode == "login" and self.logged_in else None


def _listed(email: str, entries: Sequence[str]) -> bool:
    email = email.lower()
    domain = "@" + email.rsplit("@", 1)[-1] if "@" in email else None
    return any(e == "*" or e == email or (e.startswith("@") and e == domain) for e in entries)


def role_for(email: str | None, claims: Mapping[str, Any], config: AccessConfig) -> Role | None:
    """A signed-in person's role: a roles claim wins when configured, then the editor list, then the viewer
    list; None when neither names them (they see a page saying whom to ask)."""
    if config.roles_claim:
        value = claims.get(config.roles_claim)
        roles = {str(v).lower() for v in (value if isinstance(value, (list, tuple)) else [value]) if v}
        if EDITOR in roles:
            return EDITOR
        if VIEWER in roles:
            return VIEWER
    if email and _listed(email, config.editors):
        return EDITOR
    if email and _listed(email, config.viewers):
        return VIEWER
    return None


def is_loopback(address: str | None) -> bool:
    """Whether the server's bind address only accepts connections from this machine."""
    if not address:
        return False  # Streamlit's default (empty) listens on every interface
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def allowed_pages(identity: Identity) -> set[Role]:
    """The page groups this identity may open."""
    if identity.role == EDITOR:
        return {VIEWER, EDITOR}
    if identity.role == VIEWER:
        return {VIEWER}
    return set()


# -- Streamlit side -------------------------------------------------------------------------------------------


def auth_configured() -> bool:
    """Whether `.streamlit/secrets.toml` configures Streamlit's login (`[auth]` with a provider)."""
    import streamlit as st

    try:
        auth = st.secrets.get("auth")
    except Exception:  # noqa: BLE001 - no secrets file at all, or an unreadable one: no login configured
        return False
    return bool(auth) and bool(auth.get("redirect_uri")) and bool(auth.get("cookie_secret"))


def current_identity() -> Identity:
    """The identity of this run's session (read on every run: a login or logout changes it)."""
    import streamlit as st

    if not auth_configured():
        if is_loopback(st.get_option("server.address")):
            return Identity("local", logged_in=False, role=EDITOR)
        return Identity("open", logged_in=False, role=VIEWER)
    if not st.user.is_logged_in:
        return Identity("login", logged_in=False)
    info = st.user.to_dict()
    email = str(info.get("email") or "") or None
    try:
        config = AccessConfig.from_secrets(st.secrets.get("evalcore", {}).get("access"))
    except Exception:  # noqa: BLE001 - a malformed section grants nothing
        config = AccessConfig()
    return Identity("login", logged_in=True, email=email, name=str(info.get("name") or "") or None,
                    role=role_for(email, info, config))


# -- carrying a deep link through the login round trip ---------------------------------------------------------
# The OIDC callback always lands on "/": whatever page and filters the link named would be lost. Before login,
# the requested view is parked under the browser's XSRF cookie (set by Streamlit before login, kept through
# it); after login the first run on "/" takes it back and switches there.
_PENDING_TTL_S = 600.0


def _pending() -> dict[str, tuple[str, dict[str, list[str]], float]]:
    import streamlit as st

    @st.cache_resource(show_spinner=False)
    def store() -> dict[str, tuple[str, dict[str, list[str]], float]]:
        return {}

    return store()


def _browser_key() -> str | None:
    """This browser's XSRF token. Tornado re-masks the cookie when it sets it again (the login does), so the
    key is the unmasked token of its "2|mask|masked-token|time" form, which stays the same."""
    import streamlit as st

    try:
        raw = st.context.cookies.get("_streamlit_xsrf") or ""
    except Exception:  # noqa: BLE001 - no cookies (AppTest): nothing to carry
        return None
    parts = raw.split("|")
    if len(parts) == 4 and parts[0] == "2":
        try:
            mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
            return bytes(b ^ mask[i % len(mask)] for i, b in enumerate(masked)).hex() if mask else None
        except ValueError:
            return None
    return raw or None


def park_requested_view(url_path: str, query: Mapping[str, Any]) -> None:
    """Remember the page and query parameters a logged-out person asked for."""
    key = _browser_key()
    if not key:
        return
    now = time.monotonic()
    pending = _pending()
    for k in [k for k, (_, _, t) in pending.items() if now - t > _PENDING_TTL_S]:
        pending.pop(k, None)
    params = {k: [str(x) for x in (v if isinstance(v, list) else [v])] for k, v in query.items()}
    pending[key] = (url_path, params, now)


def take_requested_view() -> tuple[str, dict[str, list[str]]] | None:
    """The view parked before login for this browser, once."""
    key = _browser_key()
    if not key:
        return None
    hit = _pending().pop(key, None)
    if hit is None or time.monotonic() - hit[2] > _PENDING_TTL_S:
        return None
    return hit[0], hit[1]
