"""The Label page in a real browser, by keyboard only: 20 items labeled, then exactly those 20 answers in the store.

Leaves screenshots in tests/dashboard/artifacts/label-*.png (git-ignored) for a person to look at.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from dashboard_testing import demo_workspace  # noqa: F401 (a fixture)
from evalcore import labels
from evalcore.demo_build import DEMO_SUITE
from evalcore.queries import Queries
from label_driver import CHROMIUM, TIMEOUT_MS, answer, current_item, launch, open_label_page, streamlit_server, wait_rated

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def _screenshot(page, name: str) -> None:
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": page.viewport_size["width"], "height": max(900, int(height) + 40)})
    page.wait_for_timeout(300)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))
    page.set_viewport_size({"width": page.viewport_size["width"], "height": 900})


def test_twenty_items_by_keyboard_only_land_in_the_store(demo_workspace: Path, tmp_path: Path) -> None:  # noqa: F811
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium to run browser tests")
    from playwright.sync_api import sync_playwright

    ws = tmp_path / "ws"
    shutil.copytree(demo_workspace, ws)
    given: dict[str, tuple[int, bool]] = {}
    with streamlit_server(ws, tmp_path / "streamlit.log") as url, sync_playwright() as pw:
        browser = launch(pw)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            first = open_label_page(page, url, "keyboard-ann")
            assert first[0] == 1
            body = page.inner_text("body")
            assert "**" not in body and "Backspace" in body  # the cheat-sheet, rendered
            _screenshot(page, "label-first.png")
            page.set_viewport_size({"width": 1024, "height": 900})  # a laptop: every button still says what it does
            page.wait_for_timeout(500)
            clipped = page.evaluate("() => [...document.querySelectorAll('[data-testid=stButton] .stMarkdownEllipsis')]"
                                    ".filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)")
            assert clipped == [], f"button labels cut at 1,024 px: {clipped}"  # "Back" beside "Backspace" read "B"
            _screenshot(page, "label-1024.png")
            page.set_viewport_size({"width": 1280, "height": 900})
            for k in range(20):
                rating, ok = 1 + (k * 3) % 5, k % 3 != 0
                if k == 5:  # a change of mind before the second answer: the latest rating counts
                    page.keyboard.press("2")
                    wait_rated(page, 2)
                try:
                    ref, _ = answer(page, rating, ok)
                except Exception:
                    _screenshot(page, "label-failed.png")
                    raise AssertionError(f"item {k + 1}: the page did not move on; see artifacts/label-failed.png")
                assert ref not in given
                given[ref] = (rating, ok)
                if k == 9:
                    page.keyboard.press("Backspace")  # back to item 10: it shows the stored answer, then Enter
                    page.wait_for_function(
                        f"() => document.body.innerText.includes('ref {ref}')", timeout=TIMEOUT_MS)
                    _screenshot(page, "label-back.png")
                    page.keyboard.press("Enter")
                    page.wait_for_function(
                        f"() => !document.body.innerText.includes('ref {ref}')", timeout=TIMEOUT_MS)
            assert current_item(page)[0] == 21
            total = labels.rating_queue(Queries(ws), DEMO_SUITE, "someone-new")["total"]
            assert f"20 of {total} answered" in page.inner_text("body")
            assert page.locator("[data-testid=stException]").count() == 0
            _screenshot(page, "label-after-20.png")
        finally:
            browser.close()
    got = labels.answers(Queries(ws), DEMO_SUITE)
    assert len(got) == 20
    assert {a["reviewer"] for a in got} == {"keyboard-ann"}
    stored = {a["output_hash"][:8]: (a["rating"], a["ok"]) for a in got}
    assert stored == given


def test_enter_in_the_note_saves_it_and_hands_the_keyboard_back(demo_workspace: Path,  # noqa: F811
                                                                 tmp_path: Path) -> None:
    """The note kept the keyboard after Enter, so the next shortcut was typed into it ("u" to undo became
    "nosuu", audit in Chromium): Enter now saves the note and hands the keyboard back to the labeler."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium to run browser tests")
    from playwright.sync_api import sync_playwright

    ws = tmp_path / "ws"
    shutil.copytree(demo_workspace, ws)
    with streamlit_server(ws, tmp_path / "streamlit.log") as url, sync_playwright() as pw:
        browser = launch(pw)
        try:
            page = browser.new_page(viewport={"width": 1024, "height": 900})
            open_label_page(page, url, "note-ann")
            note = page.get_by_label("Note (optional; key t, Enter saves)")
            note.click()
            page.keyboard.type("good")
            page.keyboard.press("Enter")
            page.wait_for_function("() => document.activeElement === document.body", timeout=TIMEOUT_MS)
            page.keyboard.press("4")  # a shortcut again: the rating, not a letter of the note
            wait_rated(page, 4)
            for _ in range(50):  # both stored (the reruns that store them may still be on their way)
                got = [(a.get("rating"), a.get("note")) for a in labels.answers(Queries(ws), DEMO_SUITE)]
                if got == [(4, "good")]:
                    break
                page.wait_for_timeout(200)
            assert got == [(4, "good")], got
            typed = page.evaluate("() => [...document.querySelectorAll('input')].map(i => i.value)")
            assert "good4" not in typed, typed
        finally:
            browser.close()


def test_one_key_reaches_the_note_and_a_note_is_written_by_keyboard_alone(demo_workspace: Path,  # noqa: F811
                                                                          tmp_path: Path) -> None:
    """The cheat sheet said "Tab to the note" and it took ten Tabs, through the answer buttons (audit): after a
    rating, one press of `t` puts the keyboard in the note (the `t` not typed into it), Enter saves it."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium to run browser tests")
    from playwright.sync_api import sync_playwright

    ws = tmp_path / "ws"
    shutil.copytree(demo_workspace, ws)
    focused = "() => (document.activeElement.getAttribute('aria-label') || document.activeElement.tagName)"
    with streamlit_server(ws, tmp_path / "streamlit.log") as url, sync_playwright() as pw:
        browser = launch(pw)
        try:
            page = browser.new_page(viewport={"width": 1024, "height": 900})
            open_label_page(page, url, "note-by-key")
            assert "t to the note" in page.inner_text("body")  # the cheat sheet says which key
            page.keyboard.press("3")
            wait_rated(page, 3)
            page.keyboard.press("t")  # the one press the cheat sheet promises
            assert page.evaluate(focused) == "Note (optional; key t, Enter saves)"
            page.keyboard.type("wrong total")
            _screenshot(page, "label-note-key.png")
            page.keyboard.press("Enter")
            page.wait_for_function("() => document.activeElement === document.body", timeout=TIMEOUT_MS)
            for _ in range(50):  # stored by the rerun Enter started
                got = [(a.get("rating"), a.get("note")) for a in labels.answers(Queries(ws), DEMO_SUITE)]
                if got == [(3, "wrong total")]:
                    break
                page.wait_for_timeout(200)
            assert got == [(3, "wrong total")], got
        finally:
            browser.close()
