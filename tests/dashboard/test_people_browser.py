"""People's verdict in a real browser (Playwright on Debian's Chromium, `streamlit run` as a subprocess): on a
labeled copy of the demo, Overview's card names the library's pick and says why people rule the scores' pick out,
and Trends draws the people's series beside the automatic one. Screenshots go to tests/dashboard/artifacts/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from people_labels import disputed_labels, write_csv

from dashboard_testing import StreamlitServer, browser, demo_workspace, wait_idle  # noqa: F401 (fixtures)
from evalcore import analysis, labels
from evalcore.demo_build import DEMO_SUITE

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def labeled(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    tmp = tmp_path_factory.mktemp("people-browser")
    ws = tmp / "ws"
    shutil.copytree(demo_workspace, ws)
    margin, auto, rows = disputed_labels(ws)
    labels.import_labels(ws, DEMO_SUITE, write_csv(tmp / "ratings.csv", rows))
    with StreamlitServer(ws, tmp / "streamlit.log") as srv:
        yield {"url": srv.url, "ws": ws, "margin": margin, "auto": auto}


def _shot(page, name: str) -> None:
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    width = page.viewport_size["width"]
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": width, "height": max(900, int(height) + 40)})
    page.wait_for_timeout(400)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"))
    page.set_viewport_size({"width": width, "height": 900})


@pytest.mark.parametrize("width", [1280, 1024])
def test_people_verdict_on_overview_and_trends(browser, labeled: dict, width: int) -> None:
    rec = analysis.recommendation(labeled["ws"], DEMO_SUITE, margin=labeled["margin"])
    auto = labeled["auto"]
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto(f"{labeled['url']}/?margin={labeled['margin']}", wait_until="domcontentloaded")
        card = page.locator("[data-testid=stAlertContainer]").filter(has_text=f"Not {auto.pick}: people rated")
        card.first.wait_for(timeout=TIMEOUT_MS)
        wait_idle(page)
        assert rec.headline.split(".")[0] in card.first.inner_text()
        page.get_by_text("The evidence").click()
        page.locator("[data-testid=stExpander] [data-testid=stDataFrame] canvas").first.wait_for(timeout=TIMEOUT_MS)
        wait_idle(page)
        assert page.locator("[data-testid=stException]").count() == 0
        _shot(page, "people-1-overview")

        page.locator("[data-testid=stSidebarNav] a").filter(has_text="Trends").click()
        page.get_by_text("What people said, per family").wait_for(timeout=TIMEOUT_MS)
        page.get_by_text("n is the number of labeled examples behind each point").wait_for(timeout=TIMEOUT_MS)
        charts = page.locator("[data-testid=stVegaLiteChart]")
        charts.nth(2).locator("svg, canvas").first.wait_for(timeout=TIMEOUT_MS)  # score trend, people, ranks
        wait_idle(page)
        assert page.locator("[data-testid=stException]").count() == 0
        _shot(page, "people-2-trends")
    finally:
        page.close()
