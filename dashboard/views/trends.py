"""Trends: each model family across releases (or run dates), and public-benchmark rank beside yours."""

from collections.abc import Iterable

import pandas as pd
import streamlit as st

import chart_out
import controls
import data
from evalcore import charts
from evalcore import formatting as fmt
from evalcore.errors import EvalcoreError

ws = data.workspace()
token = data.data_token(ws)


def failed_points(points: pd.DataFrame, board: pd.DataFrame, runs: pd.DataFrame, x: str,
                  not_ranked: Iterable[str] = ()) -> pd.Series:
    """True for each trend point whose every call failed: it scores 0 for want of answers, not for wrong ones.

    Over release dates a point is a candidate's latest run, which the leaderboard counts; over run dates also
    each run whose every result is an error. (A candidate failing all its calls in an older run whose other
    candidates answered is not told apart: the trend rows carry no error counts.) `not_ranked`: the candidates the
    leaderboard leaves out because every call of their latest run failed (the newest of their points)."""
    dead = board.loc[(board["calls"] > 0) & (board["errors"] >= board["calls"])]
    gone = [c for c in not_ranked if c in set(points["candidate"])]
    if x == "release":
        return points["candidate"].isin([*dead["candidate"], *gone])
    dead_runs = set(runs.loc[(runs["results"] > 0) & (runs["errors"] >= runs["results"]), "run_id"])
    latest = set(zip(dead["run_id"], dead["candidate"], strict=True))
    for c in gone:
        mine = points.loc[points["candidate"] == c]
        latest.add((mine.loc[mine["started"].idxmax(), "run_id"], c))
    return pd.Series([r in dead_runs or (r, c) in latest
                      for r, c in zip(points["run_id"], points["candidate"], strict=True)], index=points.index)


def left_out_text(left_out: pd.DataFrame, x: str) -> str:
    """The caption's sentence naming the points left out because every call behind them failed ("" for none)."""
    if left_out.empty:
        return ""
    if x == "release":
        which, named = "latest run", left_out["candidate"].tolist()
    else:
        which = "run"
        named = [f"{c} (run of {pd.Timestamp(t):%Y-%m-%d %H:%M} UTC)"
                 for c, t in zip(left_out["candidate"], left_out["started"], strict=True)]
    return (f" Left out, as every call of the {which} behind them failed (a 0 there is no answer, not a wrong one): "
            f"{data.markdown_safe(fmt.names(named, limit=6))}. Read the errors in Explore.")


st.title("Trends")
suite, scorer = controls.suite_and_scorer(ws, token)
board = controls.board_or_stop(ws, token, suite, scorer)  # the reason there is no score said as every page says it
families = data.families(ws, token, suite)
tags = data.tags(ws, token, suite, scorer)
X_LABELS = {"release": "release date", "run": "run date"}
if st.session_state.get("over") not in X_LABELS:
    st.session_state["over"] = "release"
c1, c2 = st.columns(2)
tag = c1.selectbox("Examples", ["whole suite", *tags], key="trend_tag", bind="query-params",
                   index=controls.bound_index("trend_tag", ["whole suite", *tags], "whole suite"),
                   help="The whole suite, or only the examples carrying one tag")
x = controls.labelled_choice(c2, "Over", X_LABELS, key="over",  # `?over=`; old links' `?x=` is its alias
                             help="release date: each candidate's latest run; run date: every run")
# every latest call failed: the points would be 0.00 for want of answers (it read as a collapse); over run dates
# the runs before may still have answers, so those are drawn below the error, and the page stops after them
latest_failed = controls.all_calls_failed(board, suite, scorer)
if latest_failed and (x or "release") == "release":
    st.stop()
try:
    series = data.trend(ws, token, suite, scorer, None if tag == "whole suite" else tag, x or "release")
except EvalcoreError as exc:
    st.error(data.markdown_safe(str(exc)))
    st.stop()
failed = failed_points(series["rows"], board["rows"], data.runs(ws, token, suite), series["x"],
                       board.get("not_ranked", {}))
points = series["rows"][~failed]
left_out = series["rows"][failed]
skipped = left_out_text(left_out, series["x"])
if points.empty and len(left_out):
    if not latest_failed:
        st.warning(f"Nothing to draw: every call behind every point failed.{skipped}")
    st.stop()
if points.empty or points[["release" if series["x"] == "release" else "started"]].isna().all().all():
    st.info("No candidate has a release date: add `release: YYYY-MM-DD` to the candidates in suite.yaml, or "
            "choose 'run date'.")
else:
    chart_out.show(st, lambda: charts.trend_chart(points, families, x=series["x"],
                                                  basis=data.markdown_safe(series["basis"]),
                                                  score_label=f"mean {scorer}"), width="stretch", key="trend_chart",
                   cache=(ws, token, suite, scorer, tag, series["x"]))
    st.caption(f"Points are computed {data.markdown_safe(series['basis'])}. Bands are 95% intervals; where two "
               f"bands overlap, the data cannot tell those releases apart.{skipped}")
    show = points.assign(score=points["mean"].map(fmt.score),
                         ci=[fmt.interval(lo, hi) for lo, hi in zip(points["low"], points["high"], strict=True)])
    with st.expander("The points", key="trend_points", on_change="rerun") as opened:
        if opened.open:  # rendered on opening: a closed expander's table still costs its grid on first render
            st.dataframe(show, hide_index=True, key="trend_table",
                         column_order=[c for c in ["family", "candidate", "release", "started", "score", "ci", "n"]
                                       if c in show.columns],
                         column_config={"score": st.column_config.TextColumn("mean"),
                                        "ci": st.column_config.TextColumn("95% interval"),
                                        "release": st.column_config.DateColumn("release"),
                                        "started": st.column_config.DatetimeColumn("run started (UTC)")})
if latest_failed:  # people's verdict and the public ranks stand on the latest runs, which have no answers
    st.stop()

st.subheader("What people said, per family")
ltoken = data.labels_token(ws)
HUMAN = {"rating": "mean human rating (1-5)", "ok": "\"ok to show\" rate"}
if st.session_state.get("human_measure") not in HUMAN:
    st.session_state["human_measure"] = "rating"
MEASURE_LABELS = {"rating": "mean rating 1-5", "ok": "\"ok to show\" rate"}
measure = controls.labelled_choice(st, "People's verdict", MEASURE_LABELS, key="human_measure",
                                   help="From reviewers' latest answers on the Label page")
human = data.human_trend(ws, token, ltoken, suite, measure or "rating", None if tag == "whole suite" else tag,
                         x or "release")
hp = human["rows"]
h_field = "release" if human["x"] == "release" else "started"
if hp.empty:
    st.info(f"People's verdict: {human['basis']}. Rate outputs on the Label page (or `evalcore labels import "
            "ratings.csv`) to see their mean rating and \"ok to show\" rate per family beside the automatic score.")
elif hp[h_field].isna().all():
    st.info("No labeled candidate has a release date: add `release: YYYY-MM-DD` to the candidates in suite.yaml, "
            "or choose 'run date'.")
else:
    label = HUMAN[measure or "rating"]
    chart_out.show(st, lambda: charts.trend_chart(hp, families, x=human["x"], basis=human["basis"], score_label=label,
                                                  text="label", title=f"{label} per family over time",
                                                  y_format=".1f" if measure == "rating" else ".0%"),
                   width="stretch", key="human_trend_chart",
                   cache=(ws, token, ltoken, suite, measure, tag, human["x"]))
    few = hp.loc[~hp["enough"].astype(bool), "candidate"].drop_duplicates().tolist()
    st.caption(f"People's points are computed {human['basis']}. Bands are 95% intervals (Wilson for the rate); n "
               "is the number of labeled examples behind each point."
               + (f" Too few labeled (under 10) to conclude: {data.markdown_safe(fmt.names(few, limit=6))}."
                  if few else ""))
    shown = hp.assign(value=[fmt.score(v, 2) if measure == "rating" else fmt.pct(v) for v in hp["mean"]],
                      ci=[fmt.interval(lo, hi, 2) if measure == "rating" else f"[{fmt.pct(lo)}, {fmt.pct(hi)}]"
                          for lo, hi in zip(hp["low"], hp["high"], strict=True)])
    with st.expander("The people's points", key="human_trend_points", on_change="rerun") as opened:
        if opened.open:
            st.dataframe(shown, hide_index=True, key="human_trend_table",
                         column_order=[c for c in ["family", "candidate", "release", "started", "value", "ci", "n",
                                                   "enough"] if c in shown.columns],
                         column_config={"value": st.column_config.TextColumn(label),
                                        "ci": st.column_config.TextColumn("95% interval"),
                                        "enough": st.column_config.CheckboxColumn("enough labels"),
                                        "release": st.column_config.DateColumn("release"),
                                        "started": st.column_config.DatetimeColumn("run started (UTC)")})

st.subheader("Public benchmarks against your task")
ranks = data.public_ranks(ws, token, suite, scorer)
if ranks is None:
    st.info("No public benchmark scores match this suite's candidates. Import some with `evalcore public import "
            "scores.csv` (model, benchmark, score, source) to see whether the public ranking holds on your task.")
    st.stop()
benchmarks = sorted(ranks["rows"]["benchmark"].unique())
bench = st.selectbox("Benchmark", benchmarks, key="benchmark", bind="query-params",
                     index=controls.bound_index("benchmark", benchmarks, benchmarks[0]))
# largest difference on the task first; all of them listed (the box had "8 flips" and showed 3, the rest nowhere)
sig = sorted((f for f in ranks["flips"] if f["benchmark"] == bench and f["significant"]), key=lambda f: -f["task_gap"])
if sig:
    st.warning(f"**{fmt.count(len(sig), 'rank flip')} against {data.markdown_safe(bench)} significant on your "
               f"data**{', the largest first' if len(sig) > 1 else ''}:\n"
               + data.bullets([f["text"] for f in sig[:3]])
               + (f"\n\n{'The other one is' if len(sig) == 4 else f'The other {len(sig) - 3} are'} under "
                  f"\"All {len(sig)} significant flips\"." if len(sig) > 3 else ""))
else:
    st.info(f"No rank flip against {data.markdown_safe(bench)} is significant on your data.")
rho = ranks["correlations"].get(bench)
left, right = st.columns([3, 2])
chart_out.show(left, lambda: charts.rank_chart(ranks["rows"], bench, families), width="stretch", key="rank_chart",
               cache=(ws, token, suite, scorer, bench))
with right:
    st.metric("Rank correlation (Spearman)", "n/a" if rho is None else f"{rho:+.2f}",
              help="+1: the public benchmark orders these candidates as your task does")
    if len(sig) > 3:
        with st.expander(f"All {fmt.count(len(sig), 'significant flip')}", key="significant_flips"):
            st.markdown(data.bullets([f["text"] for f in sig]))
    others = [f for f in ranks["flips"] if f["benchmark"] == bench and not f["significant"]]
    if others:
        with st.expander(f"{fmt.count(len(others), 'other flip')}, not significant", key="other_flips"):
            st.markdown(data.bullets([f["text"] for f in others]))
    if ranks["unmatched"]:
        st.caption("No public score for: " + data.markdown_safe(fmt.names(ranks["unmatched"], limit=10)) + ".")
