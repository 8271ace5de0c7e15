"""The dashboard in a real browser: `streamlit run` as a subprocess, driven by Playwright on Debian's Chromium.

Leaves a screenshot in tests/dashboard/artifacts/overview.png (git-ignored) for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard_testing import StreamlitServer, browser, demo_workspace, wait_idle  # noqa: F401 (fixtures)
from evalcore import analysis
from evalcore.demo import SYNTHETIC_NOTICE
from evalcore.demo_build import DEMO_SUITE

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def dashboard_url(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run dashboard/app.py` on a free port of 127.0.0.1 showing the workspace; always stopped."""
    with StreamlitServer(demo_workspace, tmp_path_factory.mktemp("streamlit") / "streamlit.log") as srv:
        yield srv.url


def _wait_until_rendered(page, subheader: str) -> None:
    """Widgets first render as grey skeletons: wait for real content, then for the app to be idle."""
    page.get_by_text(subheader).wait_for(timeout=TIMEOUT_MS)
    page.locator("[data-testid=stDataFrame] canvas").first.wait_for(timeout=TIMEOUT_MS)
    page.locator("[data-testid=stVegaLiteChart] canvas, [data-testid=stVegaLiteChart] svg").first.wait_for(
        timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)


def _open(page, url: str, ready) -> None:
    """Open `url`, wait for the locator `ready(page)` and for the app to be idle, then let late URL writes land."""
    page.goto(url, wait_until="domcontentloaded")
    ready(page).first.wait_for(timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)
    page.wait_for_timeout(500)


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


@pytest.mark.parametrize(("path", "kept"), [("trends?over=run", "over=run+date"), ("trends?x=run", "over=run+date"),
                                             ("?policy=best", "policy=best+quality")])
def test_a_link_naming_a_value_keeps_its_view_in_the_address_bar(dashboard_url: str, browser, path: str,
                                                                  kept: str) -> None:
    """`?over=run` (as the CLI and suite.yaml spell it) opens the run-date view, and the address bar keeps it: it was
    cleared on opening, so a link copied straight away opened release dates. An old link's `?x=run` still opens it,
    and the address bar then says `over=`."""
    page = browser.new_page(viewport={"width": 1024, "height": 900})
    try:
        _open(page, f"{dashboard_url}/{path}", lambda p: p.locator("[data-testid=stButtonGroup]"))
        assert page.url.endswith(kept), page.url
        assert page.locator("[data-testid=stException]").count() == 0
    finally:
        page.close()


def test_explore_filters_show_their_values_in_full_at_1024_px(dashboard_url: str, browser) -> None:
    """In one row of four the Tag box was ~100 px wide and showed "adversar"; every tag, outcome and error kind
    (the longest, "context_window") fits its box. Leaves artifacts/explore-1024.png."""
    page = browser.new_page(viewport={"width": 1024, "height": 900})
    try:
        _open(page, f"{dashboard_url}/explore?outcome=all&tag=adversarial", lambda p: p.get_by_text("Matching results"))
        tag = page.locator('input[aria-label="Tag"]')
        assert tag.input_value() == "adversarial"
        assert tag.evaluate("i => i.scrollWidth <= i.clientWidth"), "the Tag box cuts 'adversarial' off"
        values = ["adversarial", "multilingual", "malformed", "ambiguous", "error", "context_window",
                  "content_filter", "bad_request", "connection"]
        cut = page.evaluate("""(values) => ['Tag', 'Outcome', 'Error kind'].flatMap(name => {
            const box = document.querySelector(`input[aria-label="${name}"]`), was = box.value;
            const cut = values.filter(v => { box.value = v; return box.scrollWidth > box.clientWidth; });
            box.value = was;
            return cut.map(v => `${name}: ${v}`);
        })""", values)
        assert not cut, cut
        _screenshot(page, "explore-1024.png")
    finally:
        page.close()


def test_the_default_pages_own_name_opens_it_at_the_root(dashboard_url: str, browser) -> None:
    """/overview, typed by analogy with /compare, showed Streamlit's "Page not found" dialog over the page."""
    page = browser.new_page(viewport={"width": 1024, "height": 900})
    try:
        _open(page, f"{dashboard_url}/overview?policy=fastest",
              lambda p: p.get_by_text("Leaderboard: line_items_f1 on"))
        assert "Page not found" not in page.inner_text("body")
        assert page.url == f"{dashboard_url}/?policy=fastest", page.url
        assert page.locator("[data-testid=stException]").count() == 0
    finally:
        page.close()


def test_a_compare_link_into_explore_leaves_its_url_in_the_address_bar(dashboard_url: str, browser) -> None:
    """A "Where they differ most" link showed Explore's example under `/compare?example=inv-042` (the suite and scorer
    dropped), so the address a person copied opened Compare. The address bar names the page and every param the
    link carries, and a new page opening it shows the same example."""
    page = browser.new_page(viewport={"width": 1024, "height": 900})
    fresh = browser.new_page(viewport={"width": 1024, "height": 900})
    try:
        page.goto(f"{dashboard_url}/compare?a=aurora-2&b=aurora-1.5", wait_until="domcontentloaded")
        link = page.locator("a[href*='example=']").first
        link.wait_for(timeout=TIMEOUT_MS)
        wait_idle(page)
        href = link.get_attribute("href")
        example = href.rsplit("example=", 1)[1]
        link.click()
        page.get_by_text(f"Example {example}").wait_for(timeout=TIMEOUT_MS)
        wait_idle(page)
        page.wait_for_timeout(1000)  # a late URL write would land by now
        assert page.url == f"{dashboard_url}/{href}", page.url
        assert "suite=" in href and "scorer=" in href
        _open(fresh, page.url, lambda p: p.get_by_text(f"Example {example}"))
        assert fresh.locator("h1").first.inner_text() == "Explore"
        assert fresh.url == page.url, fresh.url
        assert fresh.locator("[data-testid=stException]").count() == 0
    finally:
        page.close()
        fresh.close()
