"""Explore: the failing edge cases. Filter, then read one example's input, reference and every candidate's
output side by side. Outputs are text (`text_out`, st.text): never interpreted as HTML, markdown or scripts."""

import json

import streamlit as st

import controls
import data
import table_columns
import text_out
from evalcore import formatting as fmt
from evalcore.analysis import NoScoresError
from evalcore.errors import EvalcoreError

ws = data.workspace()
token = data.data_token(ws)

st.title("Explore")
suite, scorer = controls.suite_and_scorer(ws, token)
# Without readable scores (outputs imported without --judge, a judge that failed) the outputs are still there to
# read: they are listed "not scored", under the library's message on why and what to do, instead of only the error.
try:
    board = data.leaderboard(ws, token, suite, scorer)
    unscored = None
except NoScoresError as exc:
    board, unscored = None, exc
except EvalcoreError:
    board = controls.board_or_stop(ws, token, suite, scorer)  # another reason (a damaged file): its message, stopped
if unscored is None:
    every = data.examples(ws, token, suite, scorer)
    order = board["rows"]["candidate"].tolist()
    tags = data.tags(ws, token, suite, scorer)
    kinds = data.error_kinds(ws, token, suite, scorer)
else:
    st.warning(data.markdown_safe(f"{unscored} The outputs are listed below, not scored."))
    every = data.unscored_examples(ws, token, suite)
    order = list(dict.fromkeys(every["candidate"]))
    tags = sorted({t for ts in every["tags"] for t in ts})
    kinds = sorted(every["error_kind"].dropna().unique().tolist())

# Every filter is bound to the URL: a view is a link. Values the suite does not have fall back to "all".
OUTCOMES = ["all", "fail", "pass", "error"] if unscored is None else ["all", "error"]  # nothing passed or failed
if not set(st.session_state.get("candidate") or []) <= set(order):
    st.session_state["candidate"] = []
controls.link_note("candidate", order, "all candidates")
# The three single choices share a row and the candidates get the next: in one row of four at 1,024 px the Tag box
# was ~100 px and showed "adversar" (an error kind such as "context_window" is longer still).
f1, f2, f3 = st.columns(3)
tag = f1.selectbox("Tag", ["all", *tags], key="tag", bind="query-params",
                   index=controls.bound_index("tag", ["all", *tags], "all"))
outcome = f2.selectbox("Outcome", OUTCOMES, key="outcome", bind="query-params",
                       index=controls.bound_index("outcome", OUTCOMES, "fail" if unscored is None else "all"),
                       help=f"fail: below the '{scorer}' pass mark on some repeat; error: the call failed")
kind = f3.selectbox("Error kind", ["all", *kinds], key="error_kind", bind="query-params", disabled=not kinds,
                    index=controls.bound_index("error_kind", ["all", *kinds], "all"))
picked = st.multiselect("Candidates", order, key="candidate", bind="query-params", placeholder="all candidates")

rows = data.example_filters(ws, token, suite, scorer, tag=None if tag == "all" else tag, candidates=picked or None,
                            outcome=outcome, error_kind=None if kind == "all" else kind, table=every)
n_examples = rows["example_id"].nunique()
st.caption(f"{fmt.count(len(rows), 'result')} on {fmt.count(n_examples, 'example')} match.")

# one above the other: side by side at 1,024 px each table showed three of its five columns (the disagreement
# table lost "worst" and "passed", the results table its tags)
st.markdown("**Matching results**")
table = rows.assign(score=rows["value"].map(fmt.score) if unscored is None else "not scored",
                    tag_list=rows["tags"].map(", ".join).map(fmt.visible),
                    example_id=rows["example_id"].map(fmt.visible), candidate=rows["candidate"].map(fmt.visible),
                    error_kind=rows["error_kind"].fillna(""))  # blank, not a grey "None", where a call succeeded
# the error column only where some call failed: blank on every row it pushed the tags off a 1,024 px screen
failed = bool((table["error_kind"] != "").any())
st.dataframe(table, hide_index=True, key="explore_table",
             height=table_columns.table_height(len(table), cap=table_columns.table_height(8)),  # then it scrolls
             column_order=["example_id", "candidate", "score", *(["error_kind"] if failed else []),
                           *(["passed"] if unscored is None else []), "tag_list"],
             column_config={"example_id": st.column_config.TextColumn("example", pinned=True),
                            "candidate": st.column_config.TextColumn("candidate"),
                            "score": st.column_config.TextColumn("score", width="small", help=scorer),
                            "passed": st.column_config.CheckboxColumn("passed", width="small"),
                            "error_kind": st.column_config.TextColumn("error", width="small"),
                            "tag_list": st.column_config.TextColumn("tags")})
st.markdown("**Where the candidates disagree most**")
disagree = data.disagreements(ws, token, suite, scorer,
                              frame=every.iloc[:0] if unscored is not None else every.pipe(
                                  lambda t: t[t["example_id"].isin(set(rows["example_id"]))]), limit=10)
if unscored is not None:
    st.caption(f"Nothing to compare: '{data.markdown_safe(scorer)}' has no scores.")
elif disagree.empty and len(rows):  # only examples with a gap above 0 are listed: where all agree, they do not disagree
    st.caption("Nowhere: on every example these filters match, all candidates have the same score.")


# the candidates at the best and worst score: naming one of nine at 0.000 as the worst singled it out
TIES = "'a and b', 'a + n others': tied at"
disagree = disagree.assign(best=[fmt.tied([fmt.visible(n) for n in names]) for names in disagree["best_names"]],
                           worst=[fmt.tied([fmt.visible(n) for n in names]) for names in disagree["worst_names"]])
disagree = disagree.assign(gap=disagree["spread"].map(fmt.score), shown_id=disagree["example_id"].map(fmt.visible),
                           passing=[f"{p} of {c}" for p, c in zip(disagree["passed"], disagree["candidates"],
                                                                 strict=True)])
if not disagree.empty:
    st.dataframe(disagree, hide_index=True, key="disagree_table",
                 height=table_columns.table_height(len(disagree)),
                 column_order=["shown_id", "gap", "best", "worst", "passing"],
                 column_config={"shown_id": st.column_config.TextColumn("example", pinned=True),
                                "gap": st.column_config.TextColumn("best - worst", width="small"),
                                "best": st.column_config.TextColumn("best", help=f"{TIES} the best score"),
                                "worst": st.column_config.TextColumn("worst", help=f"{TIES} the worst score"),
                                "passing": st.column_config.TextColumn("passed", width="small")})


def _unknown_example_hint(n_matching: int, outcome: str) -> str:
    """The next step after a link to an example the suite does not have. No filter hides it, so the advice is about
    the list shown: it said "Set Outcome to 'fail' above" while Outcome already was 'fail'."""
    if n_matching:
        listed = f"pick one of the {fmt.count(n_matching, 'example')} these filters match from the Example list above"
    elif outcome != "all":
        listed = "no example matches these filters either: set Outcome to 'all' or choose another tag"
    else:
        listed = "no example matches these filters either: choose another tag, error kind or candidate"
    failing = "" if outcome == "fail" else " Set Outcome to 'fail' to list the failing ones."
    return f"The link names an example this suite does not have (no filter hides it); {listed}.{failing}"


# The example: from the URL, else the one the candidates disagree on most among the matches. A filter change that
# drops the example shown moves to the top match (it kept showing one the filters exclude); a link that names an
# example outside its own filters still opens it, with a note saying so.
matches = list(dict.fromkeys([*disagree["example_id"], *rows["example_id"]]))
filters = (suite, scorer, tag, tuple(picked), outcome, kind)
refiltered = st.session_state.get("explore_filters") not in (None, filters)
st.session_state["explore_filters"] = filters
wanted = st.query_params.get("example") or st.session_state.get("example")
if (wanted and st.session_state.get("example_of") not in (None, suite)
        and wanted not in set(every["example_id"])):
    wanted = None  # the example picked in the suite shown before this one: this suite's first, not an error
    st.session_state.pop("example", None)
if wanted and wanted not in matches and refiltered:
    wanted = None
    st.session_state["example"] = matches[0] if matches else None
options = list(matches)
if wanted and wanted not in options:
    options.insert(0, wanted)  # a deep link to an example the filters hide still opens it
if not options:
    st.info("No result matches these filters. Set Outcome to 'all' or choose another tag.")
    st.stop()
if st.session_state.get("example") not in options:
    st.session_state["example"] = wanted if wanted in options else options[0]
# No default index: a bound box leaves its default (the first option) out of the URL, so a copied link did not name
# the example and later opened whatever was first under its filters. With none, every example shown is written.
controls.name_in_url("example", st.session_state["example"])
example_id = st.selectbox("Example", options, key="example", bind="query-params", format_func=fmt.visible,
                          index=None, placeholder="the top match") or options[0]  # `?example=` clears the box
st.session_state["example_of"] = suite
if example_id not in matches:
    st.warning(data.markdown_safe(
        f"{example_id} is not among the {fmt.count(n_examples, 'example')} these filters match: the link names it."
        if n_examples else f"No example matches these filters; {example_id} is shown because the link names it."))

try:
    ex = data.example_detail(ws, token, suite, example_id, tuple(order))
except EvalcoreError as exc:
    if example_id in set(every["example_id"]):
        st.error(data.markdown_safe(str(exc)))
    else:  # an unknown example: point to this page's filter, not to the CLI command the library's hint names
        st.error(data.markdown_safe(f"{exc.message} {_unknown_example_hint(n_examples, outcome)}"))
    st.stop()

text_out.style()
st.subheader(f"Example {data.markdown_safe(example_id)}")
st.caption("Tags: " + (data.markdown_safe(", ".join(ex["tags"])) or "none"))
i_col, r_col = st.columns(2)
with i_col:
    st.markdown("**Input**")
    text_out.show(st, ex["input"], key=f"input:{example_id}", height=320, grow=True)
with r_col:
    st.markdown("**Reference**")
    text_out.show(st, ex["expected"], key=f"expected:{example_id}", height=320, grow=True,
                  empty="(no reference answer)")


def _details(rep: dict) -> None:
    """One repeat's diff against the reference and each scorer's value and detail."""
    if rep["diff"]:
        st.code(rep["diff"], language="diff", wrap_lines=True)
    for s in rep["scores"]:
        st.text(f"{s['scorer']}: {fmt.score(s['value'])} "
                f"({'pass' if s['passed'] else 'fail' if s['passed'] is not None else '-'})")
        st.code(json.dumps(s["detail"], indent=1, ensure_ascii=False, default=str)[:4000], language="json",
                wrap_lines=True)


shown = [c for c in ex["candidates"] if not picked or c["candidate"] in picked]
st.markdown(f"**Every candidate's output** ({fmt.count(len(shown), 'candidate')}"
            f"{', in leaderboard order' if unscored is None else ''})")  # no scores, no leaderboard
PER_ROW = 2  # two outputs side by side stay readable at 1,024 px
for start in range(0, len(shown), PER_ROW):
    cols = st.columns(PER_ROW)
    for col, cand in zip(cols, shown[start:start + PER_ROW], strict=False):
        with col.container(border=True):
            st.markdown(f"**{data.markdown_safe(cand['candidate'])}**")
            if cand.get("other_version"):
                st.warning("Made for an older version of this example: the suite changed since this candidate's "
                           "run. Rerun it to compare like with like.")
            if len(cand["repeats"]) > 1:
                st.caption(f"{len(cand['repeats'])} repeats, {fmt.count(cand['distinct_outputs'], 'distinct output')}")
            for rep in cand["repeats"]:
                primary = next((s for s in rep["scores"] if s["scorer"] == scorer), None)
                value = primary["value"] if primary else None
                verdict = ("error" if rep["error_kind"] else "not scored" if value is None else
                           "pass" if primary["passed"] else "fail")  # no value: not a "fail" the scorer gave
                score = f"{scorer} not scored" if value is None else f"{scorer} {fmt.score(value)}"
                head = (f"{'repeat ' + str(rep['repeat'] + 1) + ': ' if len(cand['repeats']) > 1 else ''}"
                        f"{score}{'' if verdict == 'not scored' else f' ({verdict})'} · "
                        f"{fmt.latency(rep['latency_ms'])} · {fmt.money(rep['cost_usd'])}"
                        f"{' · cached' if rep['cached'] else ''}")
                st.caption(data.markdown_safe(head))
                if rep["error_kind"]:
                    st.error(data.markdown_safe(f"{rep['error_kind']}: {rep['error'] or 'no message'}"), icon="⚠️")
                where = f"{example_id}:{cand['candidate']}:{rep['repeat']}"
                text_out.show(st, rep["output"], key=f"output:{where}", height=320, grow=True, empty="(no output)")
                # Opening reruns the page and only then renders the diff and details: closed, they are ~60 of
                # Explore's elements at 10 candidates, and the highlighter's code the browser would fetch for them.
                with st.expander("Diff against the reference and scorer details", on_change="rerun",
                                 key=f"detail:{where}") as details:
                    if details.open:
                        _details(rep)
