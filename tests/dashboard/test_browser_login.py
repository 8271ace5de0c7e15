"""Login and roles in a real browser: a real OIDC provider (oidc-provider-mock) on 127.0.0.1, Streamlit's own
st.login, Playwright on Debian's Chromium. Proves from the server's page trace which scripts ran, not only
what was shown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from dashboard_testing import (CHROMIUM, browser, free_port, start_dashboard, stop,  # noqa: F401
                               demo_workspace, wait_healthy)

pytestmark = pytest.mark.browser
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "dashboard"))
from page_list import EDITOR_PAGES, LOGIN_PAGE, NO_ACCESS_PAGE, VIEWER_PAGES  # noqa: E402

TIMEOUT_MS = 30_000
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
USERS = [{"sub": "bob", "email": "bob@acme.test", "name": "Bob Viewer"},
         {"sub": "ana", "email": "ana@acme.test", "name": "Ana Editor"}]


@pytest.fixture(scope="module")
def sharing(demo_workspace: Path, tmp_path_factory) -> Iterator[dict]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing (scripts/dev test installs it)")
    tmp = tmp_path_factory.mktemp("login")
    op_port, app_port = free_port(), free_port()
    mock = Path(sys.executable).with_name("oidc-provider-mock")
    op_log = tmp / "oidc.log"
    with open(op_log, "w") as out:
        op = subprocess.Popen([str(mock), "--port", str(op_port), "--host", "127.0.0.1",
                               *[a for u in USERS for a in ("--user-claims", json.dumps(u))]],
                              stdout=out, stderr=subprocess.STDOUT)
    try:
        issuer = f"http://127.0.0.1:{op_port}"
        wait_healthy(f"{issuer}/.well-known/openid-configuration", op, op_log, "oidc-provider-mock")
        secrets = tmp / "secrets.toml"
        secrets.write_text(
            "[auth]\n"
            f'redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"\n'
            'cookie_secret = "a-test-cookie-secret-that-is-long-enough"\n'
            'client_id = "evalcore-test"\nclient_secret = "test-secret"\n'
            f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n'
            "[evalcore.access]\n"
            'editors = ["ana@acme.test"]\nviewers = ["@acme.test"]\n', encoding="utf-8")
        trace = tmp / "pages.trace"
        proc, url = start_dashboard(demo_workspace, tmp / "streamlit.log", port=app_port,
                                    env={"EVALCORE_TRACE_PAGES": str(trace)},
                                    args=["--secrets.files", str(secrets)])
        try:
            yield {"url": url, "trace": trace}
        finally:
            stop(proc)
    finally:
        stop(op)



def _ran(trace: Path) -> list[tuple[str, str, str]]:
    if not trace.exists():
        return []
    return [tuple(line.split("\t")) for line in trace.read_text(encoding="utf-8").splitlines()]  # type: ignore[misc]


def _sign_in(page, sub: str) -> None:
    page.get_by_role("button", name="Sign in").click()
    page.locator("input[name=sub]").wait_for(timeout=TIMEOUT_MS)
    page.fill("input[name=sub]", sub)
    page.get_by_role("button", name="Authorize").click()


def _wait_idle(page) -> None:
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=stSkeleton], [data-testid=stStatusWidgetRunningIcon]')",
        timeout=TIMEOUT_MS)


def test_logged_out_every_url_is_the_login_and_no_other_script_runs(sharing, browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    try:
        start = len(_ran(sharing["trace"]))
        for _, _, path in VIEWER_PAGES + EDITOR_PAGES:
            page.goto(f"{sharing['url']}/{path}", wait_until="domcontentloaded")
            page.get_by_role("button", name="Sign in").wait_for(timeout=TIMEOUT_MS)
            _wait_idle(page)
        ran = _ran(sharing["trace"])[start:]
        assert ran and {script for _, script, _ in ran} == {LOGIN_PAGE}, ran
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "login.png"))
    finally:
        ctx.close()


def test_a_deep_link_survives_the_login_and_a_viewer_cannot_open_editor_pages(sharing, browser, demo_workspace):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    try:
        page.goto(f"{sharing['url']}/?suite=invoice-extraction&scorer=json_valid", wait_until="domcontentloaded")
        page.get_by_role("button", name="Sign in").wait_for(timeout=TIMEOUT_MS)
        _sign_in(page, "bob")
        page.get_by_text("Signed in as bob@acme.test (viewer)").wait_for(timeout=TIMEOUT_MS)
        page.wait_for_function("() => location.search.includes('scorer=json_valid')", timeout=TIMEOUT_MS)
        assert parse_qs(urlparse(page.url).query)["scorer"] == ["json_valid"]
        page.locator("h1").filter(has_text="Overview").wait_for(timeout=TIMEOUT_MS)
        # the deep-linked filter is applied, not just kept in the address bar
        page.get_by_text("Leaderboard: json_valid on").wait_for(timeout=TIMEOUT_MS)
        _wait_idle(page)
        assert str(demo_workspace) not in page.inner_text("body")  # a viewer never sees the server's paths
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "login-viewer.png"))
        start = len(_ran(sharing["trace"]))
        for _, title, path in EDITOR_PAGES:  # typed into the address bar
            page.goto(f"{sharing['url']}/{path}", wait_until="domcontentloaded")
            page.get_by_text("This page is for editors").wait_for(timeout=TIMEOUT_MS)
        ran = _ran(sharing["trace"])[start:]
        editor_scripts = {s for s, _, _ in EDITOR_PAGES}
        assert not editor_scripts & {script for _, script, _ in ran}, ran
        assert all(who == "bob@acme.test" for _, _, who in ran)
    finally:
        ctx.close()


def test_an_editor_opens_every_page(sharing, browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    try:
        page.goto(sharing["url"], wait_until="domcontentloaded")
        _sign_in(page, "ana")
        page.get_by_text("Signed in as ana@acme.test (editor)").wait_for(timeout=TIMEOUT_MS)
        start = len(_ran(sharing["trace"]))
        for script, _, path in VIEWER_PAGES[1:] + EDITOR_PAGES:
            before = len(_ran(sharing["trace"]))
            page.goto(f"{sharing['url']}/{path}", wait_until="domcontentloaded")
            # At domcontentloaded no script has run yet, so "idle" alone proves nothing: wait for this page's run.
            deadline = time.monotonic() + TIMEOUT_MS / 1000
            while len(_ran(sharing["trace"])) == before and time.monotonic() < deadline:
                time.sleep(0.1)
            _wait_idle(page)
        ran = _ran(sharing["trace"])[start:]
        assert {s for s, _, _ in VIEWER_PAGES[1:] + EDITOR_PAGES} <= {script for _, script, _ in ran}
        assert NO_ACCESS_PAGE not in {script for _, script, _ in ran}
    finally:
        ctx.close()
