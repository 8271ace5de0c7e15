"""Data: the workspace's suites; create one or edit its candidates and scorers; upload examples and outputs.

Everything typed or uploaded here is validated by the library before anything is written (the suite model, the
examples reader, the outputs import), and written atomically, so a rejected upload leaves the workspace as it was.
"""

from pathlib import Path

import pandas as pd
import streamlit as st

import controls
import data
import table_columns
from evalcore import formatting as fmt
from evalcore import workspace_suites as wsuites
from evalcore.errors import EvalcoreError
from evalcore.suite import load_suite
from feedback import show_error

ws = data.workspace()
token = data.suites_token(ws)
safe = data.markdown_safe

st.title("Data")
st.caption(f"Workspace `{ws}`. Suites made here live in its `suites/` folder, one folder per suite "
           "(`suite.yaml` and its examples).")

SCORER_TYPES = ["exact", "contains", "regex", "json_valid", "json_schema", "json_fields", "numeric", "python",
                "llm_judge"]
CANDIDATE_COLUMNS = {
    "name": st.column_config.TextColumn("name", required=True, help="letters, digits, . _ -"),
    "model": st.column_config.TextColumn("model", required=True, help="litellm model string, e.g. openai/gpt-4o-mini"),
    "family": st.column_config.TextColumn("family", help="for trends across releases"),
    "release": st.column_config.TextColumn("release", help="YYYY-MM-DD"),
    "api_base": st.column_config.TextColumn("api_base", help="for local or OpenAI-compatible servers"),
    "api_key_env": st.column_config.TextColumn("api_key_env", help="the environment variable holding the key"),
    "input_price_per_mtok": st.column_config.NumberColumn("$ in / M tok", min_value=0.0, format="%.4g"),
    "output_price_per_mtok": st.column_config.NumberColumn("$ out / M tok", min_value=0.0, format="%.4g"),
    "params": st.column_config.TextColumn("params (JSON)", help='e.g. {"temperature": 0, "max_tokens": 50}'),
}
SCORER_COLUMNS = {
    "type": st.column_config.SelectboxColumn("type", options=SCORER_TYPES, required=True),
    "name": st.column_config.TextColumn("name", help="defaults to the type"),
    "options": st.column_config.TextColumn("options (JSON)", help='e.g. {"case_sensitive": false}'),
}


def _table(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    """Rows for an editable table: an unset text cell is blank (the editor printed a grey "None" in each), an unset
    price empty; saving reads both as unset."""
    frame = pd.DataFrame(rows, columns=columns)
    prices = [c for c in columns if c.endswith("_per_mtok")]
    text = [c for c in columns if c not in prices]
    frame[text] = frame[text].astype(object).where(frame[text].notna(), "")
    frame[prices] = frame[prices].astype(float)
    return frame


def _records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


# -- the suites -------------------------------------------------------------------------------------------------
suites = controls.or_stop(data.workspace_suites, ws, token)  # a workspace that is a file: said, not a traceback
st.subheader("Suites")
if suites:
    listing = pd.DataFrame(suites, columns=["name", "where", "candidates", "scorers", "dataset", "runs", "problem"])
    listing = listing.fillna({"problem": "", "dataset": ""})
    # the long list last: ten candidates' chips pushed scorers, dataset and runs off a 1,024 px screen; a problem
    # column only when a suite has one
    order = ["name", "where", "runs", "scorers", "dataset", *(["problem"] if (listing["problem"] != "").any() else []),
             "candidates"]
    st.dataframe(
        listing, column_order=order,
        hide_index=True, key="suites_table", width="stretch",
        column_config={"name": st.column_config.TextColumn("suite", pinned=True),
                       "where": st.column_config.TextColumn("suite file", help="workspace: its suites/ folder; "
                                                            "runs only: known from its runs, file elsewhere"),
                       "candidates": st.column_config.ListColumn("candidates"),
                       "scorers": st.column_config.ListColumn("scorers"),
                       "runs": st.column_config.NumberColumn("runs", format="%d", width="small"),
                       "problem": st.column_config.TextColumn("problem", width="large")},
    )
else:
    st.info("No suites in this workspace yet: create one below.")

with st.expander("Create a suite", expanded=not suites, key="create_suite"):
    with st.form("new_suite", enter_to_submit=False):
        name = st.text_input("Name", key="new_name", help="letters, digits, . _ - (it names a folder)")
        description = st.text_input("Description", key="new_description")
        prompt = st.text_area("Prompt", value="{{ input }}", key="new_prompt",
                              help="Jinja over the dataset's columns: {{ input }}, {{ expected }}, any column by name")
        st.caption("Candidates: one row per model to compare.")
        new_cands = st.data_editor(_table([{"name": "", "model": ""}], list(CANDIDATE_COLUMNS)), key="new_candidates",
                                   num_rows="dynamic", hide_index=True, column_config=CANDIDATE_COLUMNS,
                                   width="stretch")
        st.caption("Scorers: the first is the primary score.")
        new_scorers = st.data_editor(_table([{"type": "exact"}], list(SCORER_COLUMNS)), key="new_scorers",
                                     num_rows="dynamic", hide_index=True, column_config=SCORER_COLUMNS,
                                     width="stretch")
        create = st.form_submit_button("Create suite", key="create_suite_button")
    if create:
        try:
            doc = wsuites.apply_form({}, name=name.strip(), description=description, prompt=prompt,
                                     dataset="examples.csv", candidates=_records(new_cands),
                                     scorers=_records(new_scorers))
            made = wsuites.save_suite(ws, doc)
        except EvalcoreError as exc:
            show_error(exc)
        else:
            st.session_state["data_suite"] = made.name
            st.session_state["_data_notice"] = ("suite", [f"Created suite {made.name}. Upload its examples below."])
            st.rerun()

notice = st.session_state.get("_data_notice")
if notice and notice[0] == "suite":
    st.success(safe(notice[1][0]))
    del st.session_state["_data_notice"]

editable = [s for s in suites if s["path"]]
if not editable:
    st.stop()

# -- one suite ----------------------------------------------------------------------------------------------------
st.subheader("Suite")
names = [s["name"] for s in editable]
if st.session_state.get("data_suite") not in names:
    st.session_state["data_suite"] = names[0]
chosen = st.selectbox("Suite", names, key="data_suite")
entry = next(s for s in editable if s["name"] == chosen)
read_only = entry["where"] == "demo"
if entry["problem"]:
    show_error(EvalcoreError(entry["problem"]))
if read_only:
    st.info("This is the demo's suite: shown here, but read-only. Create a suite of your own to edit.")

try:
    doc = wsuites.load_document(ws, chosen)
except EvalcoreError as exc:
    if not entry["problem"]:  # a file that is not YAML is the listing's problem too: said once, above
        show_error(exc)
    st.stop()

with st.expander("Candidates and scorers", expanded=False, key="edit_suite"):
    comments = 0 if read_only or not entry["path"] else wsuites.comment_lines(Path(entry["path"]))
    if comments:
        st.warning(f"{safe(Path(entry['path']).name)} has {fmt.count(comments, 'comment line')}: saving here (or "
                   "uploading examples in another format) writes the file anew without them. The previous file is "
                   f"kept beside it as {wsuites.BACKUP_NAME}.")
    with st.form("edit_suite_form", enter_to_submit=False):
        edit_description = st.text_input("Description", value=doc.get("description", ""), key="edit_description")
        st.caption("Candidates: one row per model to compare (add a row at the bottom; select rows to delete them).")
        edit_cands = st.data_editor(_table(wsuites.candidate_rows(doc), list(CANDIDATE_COLUMNS)),
                                    key=f"edit_candidates_{chosen}", num_rows="dynamic", hide_index=True,
                                    column_config=CANDIDATE_COLUMNS, width="stretch", disabled=read_only)
        st.caption("Scorers: the first is the primary score. Options are the scorer's keys as JSON.")
        edit_scorers = st.data_editor(_table(wsuites.scorer_rows(doc), list(SCORER_COLUMNS)),
                                      key=f"edit_scorers_{chosen}", num_rows="dynamic", hide_index=True,
                                      column_config=SCORER_COLUMNS, width="stretch", disabled=read_only)
        save = st.form_submit_button("Save suite", key="save_suite_button", disabled=read_only)
    if save:
        try:
            new_doc = wsuites.apply_form(doc, description=edit_description, candidates=_records(edit_cands),
                                         scorers=_records(edit_scorers))
            wsuites.save_suite(ws, new_doc, replace=chosen)
        except EvalcoreError as exc:
            show_error(exc)
        else:
            st.session_state["_data_notice"] = ("suite", [f"Saved suite {chosen}."])
            st.rerun()

# -- examples -------------------------------------------------------------------------------------------------------
st.subheader("Examples")
try:
    current = data.suite_examples(ws, token, entry["path"])
    st.caption(f"{fmt.count(len(current), 'example')} in {safe(doc.get('dataset', ''))}.")
    st.dataframe(current, hide_index=True, key="current_examples", width="stretch",
                 height=table_columns.table_height(len(current), 388),
                 column_config=table_columns.example_columns())
except EvalcoreError as exc:
    st.info(f"No usable examples yet: {safe(str(exc).splitlines()[0])}")

if not read_only:
    left, right = st.columns([2, 1])
    # A new key once a file is used: the saved file left in the box kept its preview ("Nothing is saved until you
    # say so") under "Saved ...", and its button could save it again.
    upload = left.file_uploader("Upload examples (CSV, JSONL or Parquet)",
                                key=f"examples_upload_{st.session_state.get('_uploads_used', 0)}",
                                type=[s.lstrip(".") for s in wsuites.EXAMPLE_SUFFIXES])
    encoding = right.selectbox("Text encoding", ["UTF-8", "cp1252", "latin-1", "utf-16"], key="examples_encoding",
                               help="Excel's 'CSV' is often cp1252; 'CSV UTF-8' is UTF-8")
    if upload is not None:
        enc = None if encoding == "UTF-8" else encoding
        raw = upload.getvalue()
        preview: list | None = None
        try:
            columns = load_suite(entry["path"]).columns
            preview = wsuites.preview_examples(raw, upload.name, columns, encoding=enc)
        except EvalcoreError as exc:
            show_error(exc)
        # A file the prompt cannot be filled in from fails every run of the suite: an error, as `evalcore validate`
        # says, and no button to save it (it read "2 valid examples" in green, with a warning and a Save button).
        unrendered = wsuites.prompt_problem(entry["path"], preview) if preview is not None else None
        if unrendered:
            st.error(f"{safe(upload.name)}, {safe(unrendered)} Nothing was saved: add the column to the file, or "
                     f"change the prompt in {safe(str(entry['path']))} to use only the file's columns.")
        elif preview is not None:
            tags = sorted({t for e in preview for t in e.tags})
            st.success(f"{safe(upload.name)}: {fmt.count(len(preview), 'valid example')}"
                       + (f", tags: {safe(', '.join(tags))}" if tags else "") + ". Nothing is saved until you say so.")
            st.dataframe(data.examples_frame(preview), hide_index=True, key="examples_preview", width="stretch",
                         height=table_columns.table_height(len(preview), 388),
                         column_config=table_columns.example_columns())
            # What saving drops, before the button: one click replaced a curated set with a 3-row test export, and
            # nothing said which ids went (audit 5). The button says the counts too.
            change = controls.or_stop(wsuites.examples_change, ws, chosen, preview)
            said = data.bullets([safe(line) for line in change.lines()[1:]])
            (st.warning if change.replaces or change.problem else st.info)(
                safe(change.lines()[0]) + (f"\n\n{said}" if said else ""), icon=":material/difference:")
            if st.button(change.button(), key="save_examples", type="primary"):
                try:
                    wsuites.save_examples(ws, chosen, raw, upload.name, encoding=enc)
                except EvalcoreError as exc:
                    show_error(exc)
                else:
                    kept = f" The previous dataset is kept as {change.backup}." if change.backup else ""
                    st.session_state["_data_notice"] = ("examples", [f"Saved {fmt.count(len(preview), 'example')} as "
                                                                     f"the dataset of {chosen}.{kept}"])
                    st.session_state["_uploads_used"] = st.session_state.get("_uploads_used", 0) + 1
                    st.rerun()
    notice = st.session_state.get("_data_notice")
    if notice and notice[0] == "examples":
        st.success(safe(notice[1][0]))
        del st.session_state["_data_notice"]

# -- outputs --------------------------------------------------------------------------------------------------------
st.subheader("Import outputs")
st.caption("Outputs produced elsewhere, scored with this suite's scorers without calling any model: CSV/JSONL/Parquet "
           "with example_id (or input), candidate, output, and optionally error, latency_ms, cost_usd, input_tokens, "
           "output_tokens; an Inspect AI .eval log; or promptfoo results (promptfoo eval -o out.json).")
left, right = st.columns([2, 1])
outputs = left.file_uploader("Upload outputs", key=f"outputs_upload_{st.session_state.get('_uploads_used', 0)}",
                             type=["csv", "tsv", "txt", "jsonl", "ndjson", "parquet", "eval", "json"])
FROM_FILE = "(named in the file)"
who = right.selectbox("Candidate", [FROM_FILE, *entry["candidates"]], key="outputs_candidate",
                      help="The suite candidate that produced every output, when the file does not say")
if outputs is not None and st.button("Import outputs", key="import_outputs", type="primary"):
    try:
        summary = wsuites.import_uploaded_outputs(ws, chosen, outputs.getvalue(), outputs.name,
                                                  candidate=None if who == FROM_FILE else who)
    except EvalcoreError as exc:
        show_error(exc)
    else:
        st.session_state["_data_notice"] = ("outputs", summary.lines(), summary.by_candidate)
        st.session_state["_uploads_used"] = st.session_state.get("_uploads_used", 0) + 1  # a second click imported
        st.rerun()  # the same file again as another run
notice = st.session_state.get("_data_notice")
if notice and notice[0] == "outputs":
    del st.session_state["_data_notice"]
    lines, by_candidate = notice[1], notice[2]
    st.success(safe(lines[0]))
    st.markdown(data.bullets([safe(line) for line in lines[1:]]))
    st.dataframe(pd.DataFrame([{"candidate": c, "outputs": n} for c, n in by_candidate.items()]),
                 hide_index=True, key="imported_table")
