"""What a person sees at a URL their role does not open: which role it needs and whom to ask. The page they
asked for never runs."""

import streamlit as st

from data import markdown_safe

identity = st.session_state.get("_identity")
st.title("No access")
who = markdown_safe(getattr(identity, "email", None) or "you")
role = getattr(identity, "role", None)
if role is None:
    st.error(f"Signed in as {who}, but this dashboard has not given you a role yet. Ask an editor to add your "
             "email (or your domain) under `[evalcore.access]` in the dashboard's `.streamlit/secrets.toml`.")
else:
    st.warning(f"This page is for editors; you ({who}) are a {role}. The read-only pages are in the sidebar.")
