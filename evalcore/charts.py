"""Altair charts for the dashboard and the static report: pure functions from a DataFrame to a chart, no
Streamlit.

The input is what the dashboard's `data.py` returns (plain DataFrames with the library's column names), so a
chart can be built and checked in a test without a running app, and rendered offline by `evalcore.report`.
"""

from __future__ import annotations

import math
from typing import Any

import altair as alt
import pandas as pd

# The leaderboard columns a chart needs; the rest (lists of names, run ids) stay out of the Vega-Lite spec.
_LEADERBOARD_FIELDS = ["rank", "could_be_best", "candidate", "mean", "low", "high", "n", "cost_per_example_usd",
                       "latency_p50_ms"]
# px per candidate: enough for a label and a point with its interval. A height per row (a Vega-Lite step), not
# a total: a total had to hold the axis and both legends too, and at 2-3 candidates left the rows ~0 px, so they
# were drawn on one line with their labels on top of each other (at 6, every other label was dropped).
_ROW_HEIGHT = 30


def leaderboard_chart(rows: pd.DataFrame, *, score_label: str = "mean score",
                      families: list[str] | None = None) -> alt.LayerChart:
    """Each candidate's mean (point) and 95% interval (bar), best mean at the top, coloured by "could be best".

    `rows` is the leaderboard in order of the estimate (columns as in `evalcore.analysis.leaderboard(...).rows`).
    "Could be best": no paired test found another candidate credibly better. With `families`, colour is the
    family (the same on every page), the point's shape says "could be best" or "credibly worse" and each row
    prints its rank range, so two candidates that the tests tell apart never look alike. The x axis does not
    start at zero, so the intervals, not the distance from zero, carry the comparison.
    """
    missing = [c for c in _LEADERBOARD_FIELDS if c not in rows.columns]
    if missing:
        raise ValueError(f"leaderboard rows lack column(s) {', '.join(missing)}")
    extra = [c for c in ("family", "rank_low", "rank_high") if families is not None and c in rows.columns]
    df = rows[_LEADERBOARD_FIELDS + extra].copy()
    df["best"] = df["could_be_best"].map(lambda b: "could be best" if b is True or b == 1 else "credibly worse")
    df = df.drop(columns=["could_be_best"])
    order = df["candidate"].tolist()
    groups = ["could be best", "credibly worse"]
    if families is not None:
        df["family"] = df["family"].fillna("(no family)") if "family" in df else "(no family)"
        df["rank_label"] = [rank_range(r.get("rank_low"), r.get("rank_high"), r.get("rank"))
                            for r in df.to_dict("records")]
        colour = family_color(families)
    else:
        # A categorical scheme with distinct hues: the theme's default puts groups 1 and 2 in two blues.
        colour = alt.Color("best:N", title=None, scale=alt.Scale(domain=groups, scheme="tableau10"),
                           legend=alt.Legend(orient="top", direction="horizontal"))
    base = alt.Chart(df).encode(
        y=alt.Y("candidate:N", sort=order, title=None, axis=alt.Axis(labelLimit=240)),
        color=colour,
        tooltip=[
            alt.Tooltip("candidate:N", title="candidate"),
            alt.Tooltip("mean:Q", title="mean", format=".3f"),
            alt.Tooltip("low:Q", title="95% low", format=".3f"),
            alt.Tooltip("high:Q", title="95% high", format=".3f"),
            alt.Tooltip("n:Q", title="examples (n)"),
            alt.Tooltip("rank:Q", title="rank"),
            alt.Tooltip("cost_per_example_usd:Q", title="$ per example", format="$.5~g"),
            alt.Tooltip("latency_p50_ms:Q", title="p50 latency (ms)", format=",.0f"),
        ],
    )
    x_title = f"{score_label} with 95% interval"
    interval = base.mark_rule(strokeWidth=3, opacity=0.75).encode(
        x=alt.X("low:Q", title=x_title, scale=alt.Scale(zero=False, nice=True)),
        x2="high:Q",
    )
    point = base.mark_point(filled=True, size=90, opacity=1).encode(x=alt.X("mean:Q", title=x_title))
    height = alt.Step(_ROW_HEIGHT)
    if families is None:
        return alt.layer(interval, point).properties(height=height)
    point = point.encode(shape=alt.Shape("best:N", title=None, scale=alt.Scale(domain=groups,
                                                                                  range=["circle", "cross"]),
                                         legend=alt.Legend(orient="bottom", direction="horizontal")))
    rank = base.mark_text(align="left", dx=8, fontSize=11, color="#444").encode(x="high:Q", text="rank_label:N")
    return alt.layer(interval, point, rank).properties(height=height)


def rank_range(low: object, high: object, rank: object = None) -> str:
    """"rank 1", "rank 2-5": the ranks a candidate could hold given the paired tests."""
    def whole(v: object) -> int | None:
        return None if v is None or pd.isna(v) else int(v)  # type: ignore[arg-type]

    lo, hi, r = whole(low), whole(high), whole(rank)
    if lo is None or hi is None:
        return "" if r is None else f"rank {r}"
    return f"rank {lo}" if lo == hi else f"rank {lo}-{hi}"


# -- shared by every page ------------------------------------------------------------------------------------

_FAMILY_SCHEME = "tableau10"
SVG = {"embedOptions": {"renderer": "svg"}}  # marks become DOM elements: clickable, and testable in a browser


def family_color(families: list[str], *, title: str = "family", legend: bool = True) -> alt.Color:
    """One colour per model family, the same on every page: the domain is the suite's sorted families."""
    return alt.Color("family:N", title=title, scale=alt.Scale(domain=sorted(families), scheme=_FAMILY_SCHEME),
                     legend=alt.Legend(orient="top", direction="horizontal") if legend else None)


def _padded(lo: float, hi: float, pad: float = 0.04) -> list[float]:
    """An axis domain around [lo, hi] that never cuts a mark at 0 or 1: padded beyond the data."""
    span = max(hi - lo, 0.05)
    return [lo - span * pad * 2, hi + span * pad * 2]


# The quality-vs-cost chart carries a legend above its plot (58 px) that the trend chart does not: at the trend
# chart's 380 px its plot was 171 px tall (measured in Chromium at 1,024 px), four close candidates crowded into
# a band a label high. 440 px gives the plot ~230 px, the trend chart's height.
QUALITY_COST_HEIGHT = 440
QUALITY_COST_PLOT = 230
PLOT_WIDTH = 470  # px: the quality and trend charts' plots at 1,024 px (503 and 470 measured); wider screens spread
# the points, so labels spaced for this width never touch there
PADDED = 1.12  # the axes' padding (24-30 px a side) widens the x span by about this much


def cost_placement(rows: pd.DataFrame) -> dict[str, list[str]]:
    """Which candidates the quality-against-cost chart can place, in the rows' order: "charted" (a score and a
    cost above $0), "unpriced" (no known cost: no price in the suite, no cost_usd imported) and "free" ($0, which
    has no place on a log axis). With nothing charted there is no chart to draw: the page says why instead."""
    cost = pd.to_numeric(rows["cost_per_example_usd"], errors="coerce")
    scored = pd.to_numeric(rows["mean"], errors="coerce").notna()
    names = rows["candidate"].astype(str)
    return {"charted": names[scored & (cost > 0)].tolist(), "unpriced": names[cost.isna()].tolist(),
            "free": names[cost == 0].tolist()}


def quality_cost_chart(rows: pd.DataFrame, families: list[str], frontier: list[str], *,
                       score_label: str = "mean score") -> alt.LayerChart:
    """Quality (mean with 95% interval) against cost per 1,000 examples on a log axis; every candidate
    labelled, coloured by family; the Pareto frontier (nothing cheaper is better) drawn as a dashed line.
    Candidates with no known price, or a price of $0, are left off (the page lists them, `cost_placement`).
    Raises ValueError when no candidate can be placed: its axes would span NaN, which the browser rejects."""
    charted = cost_placement(rows)["charted"]
    if not charted:
        raise ValueError("no candidate has a score and a known cost above $0: there is nothing to chart "
                         "(check cost_placement first)")
    df = rows[["candidate", "family", "mean", "low", "high", "cost_per_example_usd", "rank"]].copy()
    df = df[df["candidate"].astype(str).isin(charted)]
    df["family"] = df["family"].fillna("(no family)")
    df["cost_1k"] = df["cost_per_example_usd"].astype(float) * 1000
    df["on_frontier"] = df["candidate"].isin(frontier)
    # an interval may be unknown (one example): the axis then spans the means, never NaN
    low = pd.concat([df["low"], df["mean"]]).astype(float).min()
    high = pd.concat([df["high"], df["mean"]]).astype(float).max()
    y_scale = alt.Scale(domain=_padded(float(low), float(high)), nice=False)
    y = alt.Y("mean:Q", title=f"{score_label} (95% interval)", scale=y_scale)
    # whole decades, as nice=True rounded them, but known here: the labels' spacing is measured on this axis
    costs = df["cost_1k"].astype(float)
    decades = [math.floor(math.log10(costs.min())), math.ceil(math.log10(costs.max()))]
    decades[1] = max(decades[1], decades[0] + 1)
    x = alt.X("cost_1k:Q", title="cost per 1,000 examples (USD, log scale)",
              scale=alt.Scale(type="log", domain=[10.0 ** d for d in decades], nice=False, padding=24),
              axis=alt.Axis(format="$,.3~g"))
    base = alt.Chart(df).encode(x=x, color=family_color(families))
    tooltip = [alt.Tooltip("candidate:N"), alt.Tooltip("mean:Q", format=".3f"),
               alt.Tooltip("low:Q", title="95% low", format=".3f"),
               alt.Tooltip("high:Q", title="95% high", format=".3f"),
               alt.Tooltip("cost_1k:Q", title="$ per 1,000 examples", format="$,.3~g")]
    bars = base.mark_rule(strokeWidth=2, opacity=0.6).encode(
        y=alt.Y("low:Q", title=f"{score_label} (95% interval)", scale=y_scale), y2="high:Q")
    points = base.mark_point(filled=True, size=80).encode(y=y, tooltip=tooltip)
    # candidates at nearly the same cost and score (the demo's four at $1.3-1.8 and 0.84-0.91) had their names
    # drawn over one another; labels are spaced as the trend chart's are, on the log axis the reader sees
    domain = y_scale.domain
    df["label_y"] = label_positions([math.log10(c) for c in df["cost_1k"]],
                                    df["mean"].astype(float).tolist(), float(domain[1] - domain[0]),
                                    gap=13 / QUALITY_COST_PLOT, x_span=(decades[1] - decades[0]) * PADDED,
                                    widths=label_widths(df["candidate"].tolist(), PLOT_WIDTH))
    at = alt.Chart(df).encode(x=x, y=alt.Y("label_y:Q", scale=y_scale), text="candidate:N")
    style = {"align": "left", "baseline": "middle", "dx": 8, "fontSize": 11}
    halo = at.mark_text(**style, stroke="white", strokeWidth=3, strokeOpacity=0.85)  # readable over the bars
    labels = at.mark_text(**style).encode(color=family_color(families, legend=False))
    line_df = df[df["on_frontier"]].sort_values("cost_1k")
    front = alt.Chart(line_df).mark_line(strokeDash=[5, 4], color="#555", opacity=0.7).encode(
        x=x, y=y, order="cost_1k:Q")
    return alt.layer(front, bars, points, halo, labels).properties(
        height=QUALITY_COST_HEIGHT, usermeta=SVG,
        title=alt.Title("Quality against cost", subtitle="dashed: the Pareto frontier (nothing cheaper scores "
                        "higher); bars: 95% intervals"))


HEATMAP_COLUMNS = 14  # candidates across at most: at 1,024 px a column is then ~33 px, room for "0.96" at 11 px
HEATMAP_ROW = 30  # px a row: one 11 px number per cell with room around it
HEATMAP_FRAME = 140  # px of the height that the title and the slanted labels below the cells take (measured)
HEATMAP_FONT = 11  # px of a cell's number: at 10 and 8 (mean over n) the n read as ~6 px at 1,024 px


FAILED_ALL_MIN_N = 3  # 0 of 1 or 2 says little; 18 demo cells were outlined at n >= 1, drowning the 0/5 ones


def _failed_all(df: pd.DataFrame) -> pd.Series:
    """True where pass/fail is known and the candidate passed none of the tag's (at least FAILED_ALL_MIN_N)
    examples: a prompt injection followed every time is worth acting on at n = 5, so these cells are not faded
    with the small ones."""
    rate = pd.to_numeric(df["pass_rate"], errors="coerce") if "pass_rate" in df else pd.Series(float("nan"), df.index)
    return (rate == 0) & (df["n"] >= FAILED_ALL_MIN_N)


def tag_heatmap(cells: pd.DataFrame, order: list[str]) -> alt.LayerChart:
    """Mean per (tag, candidate), candidates in the page's order; the n is in the tag's label (each cell
    repeating it made the cell unreadable). Small tags are faded; a cell where the candidate passed none of the
    tag's examples is outlined, bold and at full strength whatever the n, and keeps its mean: "0/5" in its place
    hid 0.55 of partial credit and read as "every example failed". Colour runs 0 to 1 whatever the data, so a
    cell reads the same on every page."""
    df = cells.copy()
    df["small"] = df["flag"].astype(str).str.len() > 0
    df["failed_all"] = _failed_all(df)
    df["faded"] = df["small"] & ~df["failed_all"]
    n_by_tag = df.groupby("tag")["n"].max()
    df["tag_label"] = df["tag"].map(lambda t: f"{t} (n={n_by_tag[t]}{', small' if n_by_tag[t] < 10 else ''})")
    df["label"] = df["mean"].map(fmt_score)  # "0.55 0/5" did not fit a 33 px cell at 1,024 px
    # white on the dark ends of the scale at full strength (red below 0.2, deep green above 0.85), dark elsewhere
    mean = pd.to_numeric(df["mean"], errors="coerce")
    df["light_text"] = ~df["faded"] & ((mean < 0.2) | (mean > 0.85))
    tag_order = df.drop_duplicates("tag").sort_values("tag")["tag_label"].tolist()
    cand_order = [c for c in order if c in set(df["candidate"])]
    # candidates across, tags down; with many candidates (30: cells 12 px wide, their numbers printed over each
    # other) candidates go down, in the page's order from the top, as the leaderboard lists them
    across = len(cand_order) <= HEATMAP_COLUMNS or len(cand_order) <= len(tag_order)
    cand = {"field": "candidate", "type": "nominal", "sort": cand_order, "title": None}
    tag = {"field": "tag_label", "type": "nominal", "sort": tag_order, "title": None}
    # labelOverlap off: every candidate keeps its label at 30 candidates as at 3 (Vega drops some otherwise)
    slanted = alt.Axis(labelAngle=-45, labelLimit=160, labelOverlap=False, labelFontSize=10)
    side = alt.Axis(labelLimit=240, labelOverlap=False)
    base = alt.Chart(df).encode(
        x=alt.X(**(cand if across else tag), axis=slanted),
        y=alt.Y(**(tag if across else cand), axis=side),
    )
    rect = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color("mean:Q", title="mean", scale=alt.Scale(domain=[0, 1], scheme="redyellowgreen")),
        # 0.6, not 0.55: faded enough to read as "small", light enough that the number on it still reads
        opacity=alt.condition("datum.faded", alt.value(0.6), alt.value(1.0)),
        tooltip=[alt.Tooltip("tag:N"), alt.Tooltip("candidate:N"), alt.Tooltip("mean:Q", format=".3f"),
                 alt.Tooltip("low:Q", title="95% low", format=".3f"),
                 alt.Tooltip("high:Q", title="95% high", format=".3f"), alt.Tooltip("n:Q"), alt.Tooltip("flag:N")])
    # drawn after every cell, so no neighbour's white border covers part of the outline
    outline = base.mark_rect(filled=False, stroke="#111", strokeWidth=2.5).transform_filter("datum.failed_all")
    ink = alt.condition("datum.light_text", alt.value("white"), alt.value("#222"))
    # fontWeight is a mark property, not a channel: the failed-every-example cells get their own bold layer
    text = base.mark_text(fontSize=HEATMAP_FONT).encode(text="label:N", color=ink).transform_filter(
        "!datum.failed_all")
    bold = base.mark_text(fontSize=HEATMAP_FONT, fontWeight="bold").encode(text="label:N", color=ink).transform_filter(
        "datum.failed_all")
    rows = len(tag_order) if across else len(cand_order)
    faded = "rows" if across else "columns"
    return alt.layer(rect, outline, text, bold).properties(
        height=HEATMAP_ROW * rows + HEATMAP_FRAME,
        # one line: the HTML report's SVG allows no <tspan>, which a list of lines would need
        title=alt.Title("Mean per tag", subtitle=f"faded {faded}: under 10 examples, too few to conclude; "
                        "outlined: passed none of them"))


def fmt_score(v: object) -> str:
    from evalcore import formatting

    return formatting.score(v, 2)


def _time_axis(times: pd.Series) -> tuple[str, float, str]:
    """Label format, least tick step (ms) and title for run dates spanning what `times` span: runs minutes or
    seconds apart (a rerun after a fix, the demo) were all labelled with the same "%Y-%m-%d %H:%M". Ticks are at
    least one unit of the format's finest field apart, so no two labels read the same; a day left out of the
    labels is in the title."""
    t = pd.to_datetime(times, utc=True)
    span = (t.max() - t.min()).total_seconds() if len(t) else 0.0
    day = f" on {t.min():%Y-%m-%d}" if len(t) and t.min().date() == t.max().date() else ""
    if span <= 120:
        return "%H:%M:%S", 1_000.0, f"run time{day} (UTC)"
    if span <= 2 * 3600:
        return "%H:%M", 60_000.0, f"run time{day} (UTC)"
    if span <= 3 * 86400:
        return "%m-%d %H:%M", 60_000.0, "run date (UTC)"
    return (*_day_axis(span), "run date (UTC)")


MONTH_MS = 28 * 86_400_000.0  # the shortest month: ticks this far apart fall in different months


def _day_axis(span_s: float) -> tuple[str, float]:
    """Label format and least tick step (ms) for dates days to years apart: over three months or more, months
    ("Oct 2025"), read flat; "2025-10-01, 2025-12-01, ..." had to be slanted and repeated a day nobody released on."""
    if span_s >= 90 * 86400:
        return "%b %Y", MONTH_MS
    return "%Y-%m-%d", 86_400_000.0


LABEL_GAP = 13 / 220  # a label's height (11 px text) over the trend chart's plot, as a share of the y domain: the
# chart is 380 px with its title and axes (Streamlit fits it), so the plot is ~220 px (measured in Chromium)
LABEL_REACH = 0.12  # a label (~70 px) overlaps the labels of points this close on x (share of the x span)


def label_widths(names: list[str], plot_px: float) -> list[float]:
    """Each label's width (11 px text, ~6.5 px a character, 8 px from its point) as a share of a plot `plot_px`
    wide: "claude-3-5-sonnet-20241022" reaches four times as far as "m0"."""
    return [(8 + 6.5 * len(str(name))) / plot_px for name in names]


def label_positions(x: list[float], y: list[float], y_span: float, gap: float = LABEL_GAP,
                    reach: float = LABEL_REACH, *, x_span: float | None = None,
                    widths: list[float] | None = None, points: list[float] | None = None,
                    bounds: tuple[float, float] | None = None) -> list[float]:
    """Where each label goes on y: `label_layout`'s positions."""
    return label_layout(x, y, y_span, gap, reach, x_span=x_span, widths=widths, points=points, bounds=bounds)[0]


def label_layout(x: list[float], y: list[float], y_span: float, gap: float = LABEL_GAP,
                 reach: float = LABEL_REACH, *, x_span: float | None = None,
                 widths: list[float] | None = None, points: list[float] | None = None,
                 bounds: tuple[float, float] | None = None) -> tuple[list[float], list[int]]:
    """Where each label goes on y (it aims at `y`): labels whose points lie within `reach` of the x span of one
    another (a label's width) end up at least `gap` of `y_span` apart, in the vertical order of their `points`
    (default: `y`; ties in the order given, the first on top), each moved as little as that needs, and inside
    `bounds` (the label's centre's range) where the range has room.
    `x_span` is the axis's span in x's units (default: the data's; on an axis padded or rounded beyond the data
    a label's pixels cover more of x); `widths` each label's own reach, as a share of the axis.
    Labels that would cover each other are stacked a `gap` apart and the stack centred on what its labels aim at
    (the least squared displacement: the pool-adjacent-violators solution when all labels share an x), then held
    inside `bounds`. Labels were placed top first, each pushed below the ones above: six tied near the top of the
    demo's adversarial tag pushed everything under them down the axis, "delta-lite" 0.2 below its point.
    Returns the positions and each label's stack (labels stacked together share a number)."""
    n = len(x)
    lo, hi = bounds if bounds is not None else (-math.inf, math.inf)
    out = [min(max(float(v), lo), hi) for v in y]
    if n < 2 or y_span <= 0:
        return out, list(range(n))
    left, right = min(x), max(x)
    span = x_span if x_span and x_span > 0 else right - left
    xs = [(v - left) / span if span > 0 else 0.0 for v in x]
    reaches = widths if widths is not None else [reach] * n
    by = list(points) if points is not None else list(y)
    rank = {k: r for r, k in enumerate(sorted(range(n), key=lambda k: (by[k], y[k], -k)))}  # bottom first

    def overlap(i: int, j: int) -> bool:  # the label on the left runs right, into the other's
        a, b = (i, j) if (xs[i], i) <= (xs[j], j) else (j, i)
        return xs[b] - xs[a] < reaches[a]

    # (lower, upper) in the points' order, for every two labels that could cover each other
    pairs = [(a, b) if rank[a] < rank[b] else (b, a) for a in range(n) for b in range(a + 1, n) if overlap(a, b)]
    step = gap * y_span
    eps = 1e-9 * y_span
    block = list(range(n))  # each label's stack, named by one of its labels
    members = {k: [k] for k in range(n)}  # a stack's labels, bottom first

    def place(stack: list[int]) -> None:
        s = step if len(stack) < 2 else min(step, (hi - lo) / (len(stack) - 1))  # squeezed where the range is short
        base = sum(float(y[k]) - i * s for i, k in enumerate(stack)) / len(stack)
        base = max(min(base, hi - (len(stack) - 1) * s), lo)
        for i, k in enumerate(stack):
            out[k] = base + i * s

    while True:  # each round joins two stacks, so at most n - 1 rounds
        hits = [(out[b] - out[a], a, b) for a, b in pairs if block[a] != block[b] and out[b] - out[a] < step - eps]
        if not hits:
            return out, block
        _, a, b = min(hits)  # the worst first
        keep, gone = block[a], block[b]
        stack = sorted(members[keep] + members.pop(gone), key=rank.__getitem__)
        members[keep] = stack
        for k in stack:
            block[k] = keep
        place(stack)


LABEL_CLEAR = 0.75 * LABEL_GAP  # a label this far below (above) its point is clear of a line rising (falling) from it
TREND_PAD = 0.06  # the trend chart's x axis beyond its first and last points, as a share of the points' span
LEADER_PX = 16  # labels of a stack one of which moved off its point are drawn this much further right, each with a
# thin rule to its point
BAND_OPACITY = 0.14  # a 95% band's fill; past BAND_SERIES bands it is lighter, so that many bands overlapping
BAND_SERIES = 4  # still read as bands with lines in them (ten at 0.14 filled the demo's adversarial tag with one block)


def band_opacity(series: int) -> float:
    """The bands' fill for `series` bands drawn over one another: at most BAND_SERIES keep BAND_OPACITY; more share
    about what four do (ten overlapping at 0.14 covered 78% of the colour beneath, 44% at this)."""
    return BAND_OPACITY if series <= BAND_SERIES else max(0.04, BAND_OPACITY * BAND_SERIES / series)


LEADER_MOVE = 1 / 3  # a label moved more than this share of its height from where it aimed gets a leader: moved
# half a label, the demo's "cirrus-pro-2" sat level with basalt-8b's point, not its own


def label_moved(label_y: list[float], want: list[float], y_span: float, gap: float = LABEL_GAP) -> list[bool]:
    """Whether each label sits noticeably off where it aimed (`want`: at its point, or just off its line): far
    enough that a reader needs a leader rule to pair the name with its point."""
    return [abs(a - b) > LEADER_MOVE * gap * y_span for a, b in zip(label_y, want, strict=True)]


def _line_ends(named: pd.DataFrame, field: str, line: str) -> tuple[list[bool], list[float]]:
    """For each row of `named` (in its order): whether it is the last point of its `line` on `field`, and the
    next point's mean on that line (its own mean at the end)."""
    order = named.assign(_pos=range(len(named))).sort_values([line, field, "_pos"], kind="stable")
    nxt = order.groupby(line, sort=False)["mean"].shift(-1)
    by_pos = pd.DataFrame({"pos": order["_pos"].to_numpy(), "next": nxt.to_numpy(dtype=float),
                           "mean": order["mean"].astype(float).to_numpy()}).sort_values("pos")
    return by_pos["next"].isna().tolist(), by_pos["next"].fillna(by_pos["mean"]).tolist()


def _ms(times: pd.Series) -> list[float]:
    """Times as milliseconds since the epoch, as Vega-Lite reads them."""
    return times.map(lambda t: pd.Timestamp(t).value / 1e6).astype(float).tolist()


def _utc(ms: float) -> alt.DateTime:
    """A time as Vega-Lite reads it whatever the data's own form (the dashboard sends Arrow timestamps, in which a
    plain number in a domain was not the same time: every point was drawn at the axis's start)."""
    t = pd.Timestamp(round(ms), unit="ms", tz="UTC")
    return alt.DateTime(year=t.year, month=t.month, date=t.day, hours=t.hour, minutes=t.minute, seconds=t.second,
                        milliseconds=t.microsecond // 1000, utc=True)


def _room_for_labels(times: list[float], widths: list[float], at: list[float], step: float) -> list[float]:
    """The x domain (ms): every point's `times` with TREND_PAD either side, widened on the right so a label of
    `widths` (shares of the plot's width) starting at `at` ends inside the plot: the demo's newest ran to its edge.
    Points all at one time span ten ticks of `step` (the axis's finest), not a day of empty hours."""
    if not times:
        return [0.0, 10 * step]
    lo, hi = min(times), max(times)
    span = (hi - lo) or 10 * step
    left, right = lo - TREND_PAD * span, hi + TREND_PAD * span
    for w, t in zip(widths, at, strict=True):
        f = min(w, 0.6)  # a label never takes more than 60% of the plot: the rest is for the data
        right = max(right, (t - f * left) / (1 - f))  # t + f * (right - left) <= right
    return [left, right]


def trend_chart(rows: pd.DataFrame, families: list[str], *, x: str, basis: str,
                score_label: str = "mean score", text: str = "candidate", title: str | None = None,
                y_format: str = ".3f") -> alt.LayerChart:
    """One line per family across releases (x="release") or run dates (x="run"), a 95% band around it and
    every candidate labelled with its `text` column (the candidate, or "candidate (n=12)") at its point (over run
    dates, at its newest), right of a line's end and off the segment a line goes on along, the labels spaced so
    none covers another (`label_positions`) and the axis widened for the last ones; the subtitle says which
    examples the points are computed over. `y_format` ".0%" for rates."""
    df = rows.copy()
    field = "release" if x == "release" else "started"
    df = df.dropna(subset=[field, "mean"])
    if x == "release":
        t = pd.to_datetime(df[field], utc=True)
        fmt_, step = _day_axis((t.max() - t.min()).total_seconds() if len(t) else 0.0)
        x_title = "release date"
    else:
        fmt_, step, x_title = _time_axis(df[field])
    # over releases each point is its own candidate; over run dates a line is one candidate: label its newest point
    named = (df if x == "release" else df.sort_values(field).groupby("candidate", sort=False).tail(1)).copy()
    times = _ms(named[field])
    ends, nexts = _line_ends(named, field, "family" if x == "release" else "candidate")
    widths = label_widths(named[text].tolist(), PLOT_WIDTH)
    every = _ms(df[field])  # every point, not only the named
    lead = LEADER_PX / PLOT_WIDTH  # room for a leader before any last label
    x_domain = _room_for_labels(every, [w + lead for w, end in zip(widths, ends, strict=True) if end],
                                [t for t, end in zip(times, ends, strict=True) if end], step)
    # a UTC scale: labels in UTC, as the title says (a time scale labels in the browser's zone, and a release
    # date at midnight UTC read as the day before west of Greenwich)
    x_scale = alt.Scale(type="utc", domain=[_utc(v) for v in x_domain], nice=False)
    x_axis = alt.Axis(format=fmt_, labelAngle=0 if fmt_ == "%b %Y" else -30, tickMinStep=step)
    x_enc = alt.X(f"{field}:T", title=x_title, scale=x_scale, axis=x_axis)
    y_scale = alt.Scale(domain=_padded(float(df["low"].min()), float(df["high"].max())), nice=False)
    y = alt.Y("mean:Q", title=f"{score_label} (95% band)", scale=y_scale,
              axis=alt.Axis(format=y_format) if y_format != ".3f" else alt.Undefined)
    line_detail = "family:N" if x == "release" else "candidate:N"
    base = alt.Chart(df).encode(x=x_enc, color=family_color(families), detail=line_detail)
    fill = band_opacity(int(df[line_detail.split(":")[0]].nunique()))
    band = base.mark_area(opacity=fill).encode(y=alt.Y("low:Q", scale=y_scale, title=f"{score_label} (95% band)"),
                                               y2="high:Q", color=family_color(families, legend=False))
    bars = base.mark_rule(opacity=0.5 * fill / BAND_OPACITY).encode(y=alt.Y("low:Q", scale=y_scale), y2="high:Q")
    line = base.mark_line(point=alt.OverlayMarkDef(filled=True, size=60)).encode(
        y=y, tooltip=[alt.Tooltip("candidate:N"), alt.Tooltip("family:N"), alt.Tooltip(f"{field}:T"),
                      alt.Tooltip("mean:Q", format=y_format),
                      alt.Tooltip("low:Q", title="95% low", format=y_format),
                      alt.Tooltip("high:Q", title="95% high", format=y_format), alt.Tooltip("n:Q")])
    # A label runs right from its point (dx, left-aligned). At a line's end that is clear of the line; a point the
    # line goes on from has its label moved off the next segment: below it when the line rises, above when it falls
    # (labels sat on their own lines: the demo's aurora-1.5 and cirrus-pro). Then neighbours are moved apart as
    # little as they need, in their points' order, inside the plot; a label moved off its point is drawn a leader's
    # length further right with a thin rule to its point.
    domain = y_scale.domain
    y_span = float(domain[1] - domain[0])
    off = LABEL_CLEAR * y_span
    means = named["mean"].astype(float).tolist()
    want = [m if end else (m - off if nxt >= m else m + off) for m, end, nxt in zip(means, ends, nexts, strict=True)]
    half = LABEL_GAP * y_span / 2
    label_y, stacks = label_layout(times, want, y_span, x_span=x_domain[1] - x_domain[0], widths=widths,
                                   points=means, bounds=(float(domain[0]) + half, float(domain[1]) - half))
    named["label_y"] = label_y
    moved = label_moved(label_y, want, y_span)
    led = {s for s, m in zip(stacks, moved, strict=True) if m}  # a stack with one leader has all, its labels in line
    lead_ms = lead * (x_domain[1] - x_domain[0])
    named["label_at"] = [pd.Timestamp(t, unit="ms", tz="UTC") + pd.Timedelta(milliseconds=lead_ms if s in led else 0)
                         for t, s in zip(times, stacks, strict=True)]
    label_x = alt.X("label_at:T", title=x_title, scale=x_scale, axis=x_axis)
    leaders = alt.Chart(named[[s in led for s in stacks]]).mark_rule(
        strokeWidth=0.8, opacity=0.8, xOffset=5, x2Offset=6).encode(
        x=x_enc, x2="label_at:T", y=alt.Y("mean:Q", scale=y_scale), y2="label_y:Q",
        color=family_color(families, legend=False))
    at = alt.Chart(named).encode(x=label_x, y=alt.Y("label_y:Q", scale=y_scale), text=f"{text}:N")
    style = {"align": "left", "baseline": "middle", "dx": 8, "fontSize": 11}
    halo = at.mark_text(**style, stroke="white", strokeWidth=3, strokeOpacity=0.85)  # readable over lines and bands
    labels = at.mark_text(**style).encode(color=family_color(families, legend=False))
    return alt.layer(band, bars, line, leaders, halo, labels).properties(
        height=380, title=alt.Title(title or f"{score_label} per family over time", subtitle=basis))


def rank_chart(rows: pd.DataFrame, benchmark: str, families: list[str]) -> alt.LayerChart:
    """Public-benchmark rank (left) against the task's rank (right), one line per candidate; lines of
    candidates in a flip that is significant on the task's data are thick and solid, the others thin.
    A flip is between two candidates, so a flat line can be thick (3rd on both, but significantly ahead on
    the task of one the benchmark puts 1st); the subtitle says so, as "a rank flip" read as "a line that moves"."""
    df = rows[rows["benchmark"] == benchmark].copy()
    df["family"] = df.get("family", pd.Series(["(no family)"] * len(df), index=df.index)).fillna("(no family)")
    long = pd.concat([
        df.assign(side=f"{benchmark} rank", rank=df["public_rank"]),
        df.assign(side="rank on your task", rank=df["task_rank"]),
    ])[["candidate", "family", "side", "rank", "significant_flip", "public_score", "task_mean"]]
    side_order = [f"{benchmark} rank", "rank on your task"]
    x = alt.X("side:N", sort=side_order, title=None, axis=alt.Axis(labelAngle=0, labelFontSize=12),
              scale=alt.Scale(paddingOuter=0.6))
    y = alt.Y("rank:Q", title="rank (1 = best)", scale=alt.Scale(reverse=True, domain=[0.5, len(df) + 0.5],
                                                                   nice=False), axis=alt.Axis(tickMinStep=1))
    base = alt.Chart(long).encode(x=x, y=y, color=family_color(families), detail="candidate:N")
    lines = base.mark_line().encode(
        strokeWidth=alt.condition("datum.significant_flip", alt.value(4), alt.value(1.2)),
        strokeDash=alt.condition("datum.significant_flip", alt.value([1, 0]), alt.value([4, 3])))
    points = base.mark_point(filled=True, size=60).encode(
        tooltip=[alt.Tooltip("candidate:N"), alt.Tooltip("side:N"), alt.Tooltip("rank:Q"),
                 alt.Tooltip("public_score:Q", title=f"{benchmark} score"),
                 alt.Tooltip("task_mean:Q", title="task mean", format=".3f")])
    left = alt.Chart(long[long["side"] == side_order[0]]).mark_text(align="right", dx=-8, fontSize=11).encode(
        x=x, y=y, text="candidate:N", color=family_color(families, legend=False))
    right = alt.Chart(long[long["side"] == side_order[1]]).mark_text(align="left", dx=8, fontSize=11).encode(
        x=x, y=y, text="candidate:N", color=family_color(families, legend=False))
    # the title, a two-line key and axis labels take ~180 px of the height (measured in Chromium), each further key
    # line ~16: at 26 px a rank + 90 the plot gave 10 candidates 17 px each, their 11 px names nearly touching; now
    # each rank gets 24 px (the three-line key took 7 px a rank back until its line was counted)
    key = rank_legend(benchmark)
    return alt.layer(lines, points, left, right).properties(
        height=24 * len(df) + 180 + 16 * (len(key) - 2),
        title=alt.Title(f"{benchmark} rank against your task's rank",
                        subtitle=key))


def rank_legend(benchmark: str) -> list[str]:
    """The rank chart's key, in lines short enough for the chart's ~390 px at 1,024 px."""
    return ["thick: significantly better or worse on your data than a",
            f"candidate {benchmark} ranks the other way (a flat line too);",
            "thin, dashed: in no flip that is significant on your data"]
