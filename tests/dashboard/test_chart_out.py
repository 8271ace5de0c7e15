"""The pages' chart helper sends what `st.altair_chart` would, minus the per-run schema validation."""

from __future__ import annotations

import pandas as pd
from streamlit.elements import vega_charts

from dashboard_testing import dashboard_module
from chart_rows import leaderboard_rows

from evalcore import charts  # noqa: E402  (the pure Altair builders live in the library)
chart_out = dashboard_module("chart_out")


def _cells() -> pd.DataFrame:
    return pd.DataFrame([{"tag": t, "candidate": c, "mean": 0.5 + 0.1 * i, "low": 0.4, "high": 0.9, "n": 3 + 10 * i,
                          "pass_rate": 0.5, "flag": "too small (n < 10)" if i == 0 else "", "note": None}
                         for i, c in enumerate(["big_model", "mid"]) for t in ["clean", "ambiguous"]])


def test_the_spec_is_streamlits_own_conversion_and_still_valid() -> None:
    built = [charts.leaderboard_chart(leaderboard_rows(), score_label="mean f1", families=["x", "y", "z"]),
             charts.quality_cost_chart(leaderboard_rows(), ["x", "y", "z"], ["mid", "big_model"]),
             charts.tag_heatmap(_cells(), ["big_model", "mid"])]
    for chart in built:
        ours = chart_out.spec(chart)
        assert ours == vega_charts._convert_altair_to_vega_lite_spec(chart)
        assert ours["datasets"] and all(isinstance(v, bytes) for v in ours["datasets"].values())
        chart.to_dict(validate=True)  # what the helper skips on every rerun still holds for these builders


def test_the_default_theme_is_back_after_a_chart() -> None:
    import altair as alt

    before = alt.theme.active
    chart_out.spec(charts.leaderboard_chart(leaderboard_rows()))
    assert alt.theme.active == before
