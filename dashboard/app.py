"""evalcore dashboard: `streamlit run dashboard/app.py` (or `scripts/dev dashboard`). Routes pages, nothing else.

The workspace comes from $EVALCORE_WORKSPACE (default ./data); pages read it through `data.py`.
"""

import streamlit as st

st.set_page_config(page_title="evalcore", layout="wide")
st.navigation([st.Page("pages/overview.py", title="Overview", default=True)]).run()
