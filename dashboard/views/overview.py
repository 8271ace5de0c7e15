"""Overview: which candidate to pick on a suite, how sure that is, and what quality costs."""

import streamlit as st

import charts
import data
from evalcore.errors import EvalcoreError

ws = data.workspace()
token = data.data_token(ws)

st.title("Overview")
st.caption(f"Workspace `{ws}` (set `EVALCORE_WORKSPACE` to show another).")

suites = data.suites(ws, token)
if not suites:
    st.info(
        f"No results in this workspace yet.\n\n"
        f"- Try the offline demo (synthetic data, no API keys): `evalcore demo --workspace {ws}`, then reload.\n"
        f"- Or measure your own task: `evalcore init my-task`, edit `my-task/suite.yaml`, then "
        f"`evalcore run my-task/suite.yaml --workspace {ws}`."
    )
    st.stop()

notice = st.container()  # the synthetic-data warning goes above everything once the suite is known
left, right = st.columns(2)
suite = left.selectbox("Suite", suites, key="suite")
scorers = data.scorers(ws, token, suite)
if not scorers:
    st.info(f"Suite `{suite}` has results but no scores yet: a run is still going, or scoring failed. "
            f"`evalcore runs --suite {suite} --workspace {ws}` shows its runs.")
    st.stop()
if st.session_state.get("scorer") not in scorers:  # a new suite: start from its primary scorer
    st.session_state["scorer"] = scorers[0]
scorer = right.selectbox("Scorer", scorers, key="scorer",
                         help="The suite's scorers; the first is its primary one. Scores are in [0, 1].")
if suite == data.DEMO_SUITE:
    notice.warning(data.SYNTHETIC_NOTICE, icon="⚠️")

try:
    board = data.leaderboard(ws, token, suite, scorer)
    verdict = data.decision(ws, token, suite, scorer)
except EvalcoreError as exc:
    st.error(data.markdown_safe(str(exc)))
    st.stop()

(st.success if verdict["confident"] else st.info)(verdict["text"])
with st.expander("The numbers behind this", key="decision_details"):
    st.markdown("\n".join(f"- {line}" for line in verdict["lines"]))

repeats = f", {board['repeats']} runs each" if board["repeats"] > 1 else ""
st.subheader(f"Leaderboard: {scorer} on {board['n_examples']} examples{repeats}")
st.altair_chart(charts.leaderboard_chart(board["rows"], score_label=f"mean {scorer}"), width="stretch",
                key="leaderboard_chart")
st.dataframe(
    board["rows"],
    hide_index=True,
    key="leaderboard_table",
    row_height=35,
    height=36 + 35 * len(board["rows"]),  # every candidate visible, no inner scrollbar
    column_order=["rank", "candidate", "mean", "low", "high", "n", "pass_rate", "tied_with", "errors",
                  "cost_per_example_usd", "latency_p50_ms", "family", "release"],
    column_config={
        "rank": st.column_config.NumberColumn("rank", format="%d", width="small", pinned=True,
                                              help="1 + the number of candidates significantly better"),
        "candidate": st.column_config.TextColumn("candidate", pinned=True),
        "mean": st.column_config.NumberColumn("mean", format="%.3f", width="small"),
        "low": st.column_config.NumberColumn("95% low", format="%.3f", width="small"),
        "high": st.column_config.NumberColumn("95% high", format="%.3f", width="small"),
        "n": st.column_config.NumberColumn("n", format="%d", width="small", help="examples scored"),
        "pass_rate": st.column_config.NumberColumn("pass rate", format="percent", width="small"),
        "tied_with": st.column_config.ListColumn("tied with", width="medium",
                                                 help="candidates no paired test separated from this one "
                                                      "(click a cell for the whole list)"),
        "errors": st.column_config.NumberColumn("errors", format="%d", width="small", help="failed calls"),
        "cost_per_example_usd": st.column_config.NumberColumn("$/example", format="$%.5g",
                                                              help="mean cost of one call"),
        "latency_p50_ms": st.column_config.NumberColumn("p50 ms", format="%.0f", width="small",
                                                        help="median latency of successful calls"),
        "family": st.column_config.TextColumn("family", width="small"),
        "release": st.column_config.TextColumn("release", width="small"),
    },
)
st.caption(
    "Candidates that share a rank are statistically tied: paired tests on the same examples, Holm-corrected "
    "over all pairs, could not tell them apart. Ties need not be transitive, so each row lists its own. "
    "Intervals are 95%."
)
for note in board["notes"]:
    st.caption(note)

with st.expander("Runs", key="runs"):
    st.dataframe(
        data.runs(ws, token, suite),
        hide_index=True,
        key="runs_table",
        column_config={
            "run_id": st.column_config.TextColumn("run"),
            "started_at": st.column_config.TextColumn("started (UTC)"),
            "finished_at": st.column_config.TextColumn("finished (UTC)"),
            "spent_usd": st.column_config.NumberColumn("spent", format="dollar", help="cost of uncached calls"),
            "suite_version": st.column_config.TextColumn("suite version",
                                                         help="hash of the examples, prompt and scorers"),
        },
    )
