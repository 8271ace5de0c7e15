"""Compare: the leaderboard with intervals, quality against cost, a head-to-head of any two, per tag."""

import streamlit as st

import chart_out
import controls
import data
import table_columns
from evalcore import charts
from evalcore import formatting as fmt

ws = data.workspace()
token = data.data_token(ws)

st.title("Compare")
suite, scorer = controls.suite_and_scorer(ws, token)
board = controls.board_or_stop(ws, token, suite, scorer)
if controls.all_calls_failed(board, suite, scorer):  # a "leader" at 0.000 and everyone "could be best" misled
    st.stop()
rows = data.board_table(board)
ltoken = data.labels_token(ws)
rows["human"] = data.human_column(ws, token, ltoken, suite, rows["candidate"].tolist())
order = rows["candidate"].tolist()  # rank, then mean: the one order of every table and chart on this page
families = data.families(ws, token, suite)

st.subheader(f"Leaderboard: {data.markdown_safe(scorer)} on {fmt.count(board['n_examples'], 'example')}")
st.dataframe(
    rows, hide_index=True, key="compare_table", row_height=table_columns.ROW,
    height=table_columns.table_height(len(rows)),
    column_order=[*table_columns.LEADERBOARD_IN_VIEW, "vs_leader", *table_columns.LEADERBOARD_MORE, "p95", "family",
                  "human"],
    column_config=table_columns.leaderboard_columns() | {
        "p95": st.column_config.TextColumn("p95 latency", width="small"),
        "family": st.column_config.TextColumn("family", width="small"),
        "vs_leader": st.column_config.TextColumn(
            f"vs leader ({fmt.level(board['vs_leader_confidence'])})", width=160,  # "-0.314 [-0.491, -0.158]" whole
            help=f"paired difference from the leader with its {board['vs_leader_confidence'] * 100:.3g}% interval: "
                 f"one-sided 95% over the {fmt.count(board['vs_leader_comparisons'], 'comparison')} with the leader, "
                 "so a candidate whose interval lies below 0 is one 'could be best' leaves out"),
        "human": st.column_config.TextColumn("human rating", width=210,  # "4.20 [3.81, 4.59], ok 85%" read whole
                                             help="mean 1-5 rating and 'ok to show' rate, once outputs are labeled"),
    },
)
st.caption("Ordered by mean; the table scrolls sideways to the gap to the leader, latency, errors and human ratings. "
           "'Could be best': no candidate is credibly better (paired tests); 'vs leader': the paired gap with its "
           f"{fmt.level(board['vs_leader_confidence'])} interval, adjusted for the "
           f"{fmt.count(board['vs_leader_comparisons'], 'comparison')} with the leader (the 95% interval column is "
           "each mean's own). Human ratings and the \"ok to show\" rate join this table once outputs are labeled on "
           "the Label page.")
for note in board["notes"]:
    st.caption(note)
if (data.human_summary(ws, token, ltoken, suite)["n_examples"] > 0).any():
    with st.expander("People's ratings (Label page)", key="compare_people", on_change="rerun") as people:
        if people.open:  # rendered on opening: a closed expander's table still costs its grid on first render
            st.dataframe(data.human_summary_table(ws, token, ltoken, suite), hide_index=True,
                         key="compare_people_table", column_config=table_columns.people_columns())
            st.caption("Mean 1-5 rating with its 95% interval and the \"ok to show\" rate (Wilson), per candidate, "
                       "from the reviewers' latest answers; a candidate with too few labeled examples is marked so.")

chart_out.show(st, lambda: charts.leaderboard_chart(board["rows"], score_label=f"mean {scorer}", families=families),
               width="stretch", key="compare_interval_chart", cache=(ws, token, suite, scorer))
placed = charts.cost_placement(board["rows"])
unpriced, free = placed["unpriced"], placed["free"]
COST_FIX = ("set `input_price_per_mtok` and `output_price_per_mtok` for the candidates in suite.yaml (the next "
            "`evalcore run` prices its calls) or, for imported outputs, import them again with a `cost_usd` column")
if not placed["charted"]:  # no axis to draw (it spanned NaN and the browser showed a JSON error instead)
    if not free:
        why = f"no candidate has a known cost ({data.markdown_safe(fmt.names(unpriced, limit=10))}: no price known)"
    elif not unpriced:
        why = f"every candidate's cost is $0 ({data.markdown_safe(fmt.names(free, limit=10))})"
    else:
        why = (f"no candidate has a known cost above $0 ({data.markdown_safe(fmt.names(free))}: $0; "
               f"{data.markdown_safe(fmt.names(unpriced))}: no price known)")
    st.info(f"**No quality-against-cost chart:** {why}, so there is nothing to weigh the scores against. To draw it, "
            f"{COST_FIX}." + (" If $0 is right (local models), cost does not separate them: the leaderboard above "
                              "is the comparison." if free else ""))
else:
    frontier = data.pareto_frontier(board["rows"])
    right = st.container()
    chart_out.show(right, lambda: charts.quality_cost_chart(board["rows"], families, frontier,
                                                            score_label=f"mean {scorer}"),
                   width="stretch", key="quality_cost_chart", cache=(ws, token, suite, scorer))
    if unpriced:
        right.caption(f"Not on the chart (no known price): {data.markdown_safe(fmt.names(unpriced))}. To place them, "
                      f"{COST_FIX}.")
    if free:
        right.caption(f"Not on the chart (free: $0 has no place on a log axis): "
                      f"{data.markdown_safe(fmt.names(free))}.")
    if frontier:
        right.caption(f"Pareto frontier (nothing cheaper scores higher), cheapest first: "
                      f"{data.markdown_safe(fmt.names(frontier, limit=10))}.")

st.subheader("Head-to-head")
if len(order) < 2:
    st.info("A head-to-head needs two candidates; this suite has one.")
else:
    ca, cb = st.columns(2)
    a = ca.selectbox("Candidate A", order, key="a", bind="query-params",
                     index=controls.bound_index("a", order, order[0]))
    b = cb.selectbox("Candidate B", order, key="b", bind="query-params",
                     index=controls.bound_index("b", order, order[1]))
    if a == b:
        st.info("Pick two different candidates.")
    else:
        paired = data.comparison(ws, token, suite, scorer, a, b)
        h2h = data.head_to_head(ws, token, suite, scorer, a, b)
        if paired["versions_note"]:
            st.warning(paired["versions_note"])
        (st.success if paired["significant_in_leaderboard"] else st.info)(paired["summary"])
        m1, m2, m3 = st.columns(3)
        m1.metric(f"{data.markdown_safe(a)} better", h2h["wins"])
        m2.metric(f"{data.markdown_safe(b)} better", h2h["losses"])
        m3.metric("same score", h2h["ties"])
        with st.expander("The paired test in full", key="paired_details"):
            st.markdown(data.bullets(paired["lines"]))
        differ = h2h["rows"][h2h["rows"]["outcome"] != "same"].head(8)
        if len(differ):
            st.markdown("**Where they differ most** (open one in Explore):")
            for r in differ.to_dict("records"):
                tags = f" ({', '.join(r['tags'])})" if len(r["tags"]) else ""  # not "()" on untagged examples
                label = f"{r['example_id']}: {a} {fmt.score(r['a'])}, {b} {fmt.score(r['b'])}{tags}"
                st.page_link("views/explore.py", label=data.markdown_safe(label),
                             query_params=controls.link_params(suite, scorer, example=r["example_id"]))

st.subheader("Per tag")
cells = data.tag_cells(ws, token, suite, scorer)
if cells.empty:
    st.info("The examples carry no tags: tag edge cases (ambiguous, malformed, ...) in the dataset to see them here.")
else:
    chart_out.show(st, lambda: charts.tag_heatmap(cells, order), width="stretch", key="tag_heatmap",
                   cache=(ws, token, suite, scorer))
