"""Charts are pure: a DataFrame in, a Vega-Lite spec out, checked without Streamlit."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalcore import charts
from chart_rows import leaderboard_rows


def _spec(rows: pd.DataFrame, **kw) -> dict:
    return charts.leaderboard_chart(rows, **kw).to_dict()


def test_leaderboard_chart_is_an_interval_bar_and_a_mean_point_per_candidate() -> None:
    spec = _spec(leaderboard_rows(), score_label="mean f1")
    interval, point = spec["layer"]
    assert interval["mark"]["type"] == "rule" and point["mark"]["type"] == "point"
    assert (interval["encoding"]["x"]["field"], interval["encoding"]["x2"]["field"]) == ("low", "high")
    assert point["encoding"]["x"]["field"] == "mean"
    assert interval["encoding"]["x"]["scale"]["zero"] is False
    assert interval["encoding"]["x"]["title"] == "mean f1 with 95% interval"

    [values] = spec["datasets"].values()  # one data row, so one point and one bar, per candidate
    assert [v["candidate"] for v in values] == ["big_model", "mid", "small", "unscored"]
    assert "tied_with" not in values[0]  # only what the chart needs goes into the spec


def test_leaderboard_chart_sorts_by_the_estimate_and_colours_by_could_be_best() -> None:
    enc = _spec(leaderboard_rows())["layer"][0]["encoding"]
    assert enc["y"] == {"field": "candidate", "type": "nominal", "sort": ["big_model", "mid", "small", "unscored"],
                        "title": None, "axis": {"labelLimit": 240}}
    assert enc["color"]["field"] == "best" and enc["color"]["type"] == "nominal"
    assert enc["color"]["scale"]["domain"] == ["could be best", "credibly worse"]


def test_with_families_colour_is_the_family_and_rows_say_their_rank_range() -> None:
    spec = _spec(leaderboard_rows(), families=["x", "y", "z"])
    interval, point, rank = spec["layer"]
    assert interval["encoding"]["color"]["field"] == "family"
    assert interval["encoding"]["color"]["scale"]["domain"] == ["x", "y", "z"]
    assert point["encoding"]["shape"]["field"] == "best"  # told-apart candidates differ in shape too
    [values] = spec["datasets"].values()
    assert [v["rank_label"] for v in values] == ["rank 1-2", "rank 1-2", "rank 3", ""]


def test_every_chart_keeps_one_colour_per_family_and_pads_the_score_axis() -> None:
    rows = leaderboard_rows().iloc[:3]
    quality = charts.quality_cost_chart(rows, ["x", "y", "z"], ["mid", "big_model"]).to_dict()
    colour = quality["layer"][2]["encoding"]["color"]
    assert colour["field"] == "family" and colour["scale"]["domain"] == ["x", "y", "z"]
    lo, hi = quality["layer"][2]["encoding"]["y"]["scale"]["domain"]
    assert lo < 0.80 and hi > 0.95  # nothing clipped at the data's edge (or at 0 and 1)
    import pandas as pd

    trend_rows = pd.DataFrame({"candidate": ["a", "b"], "family": ["y", "y"], "mean": [0.99, 0.5], "low": [0.95, 0.4],
                               "high": [1.0, 0.6], "n": [50, 50],
                               "release": pd.to_datetime(["2026-01-01", "2026-06-01"])})
    trend = charts.trend_chart(trend_rows, ["x", "y", "z"], x="release", basis="over all 50 examples").to_dict()
    assert trend["layer"][2]["encoding"]["color"]["scale"]["domain"] == ["x", "y", "z"]
    lo, hi = trend["layer"][2]["encoding"]["y"]["scale"]["domain"]
    assert lo < 0.4 and hi > 1.0
    assert trend["title"]["subtitle"] == "over all 50 examples"


def test_quality_cost_labels_of_neighbours_never_cover_each_other() -> None:
    """The demo's cirrus-pro, aurora-1.5, aurora-2 and aurora-1 (cost $1.3-1.8 per 1,000, means 0.84-0.91) had
    their names drawn over one another; labels near each other on the log cost axis are now a label apart, in
    the points' order, and a candidate alone keeps its label at its point."""
    import pandas as pd

    rows = pd.DataFrame({"candidate": ["cirrus-pro", "aurora-1.5", "aurora-2", "aurora-1", "delta-lite"],
                         "family": ["c", "a", "a", "a", "d"], "mean": [0.900, 0.914, 0.851, 0.835, 0.750],
                         "low": [0.81, 0.82, 0.74, 0.74, 0.66], "high": [0.95, 0.96, 0.92, 0.90, 0.82],
                         "cost_per_example_usd": [0.00126, 0.00183, 0.00173, 0.00171, 0.0000182],
                         "rank": [2, 1, 3, 4, 5]})
    spec = charts.quality_cost_chart(rows, ["a", "c", "d"], ["delta-lite", "aurora-1.5"]).to_dict()
    halo, text = spec["layer"][3], spec["layer"][4]
    assert text["mark"]["type"] == "text" and text["encoding"]["y"]["field"] == "label_y"
    assert halo["mark"]["stroke"] == "white"  # readable over the interval bars
    lo, hi = text["encoding"]["y"]["scale"]["domain"]
    placed = {v["candidate"]: v["label_y"] for v in spec["datasets"][text["data"]["name"]]}
    cluster = ["aurora-1.5", "cirrus-pro", "aurora-2", "aurora-1"]  # by mean, top to bottom
    ys = [placed[c] for c in cluster]
    assert all(a - b >= 13 / charts.QUALITY_COST_PLOT * (hi - lo) - 1e-9 for a, b in zip(ys, ys[1:]))
    assert placed["delta-lite"] == pytest.approx(0.750)


def test_leaderboard_chart_tooltip_has_interval_n_rank_cost_and_latency() -> None:
    tooltip = _spec(leaderboard_rows())["layer"][1]["encoding"]["tooltip"]
    assert [t["field"] for t in tooltip] == ["candidate", "mean", "low", "high", "n", "rank",
                                           "cost_per_example_usd", "latency_p50_ms"]
    formats = {t["field"]: t.get("format") for t in tooltip}
    assert formats["mean"] == ".3f" and formats["cost_per_example_usd"] == "$.5~g"


def test_leaderboard_chart_gives_every_candidate_a_row_at_2_as_at_30() -> None:
    """The height was a total (a frame plus 30 px a row) that the axis and both legends had to fit in too: at 2
    and 3 candidates the rows got ~0 px and were drawn on one line, labels over each other (seen in Chromium).
    A step height gives each row its 30 px whatever the legends take."""
    rows = leaderboard_rows()
    many = pd.concat([rows.iloc[:3]] * 10, ignore_index=True).assign(candidate=[f"c{i}" for i in range(30)])
    for board in (rows.iloc[:2], rows.iloc[:3], many):
        for families in (None, ["aurora", "basalt"]):
            spec = charts.leaderboard_chart(board.assign(family="aurora"), families=families).to_dict()
            assert spec["height"] == {"step": 30}


def test_leaderboard_chart_names_missing_columns() -> None:
    with pytest.raises(ValueError, match="low, high"):
        charts.leaderboard_chart(leaderboard_rows().drop(columns=["low", "high"]))


def _cells(tags: tuple[tuple[str, int], ...], count: int, **over: object) -> pd.DataFrame:
    return pd.DataFrame([{"tag": t, "candidate": f"c{i:02d}", "mean": 0.5, "low": 0.4, "high": 0.6, "n": n,
                          "pass_rate": 0.5, "flag": "too small (n < 10)" if n < 10 else "", "note": ""} | over
                         for t, n in tags for i in range(count)])


def _subtitle(spec: dict) -> str:
    sub = spec["title"]["subtitle"]
    return sub if isinstance(sub, str) else " ".join(sub)


def test_heatmap_labels_every_candidate_and_gives_n_once_in_the_tag_label() -> None:
    cells = _cells((("clean", 30), ("edge", 4)), 30)
    order = [f"c{i:02d}" for i in range(30)]
    spec = charts.tag_heatmap(cells, order).to_dict()
    # 30 candidates go down the side, in the page's order (across, each column was 12 px: numbers over numbers)
    y = spec["layer"][0]["encoding"]["y"]
    assert y["field"] == "candidate" and y["axis"]["labelOverlap"] is False and y["sort"] == order
    assert spec["height"] == charts.HEATMAP_ROW * 30 + charts.HEATMAP_FRAME
    assert "faded columns" in _subtitle(spec)
    for count in (10, 3):
        few = charts.tag_heatmap(cells[cells["candidate"].isin(order[:count])], order[:count]).to_dict()
        x = few["layer"][0]["encoding"]["x"]
        assert x["field"] == "candidate" and x["axis"]["labelOverlap"] is False and x["sort"] == order[:count]
        assert "faded rows" in _subtitle(few)
    [values] = spec["datasets"].values()
    assert {v["tag_label"] for v in values} == {"clean (n=30)", "edge (n=4, small)"}
    # the n is in the tag's label only: repeated in each cell it was an 8 px line under the mean (~6 px at 1,024)
    assert "n_label" not in values[0] and {v["label"] for v in values} == {"0.50"}
    texts = [layer for layer in spec["layer"] if layer["mark"]["type"] == "text"]
    assert texts and all(layer["mark"]["fontSize"] >= 11 for layer in texts)


def test_heatmap_flags_a_tag_failed_every_time_at_full_strength_even_when_small() -> None:
    """aurora-2 followed the prompt injection on all 5 adversarial examples: faded with the other n=5 rows it
    read as "too small to matter"; it must stand out, and small cells must still say they are small."""
    cells = _cells((("adversarial", 5), ("clean", 28), ("es", 2)), 3)
    cells.loc[(cells["tag"] == "adversarial") & (cells["candidate"] == "c01"), ["mean", "pass_rate"]] = [0.05, 0.0]
    cells.loc[(cells["tag"] == "es") & (cells["candidate"] == "c00"), "pass_rate"] = 0.0  # 0 of 2: too few to flag
    cells.loc[(cells["tag"] == "clean") & (cells["candidate"] == "c02"), "pass_rate"] = None  # pass/fail unknown
    spec = charts.tag_heatmap(cells, ["c00", "c01", "c02"]).to_dict()
    [values] = spec["datasets"].values()
    by = {(v["tag"], v["candidate"]): v for v in values}
    failed = by[("adversarial", "c01")]
    # the mean stays in the cell: 0/5 hid it, and a mean such as 0.55 (partial credit) is not "every example failed"
    assert failed["failed_all"] and failed["label"] == "0.05" and not failed["faded"]
    assert by[("adversarial", "c00")]["faded"] and by[("adversarial", "c00")]["label"] == "0.50"
    assert not by[("clean", "c02")]["failed_all"] and not by[("clean", "c00")]["faded"]
    assert [k for k, v in by.items() if v["failed_all"]] == [("adversarial", "c01")]
    opacity = spec["layer"][0]["encoding"]["opacity"]
    assert opacity["condition"]["test"] == "datum.faded" and opacity["condition"]["value"] >= 0.6
    outline = next(layer for layer in spec["layer"] if layer["mark"].get("filled") is False)
    assert outline["transform"] == [{"filter": "datum.failed_all"}]
    bold = next(layer for layer in spec["layer"] if layer["mark"].get("fontWeight") == "bold")
    assert bold["transform"] == [{"filter": "datum.failed_all"}]
    assert "outlined: passed none" in _subtitle(spec) and "every example failed" not in _subtitle(spec)
    assert len(_subtitle(spec)) <= 88  # 96 was cut at 1,024 px


def test_rank_legend_says_a_flat_line_can_be_in_a_significant_flip() -> None:
    """cirrus-pro is 3rd on IFEval and on the task, yet significantly ahead on the task of cirrus-pro-2 (1st on
    IFEval): its flat line is thick by the rule, and the key "a rank flip" read as "a line that moves"."""
    rows = pd.DataFrame([
        {"candidate": "pro-2", "benchmark": "IFEval", "public_rank": 1, "task_rank": 3, "significant_flip": True},
        {"candidate": "a", "benchmark": "IFEval", "public_rank": 2, "task_rank": 1, "significant_flip": True},
        {"candidate": "pro", "benchmark": "IFEval", "public_rank": 3, "task_rank": 2, "significant_flip": True},
        {"candidate": "flat", "benchmark": "IFEval", "public_rank": 4, "task_rank": 4, "significant_flip": True},
        {"candidate": "b", "benchmark": "IFEval", "public_rank": 5, "task_rank": 5, "significant_flip": False},
    ]).assign(family="f", public_score=80.0, task_mean=0.8)
    spec = charts.rank_chart(rows, "IFEval", ["f"]).to_dict()
    width = spec["layer"][0]["encoding"]["strokeWidth"]
    assert width["condition"]["test"] == "datum.significant_flip"
    legend = _subtitle(spec)
    assert "IFEval ranks the other way" in legend and "flat line" in legend and "significant on your data" in legend
    assert all(len(line) <= 62 for line in spec["title"]["subtitle"])  # ~390 px wide at 1,024 px: no clipping


FINEST_MS = {"%H:%M:%S": 1_000, "%H:%M": 60_000, "%m-%d %H:%M": 60_000, "%Y-%m-%d": 86_400_000,
             "%b %Y": 28 * 86_400_000}


@given(st.floats(min_value=0, max_value=2 * 365 * 86400, allow_nan=False))
@settings(max_examples=200, deadline=None)
def test_run_date_ticks_are_never_finer_than_their_labels(span_s: float) -> None:
    start = pd.Timestamp("2026-03-01 10:00:00", tz="UTC")
    fmt, step_ms, title = charts._time_axis(pd.Series([start, start + pd.Timedelta(seconds=span_s)]))
    assert step_ms >= FINEST_MS[fmt]  # consecutive ticks differ in what their labels show
    assert "UTC" in title
    if fmt.startswith("%H"):  # the day the labels leave out is in the title
        assert "2026-03-01" in title or "on " not in title


def test_runs_seconds_apart_are_labelled_by_time_with_the_day_in_the_title() -> None:
    t = pd.Timestamp("2026-12-01 09:30:00", tz="UTC")
    rows = pd.DataFrame({"candidate": ["a", "a"], "family": ["f", "f"], "started": [t, t + pd.Timedelta(seconds=4)],
                         "mean": [0.5, 0.6], "low": [0.4, 0.5], "high": [0.6, 0.7], "n": [10, 10]})
    spec = charts.trend_chart(rows, ["f"], x="run", basis="over all 10 examples").to_dict()  # validated
    x = spec["layer"][0]["encoding"]["x"]
    assert x["axis"]["format"] == "%H:%M:%S" and x["title"] == "run time on 2026-12-01 (UTC)"
    assert x["axis"]["tickMinStep"] == 1000 and x["scale"]["type"] == "utc"  # labels in UTC, as the title says
    assert charts._time_axis(pd.Series([t, t + pd.Timedelta(days=40)]))[0] == "%Y-%m-%d"


def test_releases_a_year_apart_are_labelled_by_month_read_flat() -> None:
    """The demo's releases span 13 months: ticks read "2025-10-01, 2025-12-01, ..." slanted, a day nobody released
    on; months read flat. Releases weeks apart keep their days."""
    def axis(days: int) -> dict:
        t = pd.Timestamp("2025-10-01", tz="UTC")
        rows = pd.DataFrame({"candidate": ["a", "b"], "family": ["f", "f"], "release": [t, t + pd.Timedelta(days=days)],
                             "mean": [0.5, 0.6], "low": [0.4, 0.5], "high": [0.6, 0.7], "n": [10, 10]})
        return charts.trend_chart(rows, ["f"], x="release", basis="over all 10 examples").to_dict()["layer"][0][
            "encoding"]["x"]["axis"]

    year = axis(400)
    assert year["format"] == "%b %Y" and year["labelAngle"] == 0 and year["tickMinStep"] == 28 * 86_400_000
    weeks = axis(30)
    assert weeks["format"] == "%Y-%m-%d" and weeks["tickMinStep"] == 86_400_000


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 10), st.floats(0, 1)), min_size=1, max_size=30))
def test_labels_never_touch_a_neighbour_and_keep_their_order_within_a_column(points):
    """Two candidates at nearly the same score and time got labels drawn on top of each other (the demo's run-date
    view: aurora-1.5 over cirrus-pro); labels near each other on x are now at least a label's height apart, in
    the points' order, and a label with nothing near it stays at its point."""
    x, y = [p[0] for p in points], [p[1] for p in points]
    got = charts.label_positions(x, y, 1.0)
    step = charts.LABEL_GAP
    span = (max(x) - min(x)) or 1.0
    for i in range(len(x)):
        for j in range(len(x)):
            if i != j and x[i] == x[j] and (y[i], -i) > (y[j], -j):  # the same column, whatever the span
                assert got[i] > got[j] - 1e-9 and got[i] - got[j] >= step - 1e-9
            if i != j and abs(x[i] - x[j]) < charts.LABEL_REACH * span:  # neighbours on x, in any column
                assert abs(got[i] - got[j]) >= step - 1e-9, (i, j)
        alone = all(abs(x[i] - x[j]) > charts.LABEL_REACH * span * 2 or abs(y[i] - y[j]) > step * len(x)
                    for j in range(len(x)) if j != i)
        if alone:
            assert got[i] == pytest.approx(y[i])


def test_over_run_dates_each_candidate_is_named_once_at_its_newest_run() -> None:
    """At 200 runs x 10 candidates every point carried its candidate's name: 2,000 labels in one blur."""
    t = pd.Timestamp("2026-12-01 09:30:00", tz="UTC")
    rows = pd.DataFrame([{"candidate": c, "family": "f", "started": t + pd.Timedelta(hours=r), "mean": 0.5 + r / 100,
                          "low": 0.4, "high": 0.7, "n": 10} for c in ("a", "b", "c") for r in range(20)])
    spec = charts.trend_chart(rows, ["f"], x="run", basis="over all 10 examples").to_dict()
    texts = [layer for layer in spec["layer"] if layer["mark"]["type"] == "text"]
    assert len(texts) == 2  # the halo and the label
    named = spec["datasets"][texts[1]["data"]["name"]]
    assert sorted(r["candidate"] for r in named) == ["a", "b", "c"]
    assert {r["mean"] for r in named} == {0.69}  # each at its newest run
    first = spec["layer"][0]["encoding"]["x"]["scale"]["domain"][0]  # the axis holds every run, not only the named
    assert (first["year"], first["month"], first["date"], first["hours"]) == (2026, 12, 1, 8)


def test_quality_cost_axis_is_whole_decades_and_leaves_a_free_candidate_off() -> None:
    """The labels are spaced on the axis the reader sees, so the chart fixes it (whole decades around the costs);
    a $0 candidate has no place on a log axis (Compare names it under the chart)."""
    import pandas as pd

    rows = pd.DataFrame({"candidate": ["free", "cheap", "dear", "unpriced"], "family": ["f", "f", "g", "g"],
                         "mean": [0.9, 0.8, 0.7, 0.6], "low": [0.8, 0.7, 0.6, 0.5], "high": [0.95, 0.9, 0.8, 0.7],
                         "cost_per_example_usd": [0.0, 0.000012, 0.0031, None], "rank": [1, 2, 3, 4]})
    spec = charts.quality_cost_chart(rows, ["f", "g"], ["free", "cheap", "dear"]).to_dict()
    points = spec["layer"][2]
    assert points["encoding"]["x"]["scale"]["domain"] == [0.01, 10.0]  # $0.012 and $3.1 per 1,000
    assert [v["candidate"] for v in spec["datasets"][points["data"]["name"]]] == ["cheap", "dear"]


def _cost_rows(costs: list[float | None], low: list[float | None] | None = None) -> pd.DataFrame:
    n = len(costs)
    return pd.DataFrame({"candidate": [f"m{i}" for i in range(n)], "family": ["f"] * n,
                         "mean": [0.8 - i / 10 for i in range(n)],
                         "low": low if low is not None else [0.7 - i / 10 for i in range(n)],
                         "high": [0.9 - i / 10 for i in range(n)], "cost_per_example_usd": costs,
                         "rank": list(range(1, n + 1))})


def test_cost_placement_names_what_the_quality_cost_chart_leaves_off() -> None:
    placed = charts.cost_placement(_cost_rows([0.002, None, 0.0, 0.01]))
    assert placed == {"charted": ["m0", "m3"], "unpriced": ["m1"], "free": ["m2"]}


@pytest.mark.parametrize("costs", [[None, None], [0.0, 0.0], [None, 0.0]])
def test_quality_cost_chart_with_no_known_cost_raises_instead_of_drawing_a_nan_axis(costs) -> None:
    """Imported production logs carry no cost: the axes' domains were [NaN, NaN], which is not JSON, and the
    browser showed "SyntaxError: Unexpected token 'N'" where the chart should be."""
    rows = _cost_rows(costs)
    assert charts.cost_placement(rows)["charted"] == []
    with pytest.raises(ValueError, match="nothing to chart"):
        charts.quality_cost_chart(rows, ["f"], [])


@pytest.mark.parametrize("low", [None, [None, 0.6]])
def test_one_priced_candidate_is_charted_on_finite_axes(low) -> None:
    """One candidate priced (at a whole decade, so the log axis has one tick), the other not; with one example
    its interval is unknown: the spec is still strict JSON (no NaN) and the point sits inside the y axis."""
    import json

    spec = charts.quality_cost_chart(_cost_rows([0.001, None], low=low), ["f"], ["m0"]).to_dict()
    json.dumps(spec, allow_nan=False)  # what the browser's JSON.parse accepts
    points = spec["layer"][2]
    assert [v["candidate"] for v in spec["datasets"][points["data"]["name"]]] == ["m0"]
    assert points["encoding"]["x"]["scale"]["domain"] == [1.0, 10.0]  # $1 per 1,000: one decade around it
    y0, y1 = points["encoding"]["y"]["scale"]["domain"]
    assert y0 < 0.8 < y1


def test_a_long_label_pushes_aside_the_label_it_runs_into() -> None:
    """Reach is each label's own width: a long name to the left covers a short one further right than a short
    name would; on an axis wider than the data (padding, whole decades) every label covers more of x."""
    x, y = [0.0, 0.3, 1.0], [0.5, 0.5, 0.9]
    long_names = charts.label_widths(["claude-3-5-sonnet-20241022", "m1", "m2"], 470)  # 0.38 of the axis
    short = charts.label_positions(x, y, 1.0, widths=charts.label_widths(["m0", "m1", "m2"], 470))
    assert short[:2] == [0.5, 0.5]  # "m0" ends long before the next point
    long = charts.label_positions(x, y, 1.0, widths=long_names)  # the two share the move, half a gap each; tied,
    assert long[0] - long[1] == pytest.approx(charts.LABEL_GAP) and long[0] + long[1] == pytest.approx(1.0)  # 1st up
    x = [0.0, 0.5, 1.0]
    assert charts.label_positions(x, y, 1.0, widths=long_names)[:2] == [0.5, 0.5]
    on_axis = charts.label_positions(x, y, 1.0, widths=long_names, x_span=2.0)  # the data is half the axis
    assert abs(on_axis[0] - on_axis[1]) >= charts.LABEL_GAP - 1e-9


def test_trend_labels_sit_off_their_lines_and_inside_the_plot() -> None:
    """Each label ran right from its point along its own line's next segment (the demo's aurora-1.5 and cirrus-pro
    were drawn on their lines) and the newest one ran to the plot's edge. A line's end is labelled right of it, at
    its point; a point the line goes on from has its label below a rising segment and above a falling one; every
    candidate keeps its label, at least a label's height from a neighbour, and the axis has room for the last."""
    t = pd.Timestamp("2025-10-01", tz="UTC")
    days = {"up-1": 0, "up-2": 100, "down-1": 20, "down-2": 120, "long-name-at-the-end": 400}
    means = {"up-1": 0.5, "up-2": 0.8, "down-1": 0.7, "down-2": 0.6, "long-name-at-the-end": 0.65}
    fam = {"up-1": "up", "up-2": "up", "down-1": "down", "down-2": "down", "long-name-at-the-end": "end"}
    rows = pd.DataFrame([{"candidate": c, "family": fam[c], "release": t + pd.Timedelta(days=d), "mean": means[c],
                          "low": means[c] - 0.1, "high": means[c] + 0.1, "n": 10} for c, d in days.items()])
    spec = charts.trend_chart(rows, ["up", "down", "end"], x="release", basis="over all 10 examples").to_dict()
    texts = [layer for layer in spec["layer"] if layer["mark"]["type"] == "text"]
    assert all(m["mark"]["align"] == "left" and m["mark"]["dx"] > 0 for m in texts)  # right of the point
    named = {r["candidate"]: r for r in spec["datasets"][texts[1]["data"]["name"]]}
    assert sorted(named) == sorted(days)
    lo, hi = spec["layer"][0]["encoding"]["y"]["scale"]["domain"]
    gap = charts.LABEL_GAP * (hi - lo)
    for end in ("up-2", "down-2", "long-name-at-the-end"):
        assert named[end]["label_y"] == pytest.approx(means[end])  # at the line's end, right of it
    assert named["up-1"]["label_y"] <= means["up-1"] - gap / 2 + 1e-9  # under the rising segment, clear of it
    assert named["down-1"]["label_y"] >= means["down-1"] + gap / 2 - 1e-9  # over the falling one
    ys = sorted(r["label_y"] for r in named.values())
    assert all(b - a >= gap - 1e-9 for a, b in zip(ys, ys[1:]))
    scale = spec["layer"][0]["encoding"]["x"]["scale"]
    first, last = (pd.Timestamp(year=d["year"], month=d["month"], day=d["date"], hour=d["hours"], minute=d["minutes"],
                                second=d["seconds"], tz="UTC") for d in scale["domain"])
    newest = t + pd.Timedelta(days=400)
    share = charts.label_widths(["long-name-at-the-end"], charts.PLOT_WIDTH)[0]
    slack = pd.Timedelta(seconds=1)  # the domain is said to the second
    assert (newest - first) + share * (last - first) <= (last - first) + slack  # the last label ends in the plot
    assert first < t


# -- end labels: in their points' order, moved as little as that needs --------------------------------------------

GAP = charts.LABEL_GAP  # on a y span of 1.0
scores = st.floats(0, 1, allow_nan=False).map(lambda v: round(v, 3))  # ties are common: 0.96 three times in the demo


def _chains(order: list[int], got: list[float], step: float) -> list[list[int]]:
    """`order` (bottom first) cut where two neighbours are more than `step` apart: the labels that touch."""
    chains = [[order[0]]]
    for a, b in zip(order, order[1:]):
        if got[b] - got[a] <= step + 1e-9:
            chains[-1].append(b)
        else:
            chains.append([b])
    return chains


@settings(max_examples=300, deadline=None)
@given(st.lists(scores, min_size=1, max_size=14), st.booleans())
def test_labels_at_one_time_keep_their_points_order_a_gap_apart_and_inside_the_axis(y, bounded):
    """The demo's adversarial tag at its newest run: six labels tied near the top pushed every label below them down
    the axis, out of their points' order ("delta-lite" at 0.52 beside basalt-8b's point, its own at 0.76)."""
    lo, hi = (0.0, 1.0) if bounded else (-9.0, 9.0)
    got = charts.label_positions([0.0] * len(y), y, 1.0, bounds=(lo, hi))
    order = sorted(range(len(y)), key=lambda k: (y[k], -k))  # bottom first; a tie keeps the first on top
    assert all(lo - 1e-9 <= v <= hi + 1e-9 for v in got)
    assert sorted(range(len(y)), key=lambda k: got[k]) == order
    step = min(GAP, (hi - lo) / max(len(y) - 1, 1))  # a gap apart when the axis has room, else evenly squeezed
    assert all(got[b] - got[a] >= step - 1e-9 for a, b in zip(order, order[1:]))


@settings(max_examples=300, deadline=None)
@given(st.lists(scores, min_size=1, max_size=14), st.booleans())
def test_no_labels_could_move_nearer_their_points_together(y, bounded):
    """Moved as little as needed (the least squared displacement): in every run of touching labels, no lower part
    would rather go down while the part above it would rather go up (they could part and both come nearer their
    points), and the run as a whole would not rather move where it is free to. Placing labels top first, each
    below the last, fails this: a stack pushed down from its points that could go up."""
    lo, hi = (0.0, 1.0) if bounded else (-9.0, 9.0)
    got = charts.label_positions([0.0] * len(y), y, 1.0, bounds=(lo, hi))
    order = sorted(range(len(y)), key=lambda k: (y[k], -k))
    step = min(GAP, (hi - lo) / max(len(y) - 1, 1))
    tol = 1e-7
    for chain in _chains(order, got, step):
        moved = [got[k] - y[k] for k in chain]  # > 0: above its point, would rather go down
        can_down, can_up = got[chain[0]] > lo + 1e-9, got[chain[-1]] < hi - 1e-9
        assert not (can_down and sum(moved) > tol) and not (can_up and sum(moved) < -tol), (chain, moved)
        for cut in range(1, len(chain)):
            assert not (sum(moved[:cut]) > tol and sum(moved[cut:]) < -tol), (chain, cut, moved)
    if all(b - a >= step for a, b in zip(sorted(y), sorted(y)[1:])):
        assert got == pytest.approx(y)  # nothing in the way: every label at its point


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 10), scores), min_size=1, max_size=20))
def test_labels_that_could_cover_each_other_keep_their_points_order_and_move_only_when_pushed(points):
    """Across x too (the release view, the quality chart): two labels that could cover each other are in their
    points' order and a label's height apart, and a label off its point has a label a gap away on the side it was
    pushed from, or sits against the axis's edge."""
    x, y = [p[0] for p in points], [p[1] for p in points]
    got = charts.label_positions(x, y, 1.0, x_span=10.0, bounds=(-5.0, 5.0))
    for i in range(len(x)):
        for j in range(len(x)):
            left, right = (i, j) if (x[i], i) <= (x[j], j) else (j, i)
            if i != j and (y[i], -i) > (y[j], -j) and x[right] - x[left] < charts.LABEL_REACH * 10.0:
                assert got[i] - got[j] >= GAP - 1e-9, (i, j)
        if got[i] < y[i] - 1e-9:  # pushed down by a label above
            assert any(abs(got[j] - got[i] - GAP) < 1e-9 for j in range(len(x)) if j != i), i
        if got[i] > y[i] + 1e-9:
            assert any(abs(got[i] - got[j] - GAP) < 1e-9 for j in range(len(x)) if j != i), i


def test_end_labels_each_beside_their_own_point_on_the_demo_adversarial_tag() -> None:
    """The audit: at the newest run "delta-lite" sat at 0.52 (its point 0.76), "cirrus-pro-2" at 0.47 (0.60),
    "basalt-8b" at 0.43 (0.55), in the legend's order rather than the points', with no leaders. Now the labels are
    in the points' order, inside the plot, and each moved label has a rule from its point to it."""
    t = pd.Timestamp("2026-12-08 02:44:50", tz="UTC")
    means = {"basalt-70b": 0.967, "cirrus-pro": 0.96, "aurora-1.5": 0.96, "delta-2": 0.96, "aurora-1": 0.903,
             "cirrus-mini": 0.87, "delta-lite": 0.758, "cirrus-pro-2": 0.6, "basalt-8b": 0.55, "aurora-2": 0.05}
    fam = {c: c.split("-")[0] for c in means}
    rows = pd.DataFrame([{"candidate": c, "family": fam[c], "started": t + pd.Timedelta(seconds=s), "mean": m,
                          "low": max(m - 0.4, 0.0), "high": min(m + 0.1, 1.0), "n": 5}
                         for c, m in means.items() for s in (0, 3)])
    spec = charts.trend_chart(rows, sorted(set(fam.values())), x="run", basis="over all 5 examples").to_dict()
    texts = [layer for layer in spec["layer"] if layer["mark"]["type"] == "text"]
    named = {r["candidate"]: r for r in spec["datasets"][texts[1]["data"]["name"]]}
    by_label = sorted(named, key=lambda c: -named[c]["label_y"])
    assert [means[c] for c in by_label] == sorted(means.values(), reverse=True)  # top to bottom as the points are
    lo, hi = spec["layer"][0]["encoding"]["y"]["scale"]["domain"]
    gap = charts.LABEL_GAP * (hi - lo)
    ys = [named[c]["label_y"] for c in by_label]
    assert all(a - b >= gap - 1e-9 for a, b in zip(ys, ys[1:])) and lo < min(ys) and max(ys) < hi
    for c in ("delta-lite", "cirrus-pro-2", "basalt-8b"):  # within a few labels' height of its point (the stack
        assert abs(named[c]["label_y"] - means[c]) < 3 * gap  # of seven above needs that), its leader to pair it
    assert named["aurora-2"]["label_y"] == pytest.approx(0.05)  # nothing near it: at its point
    [leaders] = [layer for layer in spec["layer"] if layer["mark"]["type"] == "rule" and "y2" in layer["encoding"]
                 and layer["encoding"]["y2"]["field"] == "label_y"]
    led = {r["candidate"] for r in spec["datasets"][leaders["data"]["name"]]}
    assert led == set(means) - {"aurora-2"}  # the stack that moved, every label of it in line with its rule
    assert leaders["encoding"]["color"]["field"] == "family"  # one colour per family, as everywhere


def test_many_bands_are_lighter_but_still_drawn() -> None:
    """Ten overlapping 95% bands at 0.14 filled the adversarial tag from 0.13 to 1.0 with one brown block."""
    assert charts.band_opacity(1) == charts.band_opacity(4) == charts.BAND_OPACITY
    assert 0 < charts.band_opacity(10) < charts.band_opacity(5) < charts.BAND_OPACITY
    assert 1 - (1 - charts.band_opacity(10)) ** 10 < 0.5  # ten overlapping cover under half of what is beneath

    def fill(series: int) -> float:
        t = pd.Timestamp("2026-01-01", tz="UTC")
        rows = pd.DataFrame([{"candidate": f"c{i}", "family": "f", "started": t + pd.Timedelta(hours=h),
                              "mean": 0.5, "low": 0.3, "high": 0.7, "n": 9} for i in range(series) for h in (0, 1)])
        spec = charts.trend_chart(rows, ["f"], x="run", basis="over all 9 examples").to_dict()
        [band] = [layer for layer in spec["layer"] if layer["mark"]["type"] == "area"]
        return band["mark"]["opacity"]

    assert fill(3) == charts.BAND_OPACITY and 0 < fill(12) < charts.BAND_OPACITY
