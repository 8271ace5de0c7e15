"""The viewer's journey in a real browser (Playwright on Debian's Chromium, `streamlit run` as a subprocess):
open the demo -> Overview's pick -> Compare head-to-head -> click into a failing edge case in Explore ->
Trends; and a hostile model output rendered inert. Screenshots at 1,280 and 1,024 px go to
tests/dashboard/artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard_testing import StreamlitServer, browser, demo_workspace, wait_idle  # noqa: F401 (fixtures)
from evalcore import analysis, explore
from evalcore.demo import SYNTHETIC_NOTICE
from evalcore.demo_build import DEMO_SUITE

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TIMEOUT_MS = 30_000
EDGE_TAGS = ("adversarial", "malformed", "ambiguous", "multilingual", "long", "empty")



@pytest.fixture(scope="module")
def demo_url(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with StreamlitServer(demo_workspace, tmp_path_factory.mktemp("st") / "streamlit.log") as srv:
        yield srv.url


def _shot(page, name: str) -> None:
    """The whole page: Streamlit scrolls an inner container, so grow the viewport to its content first."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    width = page.viewport_size["width"]
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": width, "height": max(900, int(height) + 40)})
    page.wait_for_timeout(400)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"))
    page.set_viewport_size({"width": width, "height": 900})


def _choose(page, label: str, option: str) -> None:
    """Open a select box the way a person does and click the option (again if a rerun closed the list)."""
    box = page.locator("[data-testid=stSelectbox]").filter(has_text=label).first
    for attempt in range(3):
        wait_idle(page)
        box.click()
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=5_000)
            break
        except Exception:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
    wait_idle(page)


def _plot_height(page, title: str) -> float:
    """The height in px of the plot (the frame inside the axes) of the Vega chart titled `title`."""
    return page.evaluate("""t => { const svg = [...document.querySelectorAll('.vega-embed svg')].find(
        s => (s.querySelector('g.role-title text') || {}).textContent === t);
        return svg.querySelector('g.role-frame path.background').getBoundingClientRect().height; }""", title)


def _no_exception(page) -> None:
    assert page.locator("[data-testid=stException]").count() == 0, page.inner_text("body")[:2000]


@pytest.mark.parametrize("width", [1280, 1024])
def test_viewer_journey_from_the_pick_to_a_failing_edge_case_and_the_trends(browser, demo_url: str,
                                                                            demo_workspace: Path, width: int) -> None:
    winner = analysis.recommendation(demo_workspace, DEMO_SUITE).headline.split(":")[0]  # the card's first words
    h2h = explore.head_to_head(explore.example_table(demo_workspace, DEMO_SUITE), "aurora-1.5", "aurora-2")
    page = browser.new_page(viewport={"width": width, "height": 900})
    chart_errors: list[str] = []  # Vega reports a spec it cannot draw on the console and draws an empty chart
    page.on("console", lambda m: chart_errors.append(m.text) if m.type == "error" and "ERROR" in m.text else None)
    try:
        # 1. The demo opens on Overview with its pick.
        page.goto(demo_url, wait_until="domcontentloaded")
        page.get_by_text("Leaderboard: line_items_f1 on").wait_for(timeout=TIMEOUT_MS)
        wait_idle(page)
        pick = page.locator("[data-testid=stAlertContainer]").filter(has_text=winner).first
        pick.wait_for(timeout=TIMEOUT_MS)
        assert SYNTHETIC_NOTICE in page.inner_text("body")
        _no_exception(page)
        _shot(page, "1-overview")

        # 2. Compare: the head-to-head of the newest aurora and the release before it (the demo's regression:
        # where they differ most are the adversarial invoices whose injected instructions aurora-2 obeys).
        page.locator("[data-testid=stSidebarNav] a").filter(has_text="Compare").click()
        page.get_by_text("Head-to-head").wait_for(timeout=TIMEOUT_MS)
        wait_idle(page)
        _choose(page, "Candidate A", "aurora-1.5")
        _choose(page, "Candidate B", "aurora-2")
        page.get_by_text("aurora-2 better").wait_for(timeout=TIMEOUT_MS)
        body = page.inner_text("body")
        assert re.search(rf"aurora-1.5 better\s+{h2h.wins}\b", body), body[-3000:]
        assert re.search(rf"aurora-2 better\s+{h2h.losses}\b", body)
        # the quality-vs-cost plot keeps room for its points and their spaced labels under its legend (it was 171 px)
        assert _plot_height(page, "Quality against cost") >= 220
        _no_exception(page)
        _shot(page, "2-compare")

        # 3. Click into a failing edge case: the first listed example carrying an edge-case tag.
        links = page.locator("[data-testid=stPageLink] a")
        edge = next(i for i in range(links.count()) if any(t in links.nth(i).inner_text() for t in EDGE_TAGS))
        link = links.nth(edge)
        example_id = link.inner_text().split(":")[0].strip()
        link.click()
        page.get_by_text(f"Example {example_id}").wait_for(timeout=TIMEOUT_MS)
        wait_idle(page)
        assert f"example={example_id}" in page.url  # defaults (the only suite, its primary scorer) stay out
        detail = explore.example_detail(demo_workspace, DEMO_SUITE, example_id)
        assert set(detail["tags"]) & set(EDGE_TAGS)
        body = page.inner_text("body")
        assert "Every candidate's output" in body and "cirrus-pro-2" in body
        _no_exception(page)
        _shot(page, "3-explore")

        # A deep link survives a reload.
        page.reload(wait_until="domcontentloaded")
        page.get_by_text(f"Example {example_id}").wait_for(timeout=TIMEOUT_MS)

        # 4. Trends: the family lines and the public rank against the task's.
        page.locator("[data-testid=stSidebarNav] a").filter(has_text="Trends").click()
        page.get_by_text("significant on your data").first.wait_for(timeout=TIMEOUT_MS)
        page.locator("[data-testid=stVegaLiteChart] svg, [data-testid=stVegaLiteChart] canvas").first.wait_for(
            timeout=TIMEOUT_MS)
        wait_idle(page)
        # each of the demo's 10 ranks keeps room for its 11 px names on both sides (they had 17 px)
        page.get_by_text("IFEval rank against your task").first.wait_for(timeout=TIMEOUT_MS)
        assert _plot_height(page, "IFEval rank against your task's rank") >= 10 * 22
        _no_exception(page)
        _shot(page, "4-trends")

        # ... and over run dates: the demo's runs are seconds apart, labelled by time with the day in the title.
        page.locator("[data-testid=stButtonGroup] button").filter(has_text="run date").first.click()
        page.wait_for_url("**over=run+date**", timeout=TIMEOUT_MS)
        wait_idle(page)
        page.locator("[data-testid=stVegaLiteChart] svg, [data-testid=stVegaLiteChart] canvas").first.wait_for(
            timeout=TIMEOUT_MS)
        page.wait_for_timeout(500)
        _no_exception(page)
        assert not chart_errors, chart_errors
        _shot(page, "4-trends-run-date")
    finally:
        page.close()


@pytest.fixture(scope="module")
def hostile_url(_server_process, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from suite_factory import make_suite

    from evalcore.runner import run_suite

    tmp = tmp_path_factory.mktemp("hostile")
    hostile = ("[[reply:<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\"> "
               "**bold** <b>b</b> $x^2$ \x1b[31mred \u202eevil\u202c]]")
    long = "[[reply:" + " ".join(f"word{i}" for i in range(400)) + "]]"  # e002: an output longer than its box
    run_suite(make_suite(tmp, _server_process.base_url, [hostile, "plain", long], candidates=2), tmp / "ws")
    with StreamlitServer(tmp / "ws", tmp / "streamlit.log") as srv:
        yield srv.url


def _open_example(page, url: str, example: str) -> None:
    """Explore at one example, every outcome shown, settled."""
    page.goto(f"{url}/explore?example={example}&outcome=all", wait_until="domcontentloaded")
    page.get_by_text(f"Example {example}").wait_for(timeout=TIMEOUT_MS)
    wait_idle(page)
    page.wait_for_timeout(500)


def test_hostile_output_is_rendered_inert(browser, hostile_url: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        _open_example(page, hostile_url, "e000")
        assert page.evaluate("() => window.__pwned") is None  # neither the script nor the onerror ran
        assert page.locator("img[src=x]").count() == 0
        assert page.locator("[data-testid=stMain] b").filter(has_text="b").count() == 0
        shown = page.locator("[data-testid=stText]").filter(has_text="<script>").first
        assert "<img src=x onerror=" in shown.inner_text() and "**bold**" in shown.inner_text()
        assert "\\u001b[31mred \\u202eevil\\u202c" in shown.inner_text()  # the codes are seen, not obeyed
        _no_exception(page)
        _shot(page, "hostile-explore")
    finally:
        page.close()


_CUES = """() => [...document.querySelectorAll("[class*='st-key-evtext-']")].map(b => ({
    cut: b.scrollHeight > b.clientHeight + 1, height: b.clientHeight,
    tag: getComputedStyle(b, '::after').content.includes('scroll for more')
        ? Number(getComputedStyle(b, '::after').opacity) : 0,
    shade: getComputedStyle(b).boxShadow.includes('rgba(120, 120, 120')}))"""  # at its end: a transparent shadow


def test_a_cut_output_says_there_is_more_and_a_whole_one_does_not(browser, hostile_url: str) -> None:
    """Text boxes scroll past their height; a box that does shows a shade and "scroll for more" until its end
    (CSS scroll timelines, no script), a box whose text fits shows neither and is only as tall as its text."""
    page = browser.new_page(viewport={"width": 1024, "height": 900})
    try:
        _open_example(page, hostile_url, "e002")
        boxes = page.evaluate(_CUES)
        cut = [b for b in boxes if b["cut"]]
        assert cut and all(b["tag"] == 1 and b["shade"] for b in cut), boxes
        _shot(page, "long-output-explore")
        page.evaluate("() => { for (const b of document.querySelectorAll(\"[class*='st-key-evtext-']\"))"
                      " b.scrollTop = b.scrollHeight; }")
        page.wait_for_timeout(300)
        ended = page.evaluate(_CUES)
        assert not any(b["tag"] or b["shade"] for b in ended), ended  # read to the end: the cue goes
        _open_example(page, hostile_url, "e001")
        whole = page.evaluate(_CUES)
        assert whole and not any(b["cut"] or b["tag"] or b["shade"] for b in whole), whole
        assert max(b["height"] for b in whole) < 120, whole  # "plain": a line, not a 320 px box
    finally:
        page.close()
