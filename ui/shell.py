"""The app's navigation, and making every page run inside dashboard.py.

Streamlit treats an app with a `pages/` folder as a legacy multipage app until some
session calls `st.navigation`; so a shared deep link (e.g. /plan_browser?region=…)
opened first after a restart would run the page alone, without sign-in, filters or
footer. Each page starts with `ui.shell.page()`: when dashboard.py did not run first,
it declares the real navigation (which turns legacy mode off for the process and
resolves the requested page) and reruns through dashboard.py, query string intact.
"""

from __future__ import annotations

import streamlit as st
from streamlit.navigation.page import StreamlitPage

_ENTERED = "_entered_via_dashboard"


def navigation(*, admin: bool) -> StreamlitPage:
    pages = {
        "Progress": [
            st.Page(
                "pages/overview.py", title="Overview", icon=":material/dashboard:", default=True
            ),
            st.Page("pages/timeline.py", title="Timeline", icon=":material/view_timeline:"),
            st.Page("pages/overdue.py", title="Overdue & due soon", icon=":material/schedule:"),
        ],
        "Plan": [
            st.Page("pages/region.py", title="Regions", icon=":material/map:"),
            st.Page("pages/plan_browser.py", title="Plan browser", icon=":material/table_rows:"),
        ],
    }
    if admin:
        pages["Admin"] = [
            st.Page("pages/plan_editor.py", title="Edit the plan", icon=":material/edit_calendar:"),
            st.Page("pages/users.py", title="Users", icon=":material/group:"),
        ]
    return st.navigation(pages)


def entered() -> None:
    """Called by dashboard.py at the top of every run."""
    st.session_state[_ENTERED] = True


def page() -> None:
    """Called first by every page."""
    if st.session_state.pop(_ENTERED, False):
        return
    navigation(admin=False)
    st.rerun()
