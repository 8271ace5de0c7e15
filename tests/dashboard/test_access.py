"""Who may open which page: the pure rules, and the page list app.py builds per identity (AppTest)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from dashboard_testing import DASHBOARD, REPO, dashboard_module, demo_workspace  # noqa: F401 (a fixture)

access = dashboard_module("access")

AUTH = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "test-cookie-secret",
        "client_id": "evalcore", "client_secret": "x",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
CONFIG = access.AccessConfig(editors=("ana@acme.test",), viewers=("@acme.test",))


# -- the rules -------------------------------------------------------------------------------------------------


def test_editor_list_wins_then_domain_viewers_then_nothing():
    assert access.role_for("ana@acme.test", {}, CONFIG) == "editor"
    assert access.role_for("Bob@ACME.test", {}, CONFIG) == "viewer"
    assert access.role_for("eve@evil.test", {}, CONFIG) is None
    assert access.role_for(None, {}, CONFIG) is None


def test_a_roles_claim_decides_when_configured():
    cfg = access.AccessConfig(roles_claim="roles")
    assert access.role_for("x@y.z", {"roles": ["viewer", "editor"]}, cfg) == "editor"
    assert access.role_for("x@y.z", {"roles": "viewer"}, cfg) == "viewer"
    assert access.role_for("x@y.z", {}, cfg) is None


def test_config_from_secrets_reads_strings_and_lists():
    cfg = access.AccessConfig.from_secrets({"editors": "Ana@Acme.test", "viewers": ["*"], "roles_claim": "groups"})
    assert cfg == access.AccessConfig(("ana@acme.test",), ("*",), "groups")
    assert access.AccessConfig.from_secrets(None) == access.AccessConfig()


@given(st.emails())
def test_a_suffix_domain_is_not_the_domain(email):
    """'@acme.test' must not let in 'mallory@notacme.test' or 'x@acme.test.evil'."""
    cfg = access.AccessConfig(viewers=("@acme.test",))
    domain = email.rsplit("@", 1)[1].lower()
    assert (access.role_for(email, {}, cfg) == "viewer") == (domain == "acme.test")


@pytest.mark.parametrize("address,loopback", [("127.0.0.1", True), ("localhost", True), ("::1", True),
                                              ("", False), (None, False), ("0.0.0.0", False),
                                              ("192.168.1.4", False)])
def test_only_loopback_addresses_count_as_local(address, loopback):
    assert access.is_loopback(address) is loopback


# -- the page list per identity (AppTest) ----------------------------------------------------------------------


def _app(workspace: Path, monkeypatch, *, user=None, auth=True, address="127.0.0.1") -> AppTest:
    from streamlit import config

    monkeypatch.setenv("EVALCORE_WORKSPACE", str(workspace))
    monkeypatch.chdir(REPO)
    config.set_option("server.address", address)
    at = AppTest.from_file(str(DASHBOARD / "app.py"), default_timeout=60)
    if auth:
        at.secrets["auth"] = AUTH
        at.secrets["evalcore"] = {"access": {"editors": ["ana@acme.test"], "viewers": ["@acme.test"]}}
    if user is not None:
        at.user = user
    return at


def _titles(at: AppTest) -> list[str]:
    """The pages the sidebar offers (hidden stand-ins are not offered)."""
    nav = at.get("navigation")
    assert nav, "app.py must call st.navigation on every run"
    return [p.page_name for p in nav[0].proto.app_pages if not getattr(p, "is_hidden", False)] if hasattr(
        nav[0].proto, "app_pages") else []


@pytest.fixture(autouse=True)
def _restore_address():
    from streamlit import config

    before = config.get_option("server.address")
    yield
    config.set_option("server.address", before)


def test_logged_out_every_url_runs_only_the_login_page(demo_workspace, monkeypatch):
    at = _app(demo_workspace, monkeypatch, user={"is_logged_in": False})
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["evalcore"]
    assert at.button(key="sign_in")
    assert not at.dataframe and not at.get("vega_lite_chart")  # no viewer page ran
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/overview.py")  # not registered for a logged-out session at all


def test_a_viewer_sees_viewer_pages_and_no_editor_page_script(demo_workspace, monkeypatch):
    at = _app(demo_workspace, monkeypatch, user={"is_logged_in": True, "email": "bob@acme.test"})
    at.run()
    assert not at.exception
    assert at.title[0].value == "Overview"
    assert any("Signed in as `bob@acme.test` (viewer)" in c.value for c in at.sidebar.caption)


def test_someone_without_a_role_is_told_whom_to_ask(demo_workspace, monkeypatch):
    at = _app(demo_workspace, monkeypatch, user={"is_logged_in": True, "email": "eve@evil.test"})
    at.run()
    assert at.title[0].value == "No access" and "has not given you a role" in at.error[0].value
    assert not at.dataframe


def test_without_login_on_loopback_is_local_single_user_mode(demo_workspace, monkeypatch):
    at = _app(demo_workspace, monkeypatch, auth=False)
    at.run()
    assert not at.exception and at.title[0].value == "Overview"
    assert any("Local single-user mode" in c.value for c in at.sidebar.caption)


def test_without_login_on_a_network_address_is_read_only(demo_workspace, monkeypatch):
    at = _app(demo_workspace, monkeypatch, auth=False, address="0.0.0.0")
    at.run()
    assert not at.exception and at.title[0].value == "Overview"
    assert "read-only" in at.sidebar.warning[0].value


def _editor_url_as(at: AppTest) -> AppTest:
    """A viewer at an editor page's URL: app.py registers the no-access stand-in there."""
    at.run()
    at.switch_page("views/no_access.py").run()
    assert not at.exception and at.title[0].value == "No access"
    return at


def test_read_only_open_mode_says_why_in_the_page_not_you_you(demo_workspace, monkeypatch):
    """Audit 5: open mode said "you (you) are a viewer", and the reason for read-only was in the sidebar only."""
    at = _editor_url_as(_app(demo_workspace, monkeypatch, auth=False, address="192.0.2.2"))
    body = at.main.warning[0].value
    assert "(you)" not in body
    assert "no login is configured" in body and "network address" in body and "127.0.0.1" in body


def test_a_signed_in_viewer_at_an_editor_url_is_named_with_their_role(demo_workspace, monkeypatch):
    at = _editor_url_as(_app(demo_workspace, monkeypatch, user={"is_logged_in": True, "email": "bob@acme.test"}))
    assert "you (bob@acme.test) are a viewer" in at.main.warning[0].value
