"""The one way a page shows a model's text (an output, an input, a reference): `show(container, body, key=...)`.

Verbatim (`st.text` never interprets markdown, HTML or scripts), with control and bidi-override characters
written as escapes (`evalcore.explore.clean_text`: an ANSI colour code reads `\\u001b[31m`, a right-to-left
override cannot reverse what the reviewer reads), in the code font, wrapped, in a bordered box that scrolls past
`height`. Not `st.code`: its element pulls Streamlit's syntax highlighter, 1.5 MB of JavaScript
the browser downloads and compiles before the page settles (0.4 s of Explore's first render at 1M results, measured
side by side in bench); plain text needs none of it. Diffs and JSON details still use `st.code`, behind an
expander that renders only when opened.
"""

from __future__ import annotations

import hashlib
from typing import Any

import streamlit as st

from evalcore.explore import clean_text

_PREFIX = "evtext-"  # containers keyed so get the class st-key-evtext-..., which the style below targets
_STYLE = ("<style>[class*='st-key-" + _PREFIX + "'] [data-testid='stText'] span "
          "{font-family: 'Source Code Pro', monospace; font-size: 0.875rem; line-height: 1.5;}</style>")


def show(container: Any, body: str | None, *, key: str, height: int = 180, empty: str = "(empty)") -> None:
    """`body` as text in a scrolling box; `key` is any string unique on the page (hashed into a CSS-safe name)."""
    box = container.container(height=height, border=True,
                              key=_PREFIX + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16])
    box.text(clean_text(body) if body else empty, width="stretch")


def style() -> None:
    """Once per page run, before the first `show`: the code font for the boxes (a style element, no script)."""
    st.html(_STYLE)
