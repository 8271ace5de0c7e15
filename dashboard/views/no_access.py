"""What a person sees at a URL their role does not open: which role it needs, why, and whom to ask. The page they
asked for never runs."""

import streamlit as st

from data import markdown_safe

identity = st.session_state.get("_identity")
st.title("No access")
email = getattr(identity, "email", None)
who = markdown_safe(email) if email else None
role = getattr(identity, "role", None)
if role is None:
    st.error(f"Signed in as {who or 'you'}, but this dashboard has not given you a role yet. Ask an editor to add "
             "your email (or your domain) under `[evalcore.access]` in the dashboard's `.streamlit/secrets.toml`.")
elif getattr(identity, "mode", None) == "open":
    # Nobody is signed in: the reason is the server's set-up, not a role someone gave. It was only in the sidebar.
    st.warning("This page is for editors, and this dashboard is read-only for everyone: no login is configured and "
               "it listens on a network address, so it cannot tell an editor from anyone else on the network. To "
               "edit, configure `[auth]` in the dashboard's `.streamlit/secrets.toml`, or run it bound to "
               "127.0.0.1 on the workspace's machine. The read-only pages are in the sidebar.", icon="🔒")
else:
    # "you (you) are a viewer" when there was no email to name
    st.warning(f"This page is for editors; you ({who}) are a {role}. The read-only pages are in the sidebar."
               if who else f"This page is for editors; you are a {role}. The read-only pages are in the sidebar.")
