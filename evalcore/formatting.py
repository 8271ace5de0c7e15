"""How every number reads, the same in the CLI, the dashboard and reports.

One module so that a pass rate never reads "0.942" in one place and "94.23%" in another. Every function takes
None (or NaN) and returns "-" for it, so callers need not guard. Pure functions, no I/O, no Streamlit.

- scores: 3 decimals ("0.942"); differences signed ("+0.012", "-0.034"), never "-0.000";
- rates: whole percent ("94%"), one decimal only where rounding would say 0% or 100% of something that is not;
- money: per 1,000 examples with 3 significant digits ("$1.27 per 1,000 examples"), unknown prices say so;
- latency: "850 ms", "1.2 s", "14 s";
- words: "1 other", "2 others"; "a, b and c"; lists in CSV cells as "a; b";
- text from files and models: `visible`, the characters that could hide or reorder what is shown as escapes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

MISSING = "-"

# Control characters (except tab and newline), bidi marks, overrides and isolates, lone surrogates: shown as \uXXXX.
# ESC starts every terminal escape and CR overwrites a line; the bidi characters reorder the text around them (a
# reviewer would read another answer than the model gave); a lone surrogate cannot be encoded to send or store.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def visible(text: Any) -> str:
    """Text with the characters that could hide or reorder what is shown (or that SVG cannot hold) replaced by
    visible escapes (ESC reads `\\u001b`), which no terminal or browser acts on. Idempotent: the escapes are ASCII.
    Joiners stay (scripts and emoji need them)."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", str(text))


def _num(x: Any) -> float | None:
    """A finite float, or None for None/NaN/inf/non-numbers."""
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def score(x: Any, digits: int = 3) -> str:
    """A score or mean in [0, 1] (or a 1-5 rating): "0.942"."""
    v = _num(x)
    if v is None:
        return MISSING
    text = f"{v:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def diff(x: Any, digits: int = 3) -> str:
    """A signed difference: "+0.012", "-0.034", and "0.000" when it rounds to nothing (never "-0.000")."""
    v = _num(x)
    if v is None:
        return MISSING
    text = f"{abs(v):.{digits}f}"
    if float(text) == 0:
        return text
    return ("+" if v > 0 else "-") + text


def interval(low: Any, high: Any, digits: int = 3) -> str:
    """"[0.861, 0.972]"; a signed interval of differences uses `diff_interval`."""
    if _num(low) is None or _num(high) is None:
        return MISSING
    return f"[{score(low, digits)}, {score(high, digits)}]"


def diff_interval(low: Any, high: Any, digits: int = 3) -> str:
    """"[-0.041, +0.012]" for an interval of differences."""
    if _num(low) is None or _num(high) is None:
        return MISSING
    return f"[{diff(low, digits)}, {diff(high, digits)}]"


def pct(x: Any) -> str:
    """A rate in [0, 1] as a percentage: "94%"; "0.4%" / "99.6%" where whole percents would say 0% or 100%."""
    v = _num(x)
    if v is None:
        return MISSING
    p = v * 100
    whole = round(p)
    if (whole == 0 and p != 0) or (whole == 100 and p != 100) or (whole == -100 and p != -100):
        text = f"{p:.1f}"
        if float(text) in (0.0, 100.0, -100.0) and p not in (0.0, 100.0, -100.0):
            return ("<0.1%" if 0 < p < 50 else ">99.9%") if p > 0 else f"{p:.2f}%"
        return f"{text}%"
    return f"{whole:.0f}%"


def pct_points(x: Any) -> str:
    """A difference of two rates in percentage points: "+12 pts", "-3 pts"."""
    v = _num(x)
    if v is None:
        return MISSING
    p = round(v * 100)
    if p == 0:
        return "0 pts"
    return f"{'+' if p > 0 else '-'}{abs(p):.0f} pts"


def money(usd: Any) -> str:
    """Dollars with 3 significant digits below $100, never scientific notation: "$0.0000283", "$0.00127",
    "$1.27", "$1,234"."""
    v = _num(usd)
    if v is None:
        return MISSING
    if v == 0:
        return "$0"
    a = abs(v)
    sign = "-" if v < 0 else ""
    if a >= 100:
        return f"{sign}${a:,.0f}"
    decimals = max(2, 2 - math.floor(math.log10(a)))
    return f"{sign}${a:,.{decimals}f}"


def cost_per_1k(cost_per_example: Any) -> str:
    """Money per 1,000 examples, the unit people budget in: "$1.27 per 1,000 examples"; "unknown price"."""
    v = _num(cost_per_example)
    if v is None:
        return "unknown price"
    return f"{money(v * 1000)} per 1,000 examples"


def latency(ms: Any) -> str:
    """"850 ms", "1.2 s", "14 s", "3.5 min"."""
    v = _num(ms)
    if v is None:
        return MISSING
    if v < 1000:
        return f"{v:.0f} ms"
    s = v / 1000
    if s < 10:
        return f"{s:.1f} s"
    if s < 120:
        return f"{s:.0f} s"
    return f"{s / 60:.1f} min"


def p_value(p: Any) -> str:
    """"p = 0.003", "p < 0.001", "p = 0.25"."""
    v = _num(p)
    if v is None:
        return MISSING
    if v < 0.001:
        return "p < 0.001"
    if v < 0.01:  # two significant digits, so "p = 0.0045" can be checked against a threshold like 0.0056
        return f"p = {v:.2g}"
    return f"p = {v:.3f}" if v < 0.1 else f"p = {v:.2f}"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """"1 other", "2 others", "0 examples"."""
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"


def names(items: Sequence[str], limit: int = 3) -> str:
    """"a", "a and b", "a, b and c", "a, b, c and 2 others"; never "and 1 other": naming it takes no more room."""
    items = list(items)
    if not items:
        return ""
    if len(items) <= limit + 1:
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
    return ", ".join(items[:limit]) + " and " + count(len(items) - limit, "other")


def tied(items: Sequence[str]) -> str:
    """The candidates tied at a score, the first one named: "a", "a and b", "a + 2 others". Two are both named:
    "a + 1 other" took as much room as the name and hid it."""
    items = list(items)
    if len(items) <= 2:
        return " and ".join(items)
    return f"{items[0]} + {count(len(items) - 1, 'other')}"


STEADY_LIMIT = 4
"""How many names a "What changed" list shows before "and N others", on every page and in the report."""


def steady_names(items: Sequence[str]) -> str:
    """The candidates of a "No significant move" / "New" list, truncated by one rule everywhere."""
    return names(items, limit=STEADY_LIMIT)


def level(confidence: Any) -> str:
    """A confidence level as people read it: "95%", "98.9%", "90%"."""
    v = _num(confidence)
    return MISSING if v is None else f"{v * 100:.3g}%"


def ci_words(low: Any, high: Any, confidence: Any = 0.95, digits: int = 3) -> str:
    """An interval of differences in words, its level stated: "95% CI -0.017 to +0.007"."""
    if _num(low) is None or _num(high) is None:
        return MISSING
    return f"{level(confidence)} CI {diff(low, digits)} to {diff(high, digits)}"


def pct_points_between(a: Any, b: Any) -> str:
    """a - b in points as the two rates read when shown: 92% and 85% give "+7 pts", never the "+8" of the
    unrounded 92.3 - 84.6. Falls back to the unrounded difference where `pct` shows decimals (under 1%)."""
    x, y = _num(a), _num(b)
    if x is None or y is None:
        return MISSING
    shown = [pct(v) for v in (x, y)]
    if all(s.endswith("%") and s[:-1].lstrip("-").isdigit() for s in shown):
        return pct_points((int(shown[0][:-1]) - int(shown[1][:-1])) / 100)
    return pct_points(x - y)


def csv_list(items: Iterable[Any] | None) -> str:
    """A list in one CSV cell: "a; b" (JSON output keeps arrays)."""
    if items is None:
        return ""
    return "; ".join(str(i) for i in items)


# OWASP "CSV injection": a text cell starting with one of these is run as a formula by Excel, Sheets and Calc
# (`=HYPERLINK(...)`, `=cmd|...`, `+1`, `-1+1`, `@SUM(1)`; tab and carriage return also start one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as text instead of running: a string starting with `=`, `+`, `-`,
    `@`, tab or carriage return gets a leading `'`. Anything that is not a string (numbers, None) is returned
    unchanged, so a negative number in a numeric column stays a number."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unspreadsheet_cell(value: Any) -> Any:
    """Undo `spreadsheet_cell` when reading back a CSV file evalcore wrote: one leading `'` followed by a
    formula character is dropped (`'=x` -> `=x`); any other text is returned unchanged."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1] in FORMULA_STARTS:
        return value[1:]
    return value


def ratio_phrase(other: Any, base: Any, *, what: str = "cost") -> str:
    """`other` against `base` in words: "1/9 the cost", "30% less cost", "2.0x the cost", "the same cost"."""
    o, b = _num(other), _num(base)
    if o is None or b is None:
        return f"unknown {what}"
    if b == 0:
        return f"the same {what}" if o == 0 else f"more {what}"
    r = o / b
    if r == 0:
        return f"no {what}"
    if r <= 0.5:
        return f"1/{round(1 / r)} the {what}"
    if r < 0.995:
        return f"{1 - r:.0%} less {what}"
    if r <= 1.005:
        return f"the same {what}"
    return f"{r:.1f}x the {what}" if r < 10 else f"{r:.0f}x the {what}"


def speed_phrase(other_ms: Any, base_ms: Any) -> str:
    """"55% faster", "20% slower", "as fast"."""
    o, b = _num(other_ms), _num(base_ms)
    if o is None or b is None or b == 0:
        return "unknown speed"
    r = o / b
    if r < 0.995:
        return f"{1 - r:.0%} faster"
    if r <= 1.005:
        return "as fast"
    return f"{r - 1:.0%} slower"


def whole(n: Any) -> str:
    """A whole number with thousands separators: "52", "1,507"."""
    v = _num(n)
    return MISSING if v is None else f"{round(v):,}"


def size(n_bytes: Any) -> str:
    """A file size: "812 bytes", "41 KB", "1.2 MB" (1 KB = 1,000 bytes, as file managers show them)."""
    v = _num(n_bytes)
    if v is None:
        return MISSING
    if v < 1000:
        return f"{v:.0f} bytes"
    for unit, scale in (("KB", 1e3), ("MB", 1e6), ("GB", 1e9)):
        x = v / scale
        if x < 999.5 or unit == "GB":
            return f"{x:.1f} {unit}" if x < 9.95 else f"{x:.0f} {unit}"
    return MISSING  # unreachable: the loop returns at GB
