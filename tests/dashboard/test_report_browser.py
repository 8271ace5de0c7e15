"""The static report in a real browser with the network blocked: it opens from disk, draws its charts (SVG),
shows a model's `<script>` and `<img onerror>` as text and runs nothing; and the dashboard's "Download report"
button hands over that same kind of file.

Leaves screenshots in tests/dashboard/artifacts/report.png and report_hostile.png (git-ignored) for a person to
look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard_testing import StreamlitServer, browser, demo_workspace, wait_idle  # noqa: F401 (fixtures)
from evalcore import analysis
from evalcore import report as rep
from evalcore.demo_build import DEMO_SUITE
from suite_factory import HOSTILE, IMG, SCRIPT, markup_suite

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TIMEOUT_MS = 30_000

# Runs before the page's own content: any script the report let through would call one of these.
_TRAP = """
window.__ran = [];
for (const name of ['alert', 'confirm', 'prompt']) {
  window[name] = (...args) => { window.__ran.push([name, ...args]); };
}
"""


def _open_offline(browser, path: Path):
    """A new page on `path` with every request other than that file aborted and recorded; returns (page, stray
    requests, console errors)."""
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    stray: list[str] = []
    errors: list[str] = []

    def route(r) -> None:
        if r.request.url == path.as_uri():
            r.continue_()
        else:
            stray.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("request", lambda req: None if req.url == path.as_uri() else stray.append(req.url))
    page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.add_init_script(_TRAP)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, stray, errors


def _full_screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_demo_report_opens_offline_with_its_charts_drawn(browser, demo_workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    rep.write_report(demo_workspace, DEMO_SUITE, out)
    page, stray, errors = _open_offline(browser, out)
    try:
        headline = analysis.recommendation(demo_workspace, DEMO_SUITE).headline
        assert page.locator("p.nopick, p.pick").first.inner_text() == headline
        charts = page.locator("figure svg")
        assert charts.count() == 3
        for i in range(3):
            box = charts.nth(i).bounding_box()
            assert box and box["width"] > 300 and box["height"] > 150  # laid out, not an empty box
        # the marks are there: one interval per candidate in the leaderboard chart, and its labels
        board = analysis.leaderboard(demo_workspace, DEMO_SUITE)
        labels = charts.nth(0).locator("text").evaluate_all("els => els.map(e => e.textContent)")
        assert all(r["candidate"] in labels for r in board.rows)
        assert charts.nth(2).locator("path").count() >= 10  # the heatmap's cells
        assert page.locator("script, img, iframe, object, embed, link").count() == 0
        _full_screenshot(page, "report.png")
        assert page.evaluate("window.__ran") == [] and errors == []
        assert stray == [], f"the report asked the network for {stray}"
    finally:
        page.close()


def test_hostile_outputs_show_as_text_and_nothing_runs(browser, tmp_path: Path, server) -> None:
    from evalcore.runner import run_suite
    from evalcore.suite import load_suite

    suite = markup_suite(tmp_path / "s", server.base_url, [f"{HOSTILE} #{i}" for i in range(12)])
    run_suite(load_suite(suite), tmp_path / "ws")
    out = tmp_path / "hostile.html"
    rep.write_report(tmp_path / "ws", "hostile", out)
    page, stray, errors = _open_offline(browser, out)
    try:
        outputs = page.locator("pre", has_text=SCRIPT)
        assert outputs.count() > 0 and SCRIPT in outputs.first.inner_text()
        assert page.locator("pre", has_text=IMG).count() > 0
        assert page.get_by_text(f"{IMG}, a|b, **bold** @octocat #12").count() > 0  # a tag, shown as typed
        assert page.locator("script, img").count() == 0  # none of it became an element
        assert page.locator("b", has_text="fam").count() == 0  # nor markup in a family name
        page.locator(".case").first.scroll_into_view_if_needed()
        _full_screenshot(page, "report_hostile.png")
        assert page.evaluate("window.__ran") == [] and errors == []
        assert stray == [], f"the report asked the network for {stray}"
    finally:
        page.close()


def test_the_dashboard_button_downloads_a_report_that_opens_offline(browser, demo_workspace: Path,
                                                                     tmp_path: Path) -> None:
    with StreamlitServer(demo_workspace, tmp_path / "streamlit.log") as srv:
        page = browser.new_page(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
        try:
            page.goto(f"{srv.url}/")
            button = page.get_by_role("button", name="Download report")
            button.wait_for(timeout=TIMEOUT_MS)
            wait_idle(page)
            with page.expect_download(timeout=60_000) as info:
                button.click()
            download = info.value
            assert download.suggested_filename == f"{DEMO_SUITE}-report.html"
            saved = tmp_path / download.suggested_filename
            download.save_as(saved)
        finally:
            page.close()
    page, stray, errors = _open_offline(browser, saved)
    try:
        assert page.locator("figure svg").count() == 3
        assert page.locator("h1").inner_text() == f"evalcore report: {DEMO_SUITE}"
        assert stray == [] and errors == [] and page.evaluate("window.__ran") == []
    finally:
        page.close()
