"""evalcore dashboard: `streamlit run dashboard/app.py` (or `scripts/dev dashboard`). Routes pages, nothing else.

The workspace comes from $EVALCORE_WORKSPACE (default ./data); pages read it through `data.py`. The page
scripts live in `views/`, not `pages/`: Streamlit auto-runs a `pages/` folder beside the entry file on any run
that does not call `st.navigation`, which would bypass the page list built here.
"""

import streamlit as st

st.set_page_config(page_title="evalcore", layout="wide")

# One line per page, in the order the sidebar shows them.
PAGES = [
    st.Page("views/overview.py", title="Overview", default=True),
    st.Page("views/label.py", title="Label"),
]

st.navigation(PAGES).run()
