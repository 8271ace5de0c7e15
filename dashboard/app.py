"""evalcore dashboard: `streamlit run dashboard/app.py` (or `scripts/dev dashboard`). Routes pages, nothing else.

The workspace comes from $EVALCORE_WORKSPACE (default ./data); pages read it through `data.py`. The page list
is built on every run from who is looking (`access.py`): a page a person may not open is not in the list, so its
script never runs, whether reached from the sidebar, by URL or while logged out. The page scripts live in
`views/`, not `pages/`: Streamlit auto-runs a `pages/` folder beside the entry file on any run that does not call
`st.navigation`, which would bypass this list.
"""

import os

import streamlit as st

import access
import run_jobs
from page_list import EDITOR_PAGES, LOGIN_PAGE, NO_ACCESS_PAGE, VIEWER_PAGES

st.set_page_config(page_title="evalcore", layout="wide")

identity = access.current_identity()
st.session_state["_identity"] = identity
allowed = access.allowed_pages(identity)


scripts: dict[str, str] = {}  # url path -> the script that runs there for this identity


def _page(script: str, title: str, url_path: str, *, default: bool = False) -> st.Page:
    page = st.Page(script, title=title, url_path=url_path, default=default)
    scripts[page.url_path] = script  # the default page's url path is ""
    return page


def _stand_in(script: str, title: str, url_path: str, *, default: bool = False) -> st.Page:
    """The page a person gets at a URL they may not open: the login, or a page saying whom to ask."""
    page = st.Page(script, title=title, url_path=url_path, default=default,
                   visibility="visible" if default else "hidden")
    scripts[page.url_path] = script
    return page


def _to_default() -> None:
    """/overview (the default page's name, typed by analogy with /compare) showed Streamlit's "Page not found":
    it opens the default page at "/", with the link's query parameters."""
    st.switch_page(pages[0], query_params=st.query_params.to_dict())


# The default page is served at "/"; Streamlit still reserves the path it declares, yet answers it "Page not found",
# so it declares one nobody types and its own name (/overview) is a hidden page that opens it.
ROOT = "_default"
every = VIEWER_PAGES + EDITOR_PAGES
logged_out = identity.mode == "login" and not identity.logged_in
if logged_out or not allowed:
    # Every URL runs the stand-in: the login page (which parks the requested view so the login round trip can
    # restore it), or the page saying whom to ask.
    script, title = (LOGIN_PAGE, "Sign in") if logged_out else (NO_ACCESS_PAGE, "No access")
    paths = [ROOT, *(path for _, _, path in every[1:]), every[0][2]]
    pages = [_stand_in(script, title, path, default=i == 0) for i, path in enumerate(paths)]
else:
    pages = [_page(s, t, ROOT if i == 0 else p, default=i == 0) for i, (s, t, p) in enumerate(VIEWER_PAGES)]
    if access.EDITOR in allowed:
        pages += [_page(s, t, p) for s, t, p in EDITOR_PAGES]
    else:  # a viewer at an editor URL is told so; the editor page's script never runs
        pages += [_stand_in(NO_ACCESS_PAGE, t, p) for _, t, p in EDITOR_PAGES]
    pages.append(st.Page(_to_default, title=VIEWER_PAGES[0][1], url_path=VIEWER_PAGES[0][2], visibility="hidden"))
    scripts[VIEWER_PAGES[0][2]] = f"(opens {VIEWER_PAGES[0][0]} at /)"

current = st.navigation(pages)
before = st.session_state.get("_requested_page")
st.session_state["_page_switched"] = before is not None and before != current.url_path  # controls.page_switched
st.session_state["_requested_page"] = current.url_path

if identity.logged_in and allowed:
    parked = access.take_requested_view()  # a deep link that went through the login round trip
    if parked is not None:
        target = next((p for p in pages if p.url_path == parked[0]), current)
        st.switch_page(target, query_params=parked[1])

with st.sidebar:
    if identity.mode == "local":
        st.caption("Local single-user mode: no login is configured, and the dashboard only listens on this "
                   "machine. Configure `[auth]` in `.streamlit/secrets.toml` to share it.")
    elif identity.mode == "open":
        st.warning("No login is configured and the dashboard listens on a network address: it is read-only. "
                   "Configure `[auth]` in `.streamlit/secrets.toml`, or bind it to 127.0.0.1, to edit.",
                   icon="🔒")
    elif identity.logged_in:
        who = (identity.email or identity.name or "you").replace("`", "'")
        st.caption(f"Signed in as `{who}` ({identity.role or 'no access'}).")  # code span: no autolink, no markup
        st.button("Sign out", key="sign_out", on_click=st.logout)

trace = os.environ.get("EVALCORE_TRACE_PAGES")  # tests: proves which page scripts ran, not just what showed
if trace and not st.session_state.get("_warm_up"):  # the launcher's warm runs (serve.py) are not visits
    with open(trace, "a", encoding="utf-8") as f:
        f.write(f"{current.url_path}\t{scripts.get(current.url_path, '?')}\t{identity.email or identity.mode}\n")
try:
    with run_jobs.page_running():
        current.run()
finally:
    if access.EDITOR in allowed:
        # The runner's fork server loads litellm in its own process, once, while people read: once no page has
        # run for a moment, at a lower CPU priority, so its ~4 s of CPU does not compete with the pages people open.
        run_jobs.warm_workers()
