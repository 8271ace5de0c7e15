"""Every dashboard page as (script, title, url path), grouped by the role that may open it.

No Streamlit here: app.py builds the navigation from these lists, and tests read them to try every URL.
The first viewer page is the default ("/").
"""

VIEWER_PAGES: list[tuple[str, str, str]] = [
    ("views/overview.py", "Overview", "overview"),
]

EDITOR_PAGES: list[tuple[str, str, str]] = [
    ("views/label.py", "Label", "label"),
]

LOGIN_PAGE = "views/login.py"
NO_ACCESS_PAGE = "views/no_access.py"
