"""Overview: which candidate to pick on a suite, how sure that is, and what quality costs."""

import streamlit as st

import charts
import controls
import data
from evalcore import formatting as fmt
from evalcore.errors import EvalcoreError

ws = data.workspace()
token = data.data_token(ws)

st.title("Overview")
st.caption(f"Workspace `{ws}` (set `EVALCORE_WORKSPACE` to show another).")

suite, scorer = controls.suite_and_scorer(ws, token)

try:
    board = data.leaderboard(ws, token, suite, scorer)
    verdict = data.decision(ws, token, suite, scorer)
except EvalcoreError as exc:
    st.error(data.markdown_safe(str(exc)))
    st.stop()

rows = board["rows"]
calls, errors = int(rows["calls"].sum()), int(rows["errors"].sum())
if calls and errors == calls:
    st.error(f"Every call of this suite's latest runs failed ({fmt.count(calls, 'call')}), so there is nothing to "
             "compare and no leader. Open Explore with Outcome 'error' to read the error messages, fix the cause "
             "(a key, a model name, a server), then `evalcore run` again: failed calls are retried.")
    st.page_link("views/explore.py", label="Read the errors in Explore",
                 query_params=controls.link_params(suite, scorer, outcome="error"))
    st.stop()
(st.success if verdict["confident"] else st.info)(verdict["text"])
with st.expander("The numbers behind this", key="decision_details"):
    st.markdown("\n".join(f"- {line}" for line in verdict["lines"]))

repeats = f", {board['repeats']} runs each" if board["repeats"] > 1 else ""
st.subheader(f"Leaderboard: {scorer} on {board['n_examples']} examples{repeats}")
st.altair_chart(charts.leaderboard_chart(board["rows"], score_label=f"mean {scorer}",
                                        families=data.families(ws, token, suite)), width="stretch",
                key="leaderboard_chart")
st.dataframe(
    board["rows"],
    hide_index=True,
    key="leaderboard_table",
    row_height=35,
    height=36 + 35 * len(board["rows"]),  # every candidate visible, no inner scrollbar
    column_order=["rank", "candidate", "mean", "low", "high", "could_be_best", "diff_vs_best", "n", "pass_rate", "errors",
                  "cost_per_example_usd", "latency_p50_ms", "family", "release"],
    column_config={
        "rank": st.column_config.NumberColumn("rank", format="%d", width="small", pinned=True,
                                              help="position by mean (1 = best mean)"),
        "candidate": st.column_config.TextColumn("candidate", pinned=True),
        "mean": st.column_config.NumberColumn("mean", format="%.3f", width="small"),
        "low": st.column_config.NumberColumn("95% low", format="%.3f", width="small"),
        "high": st.column_config.NumberColumn("95% high", format="%.3f", width="small"),
        "n": st.column_config.NumberColumn("n", format="%d", width="small", help="examples scored"),
        "pass_rate": st.column_config.NumberColumn("pass rate", format="percent", width="small"),
        "could_be_best": st.column_config.CheckboxColumn("could be best", width="small",
                                                         help="no candidate is credibly better (paired tests)"),
        "diff_vs_best": st.column_config.NumberColumn("vs leader", format="%+.3f", width="small",
                                                      help="paired difference from the leader on shared examples"),
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
    "Ordered by mean. 'Could be best': no candidate is credibly better in paired tests on shared examples "
    "(adjusted for each candidate's comparisons). Intervals are 95%."
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

st.subheader("What changed since the previous run")
change = data.changes(ws, token, suite, scorer)
if change["previous_run_id"] is None:
    st.caption("This suite has one run so far: rerun it when a model ships to see what moves.")
else:
    lines = [f"Newest run `{change['run_id']}` against `{change['previous_run_id']}`."]
    if change["new_candidates"]:
        lines.append(f"New: {data.markdown_safe(fmt.names(change['new_candidates'], limit=10))}.")
    moved = [c for c in change["changes"] if c["significant"]]
    for c in moved:
        word = "regressed" if c["regression"] else "improved"
        lines.append(data.markdown_safe(f"{c['candidate']} {word}: {fmt.score(c['before'])} -> {fmt.score(c['after'])} "
                                        f"({fmt.diff(c['diff'])}, 95% CI {fmt.diff_interval(c['low'], c['high'])}, "
                                        f"{c['n']} shared examples)."))
    steady = [c["candidate"] for c in change["changes"] if not c["significant"]]
    if steady:
        lines.append(f"No significant move: {data.markdown_safe(fmt.names(steady, limit=4))}.")
    (st.warning if change["regressions"] else st.markdown)("\n\n".join(lines))
