"""Label: a domain expert rates outputs blind, by keyboard alone, and never loses an answer or sees one twice.

Every answer is appended to the store the moment its key is pressed (`data.save_rating`), so closing the tab
loses nothing and the next session resumes at the first unanswered item. The item and its buttons live in an
`st.fragment`: a keypress reruns only that, not the page. Outputs and inputs are shown as text (`text_out`:
`st.text` in fixed-height boxes, so the buttons stay where the keys expect them), never as markdown or HTML: a
model's output must not be able to format or script the page.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import streamlit as st

import controls
import data
import text_out
from evalcore import formatting as fmt
from evalcore.errors import EvalcoreError

ws = data.workspace()
token = data.data_token(ws)

st.title("Label")
suites = controls.or_stop(data.suites, ws, token)
if not suites:
    st.info(f"No outputs to label in this workspace yet. Run a suite first (`evalcore run SUITE --workspace {ws}`), "
            f"or build the offline demo: `evalcore demo --workspace {ws}`.")
    st.stop()

# -- who is labeling: asked once per browser session ------------------------------------------------------
reviewer = data.reviewer()
if reviewer is None:
    with st.form("reviewer_form"):
        name = st.text_input("Your name or e-mail (asked once; answers are stored under it)", key="reviewer_input")
        started = st.form_submit_button("Start labeling (Enter)", type="primary")
    if started:
        try:
            data.set_reviewer(name)
        except EvalcoreError as exc:
            st.error(data.markdown_safe(str(exc)))
            st.stop()
        st.rerun()
    st.stop()

# -- what to label --------------------------------------------------------------------------------------------
# The suite and the queue's filters are bound to the URL (`?suite=...&label_tags=...&reviewer=...`): a labelling link
# sent to a domain expert opens their queue, not the first suite (audit 5). The suite shares the key every page binds,
# so switching pages keeps it; a value the link names that the suite lacks is said above the page, not dropped.
MODES = {"rate": "Rate 1-5", "pairwise": "Pairwise"}
notes = st.container()
with st.sidebar:
    st.caption(f"Reviewer: **{data.markdown_safe(reviewer)}**")
    suite = controls.suite_picker(suites, st.sidebar, notes=notes)
    guide = data.label_guidance(ws, token, suite)
    if st.session_state.get("label_mode") not in MODES:
        st.session_state["label_mode"] = "rate"
    mode = controls.labelled_choice(st.sidebar, "Mode", MODES, key="label_mode")
    filters = {}
    for key, label, options, shown, help_text in (
            ("label_runs", "Runs", guide["runs"], "each candidate's latest run",
             "Default: each candidate's latest run."),
            ("label_candidates", "Candidates", guide["candidates"], "all candidates", "Default: all."),
            ("label_tags", "Tags", guide["tags"], "every example", "Default: every example.")):
        if not set(st.session_state.get(key) or []) <= set(options):  # the last suite's picks
            st.session_state[key] = []
        controls.link_note(key, options, shown)
        filters[key] = st.multiselect(label, options, key=key, bind="query-params", help=help_text)
    runs, cands, tags = filters["label_runs"], filters["label_candidates"], filters["label_tags"]
    disagree = st.checkbox("Only where automatic scorers disagree (with each other or the judge)",
                           key="label_disagree", disabled=mode == "pairwise", bind="query-params")
    controls.link_number("label_overlap", 1, 10, "1")
    overlap = int(st.number_input("Ratings needed per item (overlap)", 1, 10, 1, key="label_overlap",
                                  bind="query-params",
                                  help="Items that already have this many answers from other reviewers are not "
                                       "queued for you."))
    blind = st.toggle("Blind (hide the candidate)", True, key="label_blind")
    show_ref = st.toggle("Show the reference answer", False, key="label_show_ref",
                         disabled=not guide["has_reference"])

if suite == data.DEMO_SUITE:
    st.warning(data.SYNTHETIC_NOTICE, icon="⚠️")

settings = (ws, suite, reviewer, mode, tuple(runs), tuple(cands), tuple(tags), bool(disagree), overlap)
lab: dict[str, Any] | None = st.session_state.get("lab")
if lab is None or lab["settings"] != settings:
    try:
        queue = data.label_queue(ws, token, data.labels_token(ws), suite, reviewer, mode, tuple(runs), tuple(cands),
                                 tuple(tags), bool(disagree), overlap, 0)
    except EvalcoreError as exc:
        st.error(data.markdown_safe(str(exc)))
        st.stop()
    items = list(queue["done"]) + list(queue["todo"])
    key_of = (lambda i: i["key"]) if mode == "pairwise" else (lambda i: i["output_hash"])
    answers = {key_of(i): (i["mine"] if mode == "pairwise" else dict(i["mine"])) for i in queue["done"]}
    lab = {"settings": settings, "items": items, "keys": [key_of(i) for i in items], "pos": len(queue["done"]),
           "answers": answers, "undo": [], "durations": [], "shown": None, "shown_at": 0.0, "reveal": set(),
           "total": queue["total"], "complete": queue.get("complete", 0), "message": ""}
    st.session_state["lab"] = lab


def _is_done(answer: Any) -> bool:
    if mode == "pairwise":
        return answer is not None
    return bool(answer) and answer.get("rating") is not None and answer.get("ok") is not None


def _next_open(start: int) -> int:
    """The first item from `start` on without a complete answer (or the end of the list)."""
    keys, answers = lab["keys"], lab["answers"]
    for i in range(start, len(keys)):
        if not _is_done(answers.get(keys[i])):
            return i
    for i in range(0, start):  # skipped ones earlier in the list
        if not _is_done(answers.get(keys[i])):
            return i
    return len(keys)


def _finish_item() -> None:
    if lab["shown_at"]:
        lab["durations"].append(time.monotonic() - lab["shown_at"])


def _save(pos: int, new: Any) -> None:
    """Store the item's whole new answer (append-only), remembering the old one for undo."""
    key = lab["keys"][pos]
    old = lab["answers"].get(key)
    lab["undo"].append((pos, old))
    lab["answers"][key] = new
    item = lab["items"][pos]
    if mode == "pairwise":
        data.save_pair(ws, suite, reviewer, item, new, blind)
    else:
        data.save_rating(ws, suite, reviewer, item, new or {}, blind)


def _answer(field: str, value: Any) -> None:
    pos = lab["pos"]
    if pos >= len(lab["keys"]):
        return
    if mode == "pairwise":
        _save(pos, value)
        _finish_item()
        lab["pos"] = _next_open(pos + 1)
        return
    current = dict(lab["answers"].get(lab["keys"][pos]) or {"rating": None, "ok": None, "note": None})
    current[field] = value
    _save(pos, current)
    if _is_done(current):  # both answers given: on to the next one
        _finish_item()
        lab["pos"] = _next_open(pos + 1)


def _note() -> None:
    pos = lab["pos"]
    if pos >= len(lab["keys"]):
        return
    text = (st.session_state.get(f"note_{lab['keys'][pos]}") or "").strip() or None
    current = dict(lab["answers"].get(lab["keys"][pos]) or {"rating": None, "ok": None, "note": None})
    if current.get("note") != text:
        current["note"] = text
        _save(pos, current)


def _move(step: int) -> None:
    n = len(lab["keys"])
    if step > 0 and lab["pos"] >= n:
        lab["pos"] = _next_open(0)
    else:
        lab["pos"] = max(0, min(n, lab["pos"] + step))


def _undo() -> None:
    if not lab["undo"]:
        lab["message"] = "Nothing to undo."
        return
    pos, old = lab["undo"].pop()
    key = lab["keys"][pos]
    lab["answers"][key] = old
    item = lab["items"][pos]
    if mode == "pairwise":
        data.save_pair(ws, suite, reviewer, item, old, blind)
    else:
        data.save_rating(ws, suite, reviewer, item, old or {}, blind)
    lab["pos"] = pos
    lab["message"] = "Undone."


def _reveal() -> None:
    if lab["pos"] < len(lab["keys"]):
        lab["reveal"].add(lab["keys"][lab["pos"]])


RATING_WORDS = ("Bad", "Poor", "Fair", "Good", "Great")  # 1-5; each button shows its number as the key hint
CHEATS = {
    "rate": "**1-5** rate · **y / n** OK to show? · **Enter** next · **Backspace** back · **s** skip · "
            "**u** undo · **v** reveal the candidate (after rating) · **t** to the note (Enter saves it)",
    "pairwise": "**1** left is better · **2** right is better · **0** tie · **Enter** next · **Backspace** back · "
                "**s** skip · **u** undo · **v** reveal",
}


PAIRWISE_COLUMNS = {
    "log_strength": st.column_config.NumberColumn("log strength", format="%.2f"),
    "low": st.column_config.NumberColumn("low", format="%.2f"),
    "high": st.column_config.NumberColumn("high", format="%.2f"),
    "win_prob": st.column_config.NumberColumn("win chance", format="percent", help="vs an average candidate"),
    **{k: st.column_config.NumberColumn(k, format="%d") for k in ("wins", "losses", "ties", "comparisons")},
}


def _nothing_to_label() -> None:
    """An empty queue says why and the next step: it showed a full bar and "All 0 items answered. Thank you!" on a
    suite whose every call had failed, and a reviewer told so thinks the work is done (audit 5)."""
    name = f"'{data.markdown_safe(suite)}'"
    by_others = lab["total"]  # in the pool, none queued: every one has `overlap` answers from others already
    chosen = [what for what, on in (("runs", runs), ("candidates", cands), ("tags", tags),
                                    ("only where scorers disagree", disagree and mode == "rate")) if on]
    if by_others:
        st.info(f"Nothing left for you to label in suite {name}: all {fmt.count(by_others, 'item')} already have "
                f"{fmt.count(overlap, 'answer')} from other reviewers. Raise 'Ratings needed per item' in the sidebar "
                "to add yours, or pick another suite.")
    elif not guide["candidates"] and not runs:
        earlier = " or pick an earlier run under Runs," if len(guide["runs"]) > 1 else ""
        st.warning(f"Nothing to label in suite {name}: every call of its latest runs failed, so there is no output "
                   "to rate. Read the errors in Explore, fix the cause (a key, a model name, a server) and run the "
                   f"suite again;{earlier} or pick another suite.")
        st.page_link("views/explore.py", label="Read the errors in Explore",
                     query_params={"suite": suite, "outcome": "error"})
    elif mode == "pairwise":
        where = f"with these filters ({', '.join(chosen)})" if chosen else "in these runs"
        st.info(f"Nothing to compare in pairs in suite {name}: no example has two different outputs {where}: one "
                "candidate, or candidates that answered alike. Pick at least two candidates or clear the filters, "
                "or rate the outputs one by one (Mode: Rate 1-5).")
    elif chosen:
        st.warning(f"Nothing to label in suite {name}: no outputs match the filters ({', '.join(chosen)}). Clear "
                   "the filters in the sidebar, or pick another suite.")
    else:
        st.info(f"Nothing to label in suite {name} with these settings. Pick another suite, or other runs.")


@st.fragment
def labeler() -> None:
    keys, pos = lab["keys"], lab["pos"]
    n = len(keys)
    if not n:
        _nothing_to_label()
        return
    done = sum(1 for k in keys if _is_done(lab["answers"].get(k)))
    left = n - done
    per_item = statistics.median(lab["durations"]) if lab["durations"] else None
    eta = ""
    if per_item and left:
        to_go = left * per_item / 60
        eta = (f" · {per_item:.1f} s per item, "
               + ("under a minute to go" if to_go < 1 else f"about {fmt.count(round(to_go), 'min')} to go"))
    st.progress(done / n if n else 1.0, text=f"{done} of {n} answered · {left} left{eta}")
    st.caption(CHEATS[mode])
    if lab["message"]:
        st.toast(lab["message"])
        lab["message"] = ""

    if pos >= n:
        if left:
            st.info(f"End of the list; {left} skipped or half-answered items remain. Enter goes back to them.")
        else:
            extra = f" ({lab['complete']} more already have enough answers from others.)" if lab["complete"] else ""
            st.success(f"All {n} items answered. Thank you!{extra}")
        nav = st.columns(3)
        nav[0].button("Back", key="lab_back", shortcut="Backspace", on_click=_move, args=(-1,))
        nav[1].button("Next", key="lab_next", shortcut="Enter", on_click=_move, args=(1,), disabled=not left)
        nav[2].button("Undo", key="lab_undo", shortcut="u", on_click=_undo)
        return

    item, key = lab["items"][pos], keys[pos]
    if lab["shown"] != key:
        lab["shown"], lab["shown_at"] = key, time.monotonic()
    answer = lab["answers"].get(key)
    st.caption(f"Item {pos + 1} of {n} · ref {key[:8]} · example {data.markdown_safe(item['example_id'])}")
    if mode == "pairwise":
        st.markdown("**Which output is better for this input?**")
    for rubric in guide["rubrics"]:
        st.caption("Rubric: " + data.markdown_safe(rubric))
    if mode == "pairwise":
        st.text("Input")
        text_out.show(st, item["input"], key=f"lab_in:{key}", height=160)
        if show_ref and item.get("expected"):
            st.text("Reference")
            text_out.show(st, item["expected"], key=f"lab_ref:{key}", height=120)
        cols = st.columns(2)
        for side, col, label in (("left", cols[0], "Left output"), ("right", cols[1], "Right output")):
            col.text(label + (f" · {', '.join(item[side]['candidates'])}"
                              if not blind or key in lab["reveal"] else ""))
            text_out.show(col, item[side]["output"], key=f"lab_{side}:{key}", height=300, empty="(no output)")
        # words beside the key hints ("1 is better" beside its hint read "1 is better 1")
        b = st.columns(3)
        for i, (value, text) in enumerate(((1, "Left is better"), (2, "Right is better"), (0, "Tie"))):
            b[i].button(text, key=f"lab_pair_{value}", shortcut=str(value), on_click=_answer, args=("choice", value),
                        type="primary" if answer == value else "secondary", width="stretch")
    else:
        revealed = not blind or key in lab["reveal"]
        left_col, right_col = st.columns(2)
        has_ref = bool(show_ref and item.get("expected"))
        left_col.text("Input")
        text_out.show(left_col, item["input"], key=f"lab_in:{key}", height=180 if has_ref else 320)
        if has_ref:
            left_col.text("Reference")
            text_out.show(left_col, item["expected"], key=f"lab_ref:{key}", height=100)
        right_col.text("Output" + (f" · {', '.join(item['candidates'])}" if revealed else ""))
        text_out.show(right_col, item["output"], key=f"lab_out:{key}", height=320, empty="(no output)")
        a = answer or {}
        # Two labelled rows, not one row of seven: the 1-5 rating and the yes/no question are different
        # questions, and a number on a button beside its own key hint read "1 1". At 1,024 px the main column
        # is ~560 px: a word and its key hint fit in a fifth of it, not in a seventh.
        st.markdown("**How good is this output?** 1 (bad) to 5 (great), keys 1-5")
        rates = st.columns(5, gap="small")
        for r, word in enumerate(RATING_WORDS, start=1):
            rates[r - 1].button(word, key=f"lab_rate_{r}", shortcut=str(r), on_click=_answer, args=("rating", r),
                                type="primary" if a.get("rating") == r else "secondary", width="stretch")
        st.markdown(f"**{data.markdown_safe(guide['question'])}** keys y / n")
        oks = st.columns(5, gap="small")  # two of five: Yes and No as wide as the rating buttons above
        oks[0].button("Yes", key="lab_yes", shortcut="y", on_click=_answer, args=("ok", True),
                      type="primary" if a.get("ok") is True else "secondary", width="stretch")
        oks[1].button("No", key="lab_no", shortcut="n", on_click=_answer, args=("ok", False),
                      type="primary" if a.get("ok") is False else "secondary", width="stretch")
        st.text_input("Note (optional; key t, Enter saves)", value=a.get("note") or "", key=f"note_{key}",
                      on_change=_note)
    nav = st.columns([1.5, 1, 1, 1, 1.1])  # "Back" beside its "Backspace" key needs ~125 px: equal columns cut it to "B"
    nav[0].button("Back", key="lab_back", shortcut="Backspace", on_click=_move, args=(-1,), disabled=pos == 0,
                  width="stretch")
    nav[1].button("Skip", key="lab_skip", shortcut="s", on_click=_move, args=(1,), width="stretch")
    nav[2].button("Undo", key="lab_undo", shortcut="u", on_click=_undo, width="stretch")
    nav[3].button("Reveal", key="lab_reveal", width="stretch", shortcut="v", on_click=_reveal,
                  disabled=not blind or (answer is None if mode == "pairwise" else not (answer or {}).get("rating")))
    nav[4].button("Next", key="lab_next", shortcut="Enter", on_click=_move, args=(1,), type="primary", width="stretch")


text_out.style()  # the boxes' code font; outside the fragment, so its reruns keep it
labeler()

# After a setting changes (a full run), hand the keyboard back to the labeler: shortcuts do not fire while a
# Mode button, checkbox or toggle has focus. Text fields (a multiselect's search, the note) keep theirs.
st.session_state["label_runs_count"] = st.session_state.get("label_runs_count", 0) + 1
# Enter in the note saves it (Streamlit commits a text input on Enter) and then hands the keyboard back: the note
# kept focus, so the next keys meant as shortcuts ("u" to undo) were typed into the note instead (audit).
# "t" takes the keyboard to the note: Tab took ten presses (a heading link, the input box, seven answer buttons,
# where Enter would record a rating). Not an st.button shortcut: a text input has none.
st.html(f"""<script>/* {st.session_state["label_runs_count"]} */
  (function () {{
    const a = document.activeElement;
    if (a && ((a.tagName === "INPUT" && (a.type === "radio" || a.type === "checkbox"))
              || a.closest("[data-testid=stButtonGroup]"))) a.blur();  // the Mode control's buttons too
    if (!window.__evalcoreNoteKeys) {{
      window.__evalcoreNoteKeys = true;
      const isNote = (el) => el && el.tagName === "INPUT"
        && (el.getAttribute("aria-label") || "").startsWith("Note (optional");
      document.addEventListener("keydown", (e) => {{
        const t = e.target;
        const typing = t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName));
        if (e.key === "t" && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {{
          const note = [...document.querySelectorAll("input")].find(isNote);
          if (note) {{ e.preventDefault(); e.stopPropagation(); note.focus(); }}  // no "t" typed into it
          return;
        }}
        if ((e.key === "Enter" || e.key === "Escape") && isNote(t)) {{
          setTimeout(() => t.blur(), 0);  // after Streamlit has taken the value
        }}
      }}, true);
    }}
  }})();
</script>""", unsafe_allow_javascript=True)

# -- how the labeling stands ------------------------------------------------------------------------------------
# Opt-in: the agreement's bootstrap is work a reviewer who only rates should not wait for.
if st.toggle("Show progress and agreement", False, key="label_stats"):
    ltoken = data.labels_token(ws)
    st.dataframe(data.label_progress(ws, ltoken, suite), hide_index=True, key="label_progress_table",
                 column_config={"last_answer": st.column_config.DatetimeColumn("last answer (UTC)",
                                                                              format="YYYY-MM-DD HH:mm")})
    report = data.label_agreement(ws, token, ltoken, suite)
    st.markdown(data.bullets([line for line in report["lines"] if not line.startswith("Judge ")]))
    for j in report["judges"]:
        (st.success if j["trusted"] else st.warning)(f"Judge '{data.markdown_safe(j['scorer'])}': {j['verdict']}")
    mine = {k for k, v in lab["answers"].items() if v}
    # Never another reviewer's answer on an item this reviewer has not answered yet.
    shown = [d for d in report["disagreements"] if d["output_hash"] in mine]
    if shown:
        st.markdown("**Where reviewers disagree most** (on items you have answered):")
        st.dataframe([{"example": d["example_id"], "ref": d["output_hash"][:8], "spread": d["spread"],
                       "answers": "; ".join(f"{a['reviewer']}: {a['rating'] or '-'}/"
                                            f"{'yes' if a['ok'] else 'no' if a['ok'] is False else '-'}"
                                            for a in d["answers"])} for d in shown],
                     hide_index=True, key="label_disagreements")
    if blind and any(not _is_done(lab["answers"].get(k)) for k in lab["keys"]):
        # Per-candidate numbers move with each answer: the row that moved names the candidate just rated.
        st.caption("Per-candidate ratings are hidden while you label blind: the row that moves after each answer "
                   "would tell you which candidate wrote it. They show here once your queue is done (or with Blind "
                   "off), and on Overview and Compare.")
    else:
        rank_cols = st.columns(2) if mode == "pairwise" else [st.container()]
        rank_cols[0].markdown("**People's ratings per candidate** (mean 1-5 and 'ok to show' rate, 95% intervals)")
        rank_cols[0].dataframe(data.human_summary_table(ws, token, ltoken, suite), hide_index=True,
                               key="label_human_summary")
        if mode == "pairwise":
            rank_cols[1].markdown("**Pairwise ranking** (Bradley-Terry log strength, 95% bootstrap intervals)")
            rank_cols[1].dataframe(data.pairwise_ranking(ws, ltoken, suite), hide_index=True, key="label_bt",
                                   column_config=PAIRWISE_COLUMNS)
