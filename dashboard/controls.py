"""The suite and scorer pickers every page starts with, and the states a page cannot go past.

Both widgets are bound to the URL (`?suite=...&scorer=...`), so every view is a link someone can send, and
kept for the session, so switching pages keeps the suite. A page that lacks data says so and stops.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitAPIException
from streamlit.runtime.scriptrunner import get_script_run_ctx

import data
from evalcore import formatting as fmt
from evalcore.errors import did_you_mean, listing

# What a URL key names, for the note on a value the page cannot show, and where such values live.
LINK_NOUNS: dict[str, tuple[str, str]] = {
    "suite": ("suite", "this workspace"), "scorer": ("scorer", "this suite"),
    "candidate": ("candidate", "this suite"), "a": ("candidate", "this suite"), "b": ("candidate", "this suite"),
    "tag": ("tag", "this suite"), "trend_tag": ("tag", "this suite"), "error_kind": ("error kind", "this suite"),
    "outcome": ("outcome", "Explore"), "benchmark": ("benchmark", "this suite"),
    "policy": ("policy", "Overview"), "over": ("axis", "Trends"), "human_measure": ("measure", "Trends"),
    "margin": ("margin", "Overview"),
    "label_mode": ("mode", "Label"), "label_runs": ("run", "this suite"),
    "label_candidates": ("candidate", "this suite"), "label_tags": ("tag", "this suite"),
    "label_overlap": ("overlap", "Label"),
}


# An older URL key still read as the one a page binds now: Trends' "Over" control was bound as `x`, and links
# people saved say `?x=run`; the page writes `?over=` (the control's name), and reads `?x=` as it.
LINK_ALIASES: dict[str, str] = {"x": "over"}
_NOTES = "_link_notes"  # session key of this run's place for link notes


def link_note(key: str, options: list[Any], shown: str, names: list[str] | None = None) -> None:
    """Say, above the controls, that the URL asked for a `key` value `options` lack and what is shown instead:
    Streamlit's binding drops such a param without a word (a stale or hand-edited link opened the default view).
    Call it before the widget is bound. The asked value is escaped: a link's text is never rendered as markup.
    `names`: what to offer when it is not `options` (a choice's labels, where values are also accepted)."""
    asked = [v for v in st.query_params.get_all(key) if v not in {str(o) for o in options}]
    known = [str(o) for o in (options if names is None else names)]
    if not asked:
        return
    noun, where = LINK_NOUNS.get(key, (key.replace("_", " "), "this page"))
    said = ", ".join(f"'{v}'" for v in asked)
    guess = did_you_mean(asked[0], known) if len(asked) == 1 else ""
    verb = "are" if shown.startswith("all ") else "is"
    _note(f"The link asked for {noun} {said}; {where} has no such {noun}, so {shown} {verb} shown.{guess}"
          + (f" Known: {listing(known)}." if len(known) > 1 else ""))


def _note(text: str) -> None:
    """A link note, escaped, in the place above the suite pickers (`suite_and_scorer` makes it each run, so the
    notes of filters bound inside columns do not land between a filter row and its results), else here."""
    where = st.session_state.get(_NOTES) or st
    where.warning(data.markdown_safe(text), icon=":material/link:")


def link_number(key: str, low: float, high: float, shown: str) -> None:
    """`link_note` for a number input: a URL value outside [low, high] (or not a number) is named, not dropped."""
    raw = st.query_params.get(key)
    if raw is None:
        return
    try:
        ok = low <= float(raw) <= high
    except ValueError:
        ok = False
    if not ok:
        noun, where = LINK_NOUNS.get(key, (key.replace("_", " "), "this page"))
        _note(f"The link asked for {noun} '{raw}'; {where} takes a {noun} from {low:g} to {high:g}, "
              f"so {shown} is shown.")


def can_edit() -> bool:
    """Whether this session's person may change the workspace (editor, or local single-user mode)."""
    identity = st.session_state.get("_identity")
    return identity is None or getattr(identity, "role", None) == "editor"


def workspace_name(ws: str) -> str:
    """The workspace's path for people who may change it; a viewer of a shared dashboard never sees the
    server's paths."""
    return ws if can_edit() else "WORKSPACE"


def suite_and_scorer(ws: str, token: data.Token) -> tuple[str, str]:
    """Render the pickers; return (suite, scorer), or stop the page with the next step when there is none."""
    suites = or_stop(data.suites, ws, token)
    shown = workspace_name(ws)
    if not suites:
        st.info(
            f"No results in this workspace yet.\n\n"
            f"- Try the offline demo (synthetic data, no API keys): `evalcore demo --workspace {shown}`, then reload.\n"
            f"- Or measure your own task: `evalcore init my-task`, edit `my-task/suite.yaml`, then "
            f"`evalcore run my-task/suite.yaml --workspace {shown}`."
        )
        st.stop()
    notice = st.container()  # the synthetic-data warning goes above everything once the suite is known
    notes = st.container()  # a link's values the page cannot show, named above its pickers
    with _shared_by_pages():
        left, right = st.columns(2)
    suite = suite_picker(suites, left, notes=notes)
    scorers = or_stop(data.scorers, ws, token, suite)  # a damaged scores file: its message, not a traceback
    if not scorers:
        st.error(f"Suite `{data.markdown_safe(suite)}` has results but no scores: a run is still going, or "
                 f"scoring failed. `evalcore runs --suite {data.markdown_safe(suite)} --workspace {shown}` shows its runs; `evalcore run` "
                 "again scores what is missing.")
        st.stop()
    if st.session_state.get("scorer") not in scorers:  # a new suite: start from its primary scorer
        st.session_state["scorer"] = scorers[0]
    link_note("scorer", scorers, f"'{st.session_state['scorer']}'")
    with _shared_by_pages():
        scorer = right.selectbox("Scorer", scorers, key="scorer", bind="query-params", index=linked_index("scorer"),
                                 help="The suite's scorers; the first is its primary one. Scores are in [0, 1].")
    scorer = scorer or scorers[0]  # `?scorer=` (empty) clears a box with no default index
    if suite == data.DEMO_SUITE:
        notice.warning(data.SYNTHETIC_NOTICE, icon="⚠️")
    return suite, scorer


def suite_picker(suites: list[str], where: Any = st, *, notes: Any = None) -> str:
    """The suite box alone, for a page without a scorer (Label): bound to `?suite=` under the key every page's suite
    box has, so a link opens that suite and switching pages keeps it. `notes`: where a link's values the page cannot
    show are named (default: here). The box Label had was bound to nothing: `?suite=hostile` opened the first suite."""
    st.session_state[_NOTES] = notes if notes is not None else st.container()
    if st.session_state.get("suite") not in suites:
        st.session_state["suite"] = suites[0]
    link_note("suite", suites, f"'{st.session_state['suite']}'")
    with _shared_by_pages():
        suite = where.selectbox("Suite", suites, key="suite", bind="query-params", index=linked_index("suite"))
    return suite or suites[0]  # `?suite=` (empty) clears a box with no default index


def labelled_choice(where: Any, label: str, labels: dict[str, str], *, key: str, **kw: Any) -> str:
    """A required segmented control over `labels` (value -> what it shows), bound to the URL. Streamlit's binding
    keeps the label in the URL (`?over=run+date`) and seeds the widget only from a label, so a link written by hand
    with the value (`?over=run`, `?policy=best`, as suite.yaml and the CLI spell it) fell back to the default without a
    word; here such a value is taken: the param is rewritten to its label before the widget is bound and the page
    reruns once, seeded from it. (Setting the widget's state instead opened the view, but the binding then cleared
    the param it could not read, so a link copied straight after opening one lost it.) Call it after the page's
    own default for `key`. A key of `LINK_ALIASES` (`?x=run`, an old link's) is read as the one it names."""
    for alias in [a for a, k in LINK_ALIASES.items() if k == key and a in st.query_params]:
        value = st.query_params[alias]
        del st.query_params[alias]  # it stayed in the URL beside the param the page wrote
        if key not in st.query_params:
            try:
                st.query_params[key] = labels.get(value, value)  # refused once the widget is bound
            except StreamlitAPIException:
                st.session_state[key] = value
            else:
                st.rerun()
    raw = st.query_params.get(key)
    now = labels.get(st.session_state.get(key), next(iter(labels.values())))
    link_note(key, [*labels, *labels.values()], f"'{now}'", names=list(labels.values()))
    if raw in labels and raw not in labels.values():
        try:
            st.query_params[key] = labels[raw]  # refused once the widget is bound (a later rerun)
        except StreamlitAPIException:
            st.session_state[key] = raw
        else:
            st.rerun()
    return where.segmented_control(label, list(labels), key=key, bind="query-params", required=True,
                                   format_func=labels.__getitem__, **kw)


def bound_index(key: str, options: list[Any], default: Any) -> int:
    """The index of the page's default among `options`, for a URL-bound widget's own default. Streamlit ignores a
    URL value equal to the widget's default (it clears the param), so a page default set through session state
    instead (any but the first option) made a link to the first option open the page's default: `?outcome=all`
    opened Explore on 'fail'. A remembered value the options lack (the last suite's tag) is dropped; a URL value
    they lack is named (`link_note`), not dropped without a word."""
    if key in st.session_state and st.session_state[key] not in options:
        del st.session_state[key]
    link_note(key, options, f"'{st.session_state.get(key, default)}'")
    return options.index(default)


@contextmanager
def _shared_by_pages() -> Iterator[None]:
    """Widgets made inside as the entry script's, not the page's. On a switch to another page Streamlit drops every
    param bound to a widget of the page left, so a Compare link into Explore lost its `suite=` and `scorer=` (Compare
    binds them too) and sent the shorter URL to the browser while it still showed /compare."""
    ctx = get_script_run_ctx()
    if ctx is None:
        yield
        return
    with ctx.run_with_active_hash(ctx.pages_manager.main_script_hash):
        yield


def linked_index(key: str) -> int | None:
    """A bound box's default index: none while the URL names its value. Streamlit drops a param equal to the
    default (the first suite) from the URL, and that write, in the run after a page link, lands on the previous
    page's path (the browser showed Explore at `/compare?example=...`), so a link's suite and scorer are kept."""
    return None if key in st.query_params else 0


def page_switched() -> bool:
    """Whether this run follows a switch from another page (app.py records the page of every run). The browser takes
    the new page's path only after the run: a query param written now is applied to the old page's path."""
    return bool(st.session_state.get("_page_switched"))


def name_in_url(key: str, value: str) -> None:
    """Write `?key=value` when the URL lacks the param, before a bound widget with no default index (`index=None`)
    first binds it: the binding writes a value the widget did not start with only from its second run on, and
    refuses `st.query_params` once bound (a later run: then it writes the value itself). Not in the run after a page
    switch (`page_switched`): the write would leave the address bar on the page the person came from."""
    if key in st.query_params or page_switched():
        return
    try:
        st.query_params[key] = value
    except StreamlitAPIException:
        pass


def link_params(suite: str, scorer: str, **more: str) -> dict[str, str]:
    """Query parameters for an `st.page_link` into another page, carrying the suite and scorer."""
    return {"suite": suite, "scorer": scorer, **{k: v for k, v in more.items() if v}}


def or_stop(read: Any, *args: Any) -> Any:
    """`read(*args)`, or its `EvalcoreError` (a damaged file, a workspace that is not a folder) shown with the
    fix it names, and the page stopped."""
    from evalcore.errors import EvalcoreError

    try:
        return read(*args)
    except EvalcoreError as exc:
        st.error(data.markdown_safe(str(exc)))
        st.stop()
        raise  # st.stop() raises; this line only tells type checkers the function never falls through


def board_or_stop(ws: str, token: data.Token, suite: str, scorer: str) -> dict:
    """The suite's cached leaderboard, or the reason there is none (a damaged file, no scored results) shown as
    an error, and the page stopped: every page that starts from the leaderboard says the same thing."""
    return or_stop(data.leaderboard, ws, token, suite, scorer)


def all_calls_failed(board: dict, suite: str, scorer: str) -> bool:
    """When every call of the suite's latest runs failed: say so with the next step and a link to the errors
    (there is no leader, nothing to compare or trend) and return True; else False and nothing shown."""
    rows = board["rows"]
    calls, errors = int(rows["calls"].sum()), int(rows["errors"].sum())
    if not calls or errors < calls:
        return False
    st.error(f"**No leader: every call of this suite's latest runs failed** ({fmt.count(errors, 'failed call')} of "
             f"{fmt.count(calls, 'call')}). Read the error messages in Explore, fix the cause (a key, a model "
             "name, a server), then `evalcore run` the suite again: failed calls are retried.")
    st.page_link("views/explore.py", label="Read the errors in Explore",
                 query_params=link_params(suite, scorer, outcome="error"))
    return True
