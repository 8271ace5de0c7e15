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
_GROW = "evtext-upto"  # ...-upto<px>-...: a box as tall as its text, up to <px>, then it scrolls
GROW_HEIGHTS = (320,)  # the caps a growing box may have (one CSS rule each; add one here to use it)

# The code font; for growing boxes their cap; and a "more below" cue on any box that scrolls: a shade along
# the bottom edge and a "scroll for more" tag pinned to it, driven by the box's scroll position (the box's
# animation-timeline is scroll(self), its ::after tag's scroll(nearest)), so they exist only while the text
# is cut and fade out at its end. A box that does not scroll has an inactive timeline and shows neither; a
# browser without scroll timelines runs the zero-length animation to its end state, also neither. Plain
# CSS: no script, nothing for a model's text to reach.
_STYLE = ("<style>"
          "[class*='st-key-" + _PREFIX + "'] [data-testid='stText'] span "
          "{font-family: 'Source Code Pro', monospace; font-size: 0.875rem; line-height: 1.5;}"
          + "".join(f"[class*='st-key-{_GROW}{h}-'] {{max-height: {h}px; overflow-y: auto;}}"
                    for h in GROW_HEIGHTS)
          + "@keyframes evtext-more {from, 97% {box-shadow: inset 0 -18px 12px -12px rgba(120, 120, 120, 0.45);}"
          " to {box-shadow: none;}}"
          "@keyframes evtext-tag {from, 97% {opacity: 1;} to {opacity: 0;}}"
          "[class*='st-key-" + _PREFIX + "'] {animation: evtext-more linear both; animation-timeline: scroll(self);}"
          "[class*='st-key-" + _PREFIX + "']::after {content: 'scroll for more \\2193'; position: sticky;"
          " bottom: 0; align-self: flex-end; margin-top: -1.5rem; padding: 0 0.4rem; font-size: 0.75rem;"
          " border-radius: 0.25rem; background: rgba(236, 236, 238, 0.97); color: #31333f; pointer-events: none;"
          " opacity: 0; animation: evtext-tag linear both; animation-timeline: scroll(nearest);}"
          "</style>")


def show(container: Any, body: str | None, *, key: str, height: int = 180, empty: str = "(empty)",
         grow: bool = False) -> None:
    """`body` as text in a box that scrolls past `height`; `key` is any string unique on the page (hashed into
    a CSS-safe name). `grow`: the box is only as tall as its text, up to `height` (one of GROW_HEIGHTS), so
    a short output wastes no space and a long one shows more before it scrolls; fixed boxes keep a page's
    buttons where the keyboard expects them (Label)."""
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]
    if grow:
        if height not in GROW_HEIGHTS:
            raise ValueError(f"text_out.show: a growing box's height must be one of {GROW_HEIGHTS}, not {height}")
        box = container.container(border=True, key=f"{_GROW}{height}-{digest}")
    else:
        box = container.container(height=height, border=True, key=_PREFIX + digest)
    box.text(clean_text(body) if body else empty, width="stretch")


def style() -> None:
    """Once per page run, before the first `show`: the boxes' font, caps and scroll cue (a style element, no
    script)."""
    st.html(_STYLE)
