"""Altair charts for the dashboard: pure functions from a DataFrame to a chart, no Streamlit.

The input is what `data.py` returns (plain DataFrames with the library's column names), so a chart can be
built and checked in a test without a running app.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

# The leaderboard columns a chart needs; the rest (lists of names, run ids) stay out of the Vega-Lite spec.
_LEADERBOARD_FIELDS = ["rank", "could_be_best", "candidate", "mean", "low", "high", "n", "cost_per_example_usd",
                       "latency_p50_ms"]
_ROW_HEIGHT = 30  # px per candidate: enough for a label and a point with its interval
# Streamlit sizes charts with autosize "fit": the height holds the x axis, its title and the legend too.
_FRAME_HEIGHT = 110


def leaderboard_chart(rows: pd.DataFrame, *, score_label: str = "mean score") -> alt.LayerChart:
    """Each candidate's mean (point) and 95% interval (bar), best mean at the top, coloured by "could be best".

    `rows` is the leaderboard in order of the estimate (columns as in `evalcore.analysis.leaderboard(...).rows`).
    "Could be best": no paired test found another candidate credibly better. The x axis does not start at zero,
    so the intervals, not the distance from zero, carry
    the comparison.
    """
    missing = [c for c in _LEADERBOARD_FIELDS if c not in rows.columns]
    if missing:
        raise ValueError(f"leaderboard rows lack column(s) {', '.join(missing)}")
    df = rows[_LEADERBOARD_FIELDS].copy()
    df["best"] = df["could_be_best"].map(lambda b: "could be best" if b is True or b == 1 else "credibly worse")
    df = df.drop(columns=["could_be_best"])
    order = df["candidate"].tolist()
    groups = ["could be best", "credibly worse"]

    base = alt.Chart(df).encode(
        y=alt.Y("candidate:N", sort=order, title=None, axis=alt.Axis(labelLimit=240)),
        # A categorical scheme with distinct hues: the theme's default puts groups 1 and 2 in two blues.
        color=alt.Color("best:N", title=None,
                        scale=alt.Scale(domain=groups, scheme="tableau10"),
                        legend=alt.Legend(orient="top", direction="horizontal")),
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
    return alt.layer(interval, point).properties(height=_FRAME_HEIGHT + _ROW_HEIGHT * max(len(df), 2))
