"""Overview: the decision card. A headline to act on in five seconds (what to pick under a policy and an
acceptable quality margin, or exactly why there is no pick), then the evidence, what changed since the
previous run, and the workspace's suites with their latest runs."""

import pandas as pd
import streamlit as st

import chart_out
import controls
import data
import table_columns
from evalcore import charts
from evalcore import formatting as fmt

ws = data.workspace()
token = data.data_token(ws)

st.title("Overview")
if controls.can_edit():  # viewers of a shared dashboard never see the server's paths
    st.caption(f"Workspace `{ws}` (set `EVALCORE_WORKSPACE` to show another).")

suite, scorer = controls.suite_and_scorer(ws, token)

board = controls.board_or_stop(ws, token, suite, scorer)

# The policy and margin: the suite's declared ones, changeable here, kept in the URL.
declared_policy, declared_margin = data.declared_policy(ws, token, suite)
if st.session_state.get("policy_of") not in (None, suite):  # another suite: its own declared policy and margin,
    st.session_state.pop("policy", None)  # not the last one's (the same suite read two ways by how one got there)
    st.session_state.pop("margin", None)
st.session_state["policy_of"] = suite
if st.session_state.get("policy") not in data.POLICY_LABELS:
    st.session_state["policy"] = declared_policy
if "margin" in st.session_state and not isinstance(st.session_state["margin"], float):
    del st.session_state["margin"]
MARGIN_RANGE = (0.001, 0.999)  # the decision needs a margin above 0 and below the score range
controls.link_number("margin", *MARGIN_RANGE, f"{float(st.session_state.get('margin', declared_margin)):.3f}")
p_col, m_col = st.columns([2, 1])
policy = controls.labelled_choice(p_col, "Pick by", data.POLICY_LABELS, key="policy",
                                  help="Among the candidates not credibly worse than the leader, pick the best, "
                                       "the cheapest or the fastest")
margin = m_col.number_input("Acceptable quality drop", min_value=MARGIN_RANGE[0], max_value=MARGIN_RANGE[1], step=0.01,
                            format="%.3f",
                            key="margin", bind="query-params", value=float(declared_margin),
                            help="A drop from the leader's score up to this much is fine, e.g. 0.02")
ltoken = data.labels_token(ws)
rec = data.recommendation(ws, token, ltoken, suite, scorer, policy or declared_policy, float(margin))



def report_button() -> None:
    """The same decision and evidence as one file for people without the dashboard; built only when clicked. Also
    offered when there is no leader: the report then says why, as this page does."""
    report_args = (ws, token, ltoken, suite, scorer, rec["policy"], float(rec["margin"]))
    st.download_button("Download report", data=lambda: data.report_html(*report_args), key="download_report",
                       file_name=f"{suite}-report.html", mime="text/html", on_click="ignore",
                       help="One HTML file with the decision, leaderboard, ratings, trends, tags and the worst "
                            "cases; it opens offline, with nothing to run")


rows = board["rows"]
if controls.all_calls_failed(board, suite, scorer):
    report_button()
    st.stop()
if rec["status"] == "no_scores":
    st.error(f"**No scores**: {rec['headline']} If a judge scored this suite, its replies may have been "
             "unreadable: open Explore to read the scorer details, then `evalcore run` again.")
    report_button()
    st.stop()

def _gap(row: dict) -> str:
    """A candidate's paired gap to the leader with its interval; the leader's own row says so."""
    if row["candidate"] == rec["leader"]:
        return "leader"
    if row["diff"] is None:
        return "-"
    return f"{fmt.diff(row['diff'])} {fmt.diff_interval(row['diff_low'], row['diff_high'])}"


card = st.container(border=True)
with card:
    (st.success if rec["status"] == "pick" else st.info)(f"**{rec['headline']}**")
    for warning in rec["warnings"]:
        st.warning(warning)
    people = rec["people"]
    if (rec["status"] == "inconclusive" and rec["shared_examples"] >= 2
            and not (people and people["worse"] and people["auto_pick"])):
        st.caption(rec["no_pick"])  # the report's words: how many are ruled out, what would decide
    labeled = bool(people and people["labeled"])
    if labeled and people["weighed"] and people["pick"] and people["pick"]["human_n"]:
        st.caption(f"People on {data.markdown_safe(rec['pick'])}: {data.people_cell(people['pick'])}. "
                   "People's ratings are weighed: a candidate they rate credibly worse than another is never picked.")
    elif labeled and not people["weighed"]:
        st.caption(people["note"])
    alts = rec["evidence"]
    if not alts.empty:
        order = rows["candidate"].tolist()
        alts = alts.set_index("candidate").reindex([c for c in order if c in set(alts["candidate"])]).reset_index()
        view = pd.DataFrame({  # the figures a pick rests on first, so a 1,024 px screen shows them; the verdict last
            "candidate": alts["candidate"],
            "vs leader": [_gap(r) for r in alts.to_dict("records")],
            "cost per 1,000": [fmt.money(c * 1000) if pd.notna(c) else "unknown price"
                               for c in alts["cost_per_example_usd"]],
            "p50 latency": alts["latency_p50_ms"].map(fmt.latency),
            "verdict": alts["verdict"],
        })
        if labeled:  # what people said, beside the scores
            view["people"] = [data.people_cell(r) for r in alts.to_dict("records")]
            view["people say"] = [f"credibly worse: {w}" if isinstance(w, str) else ""
                                  for w in alts["people_worse"]]
        if rec["pick"]:
            view.insert(0, "pick", view["candidate"] == rec["pick"])
        with st.expander("The evidence", key="decision_details", on_change="rerun") as evidence:
            if evidence.open:  # a closed expander's table would still cost its grid on every first render
                st.dataframe(view, hide_index=True, key="decision_table",
                             column_config={"pick": st.column_config.CheckboxColumn("pick", width="small"),
                                            "candidate": st.column_config.TextColumn("candidate", pinned=True),
                                            "vs leader": st.column_config.TextColumn("vs leader", width=165),
                                            "cost per 1,000": st.column_config.TextColumn(width=105),
                                            "p50 latency": st.column_config.TextColumn(width=80),
                                            "verdict": st.column_config.TextColumn("verdict", width=560)})
                st.markdown(data.bullets(rec["details"]))

report_button()

repeats = f", {board['repeats']} runs each" if board["repeats"] > 1 else ""
st.subheader(f"Leaderboard: {data.markdown_safe(scorer)} on {fmt.count(board['n_examples'], 'example')}{repeats}")
chart_out.show(st, lambda: charts.leaderboard_chart(rows, score_label=f"mean {scorer}",
                                                   families=data.families(ws, token, suite)),
               width="stretch", key="leaderboard_chart", cache=(ws, token, suite, scorer))
table = data.board_table(board)
st.dataframe(
    table,
    hide_index=True,
    key="leaderboard_table",
    row_height=table_columns.ROW,
    height=table_columns.table_height(len(table)),  # every candidate visible, no inner scrollbar
    column_order=[*table_columns.LEADERBOARD_IN_VIEW, *table_columns.LEADERBOARD_MORE],  # Compare's order
    column_config=table_columns.leaderboard_columns(),
)
st.caption("Ordered by mean. 'Could be best': no candidate is credibly better in paired tests on shared examples "
           "(adjusted for each candidate's comparisons). Intervals are 95%. Compare has the full table.")
for note in board["notes"]:
    st.caption(note)

if (data.human_summary(ws, token, ltoken, suite)["n_examples"] > 0).any():
    st.subheader("What the reviewers said")
    st.dataframe(data.human_summary_table(ws, token, ltoken, suite), hide_index=True, key="overview_people_table",
                 column_config=table_columns.people_columns())
    st.caption("Mean 1-5 rating with its 95% interval and the \"ok to show\" rate (Wilson), from each reviewer's "
               "latest answer on the Label page. The pick above weighs them once candidates have enough labeled "
               "examples; label more where a candidate shows \"too few\".")

st.subheader("What changed since the previous run")
change = data.changes(ws, token, suite, scorer)
if change["previous_run_id"] is None:
    st.caption("This suite has one run so far: rerun it when a model ships to see what moves.")
else:
    lines = [f"Newest run `{change['run_id']}` against `{change['previous_run_id']}`."]
    if change["new_candidates"]:
        lines.append(f"New: {data.markdown_safe(fmt.names(change['new_candidates'], limit=10))}.")
    for c in [c for c in change["changes"] if c["significant"]]:
        word = "regressed" if c["regression"] else "improved"
        lines.append(data.markdown_safe(f"{c['candidate']} {word}: {fmt.score(c['before'])} -> {fmt.score(c['after'])} "
                                        f"({fmt.diff(c['diff'])}, 95% CI {fmt.diff_interval(c['low'], c['high'])}, "
                                        f"{c['n']} shared examples)."))
    steady = [c["candidate"] for c in change["changes"] if not c["significant"]]
    if steady:
        lines.append(f"No significant move: {data.markdown_safe(fmt.steady_names(steady))}.")
    if change["unpaired_note"]:
        lines.append(data.markdown_safe(change["unpaired_note"]))
    (st.warning if change["regressions"] or change["unpaired_note"] else st.markdown)("\n\n".join(lines))

st.subheader("Suites in this workspace")
st.dataframe(
    data.latest_runs(ws, token), hide_index=True, key="suites_table",
    column_config={
        "suite": st.column_config.TextColumn("suite", pinned=True),
        "run_id": st.column_config.TextColumn("latest run"),
        "started_at": st.column_config.TextColumn("started (UTC)"),
        "spent_usd": st.column_config.NumberColumn("spent", format="dollar", help="cost of uncached calls"),
    },
)
with st.expander("Every run of this suite", key="runs", on_change="rerun") as every_run:
    if every_run.open:  # rendered on opening: a closed expander's table still costs its grid on first render
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
