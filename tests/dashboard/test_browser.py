"""The dashboard in a real browser: `streamlit run` as a subprocess, driven by Playwright on Debian's Chromium.

Leaves a screenshot in tests/dashboard/artifacts/overview.png (git-ignored) for a person to look at.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard_testing import REPO, demo_workspace  # noqa: F401 (a fixture)
from evalcore import analysis
from evalcore.demo import SYNTHETIC_NOTICE
from evalcore.demo_build import DEMO_SUITE

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]
TIMEOUT_MS = 30_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dashboard_url(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run dashboard/app.py` on a free port, showing the demo workspace; always terminated."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (scripts/dev test does it) to run browser tests")
    port = _free_port()
    log_path = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    env = {**os.environ, "EVALCORE_WORKSPACE": str(demo_workspace)}
    cmd = [sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with code {proc.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not become healthy in 60 s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (scripts/dev test does it) to run browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def _wait_until_rendered(page, subheader: str) -> None:
    """Widgets first render as grey skeletons: wait for real content, then for the app to be idle."""
    page.get_by_text(subheader).wait_for(timeout=TIMEOUT_MS)
    page.locator("[data-testid=stDataFrame] canvas").first.wait_for(timeout=TIMEOUT_MS)
    page.locator("[data-testid=stVegaLiteChart] canvas, [data-testid=stVegaLiteChart] svg").first.wait_for(
        timeout=TIMEOUT_MS)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=stSkeleton], [data-testid=stStatusWidgetRunningIcon]')",
        timeout=TIMEOUT_MS)


def _screenshot(page, name: str) -> None:
    """The whole page: Streamlit scrolls an inner container, so grow the viewport to its content first."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")  # no focus ring in the picture
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": page.viewport_size["width"], "height": max(1000, int(height) + 40)})
    page.wait_for_timeout(300)  # let the table and the chart re-layout to the new size
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))
    page.set_viewport_size({"width": page.viewport_size["width"], "height": 1000})


def test_overview_in_a_browser_shows_the_demo_and_follows_the_scorer(dashboard_url: str, browser,
                                                                     demo_workspace: Path) -> None:
    first = analysis.leaderboard(demo_workspace, DEMO_SUITE)
    other = analysis.leaderboard(demo_workspace, DEMO_SUITE, scorer="json_valid")
    # The decision card's headline, as the library words it (its first words are enough to find it).
    winner = analysis.recommendation(demo_workspace, DEMO_SUITE).headline.split(":")[0]
    other_winner = analysis.recommendation(demo_workspace, DEMO_SUITE, scorer="json_valid").headline.split(":")[0]
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    try:
        page.goto(dashboard_url, wait_until="domcontentloaded")
        _wait_until_rendered(page, f"Leaderboard: {first.scorer} on")
        decision = page.locator("[data-testid=stAlertContainer]").filter(has_text=winner).first
        decision.wait_for(timeout=TIMEOUT_MS)
        first_text = decision.inner_text()

        _screenshot(page, "overview.png")

        body = page.inner_text("body")
        assert SYNTHETIC_NOTICE in body
        assert decision.inner_text().startswith(winner)
        assert page.locator("[data-testid=stException]").count() == 0

        # Choose another scorer the way a person does: open the select box, click the option.
        page.locator("[data-testid=stSelectbox]").filter(has_text="Scorer").click()
        page.get_by_role("option", name="json_valid", exact=True).click()
        _wait_until_rendered(page, f"Leaderboard: {other.scorer} on")
        _screenshot(page, "overview-json_valid.png")

        body = page.inner_text("body")
        assert f"Leaderboard: {first.scorer} on" not in body
        assert SYNTHETIC_NOTICE in body
        decision = page.locator("[data-testid=stAlertContainer]").filter(has_text=other_winner).first
        assert decision.inner_text().startswith(other_winner) and decision.inner_text() != first_text
        assert page.locator("[data-testid=stException]").count() == 0
    finally:
        page.close()
