"""Drive the Label page by keyboard in a real browser: shared by the browser test and bench/bench_label.py.

`streamlit_server` starts the dashboard with `dashboard_testing.start_dashboard` (always stopped);
`open_label_page` enters the reviewer's name with the keyboard; `answer` presses a rating and yes/no and
waits until the next item is on screen, returning how long that took.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dashboard_testing import CHROMIUM, CHROMIUM_ARGS, start_dashboard, stop

TIMEOUT_MS = 30_000
ITEM = re.compile(r"Item (\d+) of (\d+) · ref (\w+)")

# The caption naming the item on screen; its text changes exactly when the next item is shown.
_CAPTION_JS = """() => {
    for (const el of document.querySelectorAll('[data-testid=stCaptionContainer]')) {
        const t = el.innerText;
        if (t.startsWith('Item ')) return t;
    }
    return '';
}"""


@contextmanager
def streamlit_server(workspace: Path, log_path: Path) -> Iterator[str]:
    """The dashboard on a free 127.0.0.1 port showing `workspace` (local single-user mode: the editor pages,
    Label among them, are open); yields its URL once healthy, always stops it."""
    proc, url = start_dashboard(workspace, log_path)
    try:
        yield url
    finally:
        stop(proc)


def launch(pw: Any) -> Any:
    return pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def current_item(page: Any) -> tuple[int, int, str] | None:
    m = ITEM.search(page.evaluate(_CAPTION_JS))
    return (int(m.group(1)), int(m.group(2)), m.group(3)) if m else None


def wait_idle(page: Any) -> None:
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=stSkeleton], [data-testid=stStatusWidgetRunningIcon]')",
        timeout=TIMEOUT_MS)


def open_label_page(page: Any, url: str, reviewer: str) -> tuple[int, int, str]:
    """Open the Label page and give the reviewer's name by keyboard alone (Tab to the field, type, Enter)."""
    page.goto(f"{url}/label", wait_until="domcontentloaded")
    field = page.get_by_label(re.compile("Your name or e-mail"))
    field.wait_for(timeout=TIMEOUT_MS)
    for _ in range(40):
        if page.evaluate("() => document.activeElement && document.activeElement.tagName") == "INPUT":
            break
        page.keyboard.press("Tab")
    else:
        raise AssertionError("Tab never reached the name field")
    page.keyboard.type(reviewer)
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => ({_CAPTION_JS})().startsWith('Item ')", timeout=TIMEOUT_MS)
    wait_idle(page)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")  # out of any text field
    item = current_item(page)
    assert item is not None
    return item


def press_and_wait_for_next(page: Any, key: str, ref: str) -> float:
    """Press `key` and wait until an item other than `ref` is on screen; seconds from the press."""
    t0 = time.perf_counter()
    page.keyboard.press(key)
    page.wait_for_function(f"() => !({_CAPTION_JS})().includes('ref {ref}')", timeout=TIMEOUT_MS, polling="raf")
    return time.perf_counter() - t0


def wait_rated(page: Any, rating: int) -> None:
    """Wait until the rating button `rating` is drawn as chosen (found by its widget key: its label is a word)."""
    page.wait_for_function(
        "(r) => !!document.querySelector(`.st-key-lab_rate_${r} [data-testid=stBaseButton-primary]`)",
        arg=rating, timeout=TIMEOUT_MS, polling="raf")


def answer(page: Any, rating: int, ok: bool) -> tuple[str, float]:
    """Rate the item on screen and answer yes/no; returns (its ref, seconds from the second key to the next
    item). The rating key's own rerun is waited for first, so the two keys cannot race."""
    item = current_item(page)
    assert item is not None
    ref = item[2]
    page.keyboard.press(str(rating))
    wait_rated(page, rating)
    return ref, press_and_wait_for_next(page, "y" if ok else "n", ref)
