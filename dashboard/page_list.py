"""Every dashboard page as (script, title, url path), grouped by the role that may open it.

No Streamlit here: app.py builds the navigation from these lists, and tests read them to try every URL.
The first viewer page is the default ("/").
"""

VIEWER_PAGES: list[tuple[str, str, str]] = [
    ("views/overview.py", "Overview", "overview"),
    ("views/compare.py", "Compare", "compare"),
    ("views/trends.py", "Trends", "trends"),
    ("views/explore.py", "Explore", "explore"),
]

EDITOR_PAGES: list[tuple[str, str, str]] = [
    ("views/manage.py", "Data", "data"),
    ("views/run.py", "Run", "run"),
    ("views/label.py", "Label", "label"),
]

LOGIN_PAGE = "views/login.py"
NO_ACCESS_PAGE = "views/no_access.py"
