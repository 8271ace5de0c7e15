"""Overview's "Download report" button (AppTest): offered to viewers and editors alike, and a click yields the
static HTML report of what the page shows, built only then (Streamlit's deferred download)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from dashboard_testing import DASHBOARD, REPO, demo_workspace  # noqa: F401 (a fixture)
from evalcore import analysis
from evalcore.demo_build import DEMO_SUITE

AUTH = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "test-cookie-secret",
        "client_id": "evalcore", "client_secret": "x",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}


@pytest.fixture
def managers(monkeypatch: pytest.MonkeyPatch) -> list[MediaFileManager]:
    """The media file managers AppTest's runs register deferred downloads with (the real ones, recorded)."""
    seen: list[MediaFileManager] = []
    original = MediaFileManager.add_deferred

    def record(self: MediaFileManager, *args: object, **kwargs: object) -> str:
        seen.append(self)
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    return seen


def _overview(workspace: Path, monkeypatch: pytest.MonkeyPatch, email: str, state: dict[str, object] | None = None):
    monkeypatch.setenv("EVALCORE_WORKSPACE", str(workspace))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(DASHBOARD / "app.py"), default_timeout=60)
    at.secrets["auth"] = AUTH
    at.secrets["evalcore"] = {"access": {"editors": ["ana@acme.test"], "viewers": ["@acme.test"]}}
    at.user = {"is_logged_in": True, "email": email}
    for k, v in (state or {}).items():  # as if the person had set the page's widgets
        at.session_state[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Overview"
    return at


def _download(at: AppTest, managers: list[MediaFileManager]) -> bytes:
    """Click the button the way the server does: run its deferred callable, then read the stored file."""
    [button] = [b for b in at.get("download_button") if b.proto.id.endswith("-download_report")]
    assert button.proto.label == "Download report"
    file_id = button.proto.deferred_file_id
    assert file_id, "the report is built on click, not on every page run"
    [manager] = {id(m): m for m in managers}.values()
    url = manager.execute_deferred(file_id)
    return manager._storage.get_file(url.rsplit("/", 1)[-1]).content


@pytest.mark.parametrize("email", ["bob@acme.test", "ana@acme.test"], ids=["viewer", "editor"])
def test_overview_offers_the_report_to_viewers_and_editors(demo_workspace: Path, monkeypatch, managers, email) -> None:
    at = _overview(demo_workspace, monkeypatch, email)
    page = _download(at, managers).decode("utf-8")
    rec = analysis.recommendation(demo_workspace, DEMO_SUITE)
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page.lower()
    assert rec.headline in page and page.count("<svg") == 3
    assert f"evalcore report: {DEMO_SUITE}" in page


def test_the_report_follows_the_pages_policy_and_margin(demo_workspace: Path, monkeypatch, managers) -> None:
    at = _overview(demo_workspace, monkeypatch, "bob@acme.test", {"policy": "best", "margin": 0.2})
    page = _download(at, managers).decode("utf-8")
    rec = analysis.recommendation(demo_workspace, DEMO_SUITE, policy="best", margin=0.2)
    assert rec.headline.split(":")[0] in page and "at most 0.200 to every other" in page
