"""The only page a logged-out person can reach: every URL leads here, so no other page script runs.

The view the link asked for (page and query parameters) is parked before the login round trip, whose callback
always lands on "/", and restored after it (see access.py)."""

import streamlit as st

import access

requested = st.session_state.get("_requested_page", "")
access.park_requested_view(requested, st.query_params.to_dict())

st.title("evalcore")
st.write("Sign in to see this workspace's evaluations.")
if requested and requested != "overview":
    st.caption("You will be taken to the page your link points to after signing in.")
st.button("Sign in", key="sign_in", type="primary", on_click=st.login)
