"""The app's navigation, and making every page run inside dashboard.py.

Streamlit treats an app with a `pages/` folder as a legacy multipage app until some
session calls `st.navigation`; so a shared deep link (e.g. /plan_browser?region=…)
opened first after a restart would run the page alone, without sign-in, filters or
footer. Each page starts with `ui.shell.page()`: when dashboard.py did not run first,
it declares the real navigation (which turns legacy mode off for the process and
resolves the requested page) and reruns through dashboard.py, query string intact.
"""

from __future__ import annotations

import gc

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from ui import auth, filters, screen
from ui.panels import my_work

_ENTERED = "_entered_via_dashboard"
# The favicon: an emoji is drawn in the browser, while a page's :material/… icon would
# become the favicon (fetched from fonts.gstatic.com) unless a page icon is set first.
PAGE_ICON = "🤝"


# The signed-in user id of the previous run (None: signed out), to tell a sign-in.
_LAST_USER = "_navigation_user"


def navigation(*, admin: bool) -> StreamlitPage:
    """Declare the pages for this reader and return the one to run. My work is there
    for leads and admins, and is the home of a lead (or an admin with assignments): a
    new tab at the app's address, or signing in on the Overview, opens it.

    The Overview stays the default page (served at /) for everyone: a default page has
    no path of its own, so with My work as a lead's default, their link to /my_work
    opened in a new tab showed Streamlit's "Page not found" above it."""
    me = auth.actor()
    home = my_work.has_page(me) and my_work.is_home(me)
    first_run = _LAST_USER not in st.session_state
    pages = _pages(admin=admin, with_my_work=my_work.has_page(me))
    # Every page listed: collapsed, Streamlit's menu would hide the admin section
    # behind "View 3 more" once it holds more than twelve pages.
    page = st.navigation(pages, expanded=True)
    _stylesheet()
    arrived = _signed_in_now(me.user_id) or first_run
    if home and arrived and page.title == OVERVIEW_TITLE:
        filters.carry_over()
        st.switch_page(pages["Progress"][0])
    return page


def _signed_in_now(user_id: int | None) -> bool:
    """Whether this session was signed out in its previous run and is signed in now
    (not a session's first run: a link to a page opens that page)."""
    first_run = _LAST_USER not in st.session_state
    before = st.session_state.get(_LAST_USER)
    st.session_state[_LAST_USER] = user_id
    return not first_run and before is None and user_id is not None


OVERVIEW_TITLE = "Overview"

# The app's one stylesheet. Under 640 px long words wrap and a chart wider than the
# screen (a grid, small multiples) scrolls in its own box rather than widen the page.
# (An outcome list is drawn as cards or as a table by ui/screen.py, not both.)
STYLESHEET = """<style>
@media (max-width: 640px) {
  [data-testid="stMainBlockContainer"] { overflow-wrap: anywhere; }
  [data-testid="stVegaLiteChart"] { max-width: 100%; overflow-x: auto; }
}
.st-key-app_scripts { display: none; }
</style>"""

# Streamlit closes the sidebar after a navigation click only when the browser says it
# is a phone (by its user agent); a narrow window (at most Streamlit's 768 px "md"
# breakpoint, where the sidebar covers the page) keeps it open over the content. This
# closes it there too, with the sidebar's own collapse button; listening once per tab.
# It also keeps the `tracker_screen` cookie at the window's width class, so that the
# server draws an outcome list as cards or as a table (ui/screen.py), not both.
TAB_SCRIPT = """<script>
(() => {
  if (window.trackerTabScript) return;
  window.trackerTabScript = true;
  const narrow = window.matchMedia("(max-width: NARROW_PXpx)");
  const remember = () => {
    const screen = narrow.matches ? "narrow" : "wide";
    document.cookie = `SCREEN_COOKIE=${screen}; path=/; max-age=31536000; SameSite=Lax`;
  };
  remember();
  narrow.addEventListener("change", remember);
  const open = () => document.querySelector("[data-testid='stSidebar'][data-collapsed='false']");
  document.addEventListener("click", (event) => {
    if (!(event.target instanceof Element)) return;
    if (!event.target.closest("[data-testid='stSidebarNav'] a")) return;
    if (!window.matchMedia("(max-width: 768px)").matches) return;
    setTimeout(() => {
      if (!open()) return;
      document.querySelector("[data-testid='stSidebarCollapseButton'] button")?.click();
    }, 100);
  }, true);
})();
</script>""".replace("NARROW_PX", str(screen.NARROW_PX)).replace("SCREEN_COOKIE", screen.COOKIE)


def _stylesheet() -> None:
    st.html(STYLESHEET)  # only a <style>: Streamlit puts it where it takes no space
    with st.sidebar.container(key="app_scripts"):
        st.html(TAB_SCRIPT, unsafe_allow_javascript=True)


def _pages(*, admin: bool, with_my_work: bool) -> dict[str, list[StreamlitPage]]:
    progress = [
        st.Page(
            "pages/overview.py",
            title=OVERVIEW_TITLE,
            icon=":material/dashboard:",
            default=True,
        ),
        st.Page("pages/timeline.py", title="Timeline", icon=":material/view_timeline:"),
        st.Page("pages/overdue.py", title="Overdue & due soon", icon=":material/schedule:"),
        st.Page("pages/measures.py", title="Measures", icon=":material/monitoring:"),
    ]
    if with_my_work:
        progress.insert(
            0, st.Page("pages/my_work.py", title="My work", icon=":material/assignment_ind:")
        )
    pages = {
        "Progress": progress,
        "Plan": [
            st.Page("pages/region.py", title="Regions", icon=":material/map:"),
            st.Page("pages/plan_browser.py", title="Plan browser", icon=":material/table_rows:"),
            st.Page("pages/partners.py", title="Partners", icon=":material/handshake:"),
        ],
        "Review": [
            st.Page(
                "pages/since_last_meeting.py",
                title="Since the last meeting",
                icon=":material/event_note:",
            ),
            st.Page("pages/evaluation.py", title="Evaluation", icon=":material/fact_check:"),
        ],
    }
    if admin:
        pages["Admin"] = [
            st.Page("pages/plan_editor.py", title="Edit the plan", icon=":material/edit_calendar:"),
            st.Page("pages/users.py", title="Users", icon=":material/group:"),
            st.Page(
                "pages/organisations.py", title="Organisations", icon=":material/corporate_fare:"
            ),
        ]
    return pages


def entered() -> None:
    """Called by dashboard.py at the top of every run."""
    st.session_state[_ENTERED] = True


_settled = False


def settle() -> None:
    """Called by dashboard.py at the end of every run; once per server process, after
    its first run: what is alive then (the modules of pandas, SQLAlchemy, Altair and
    Streamlit, the plan's reference data) is moved out of the cycle collector's reach
    (gc.freeze). Python's full collections, every few hundred runs under load, then
    scan only what came later: scanning it all took ~100 ms, a pause for every session
    (a first visit to Regions: 186 → 81 ms in AppTest). Reference counting still frees
    what those objects let go."""
    global _settled
    if _settled:
        return
    _settled = True
    gc.collect()  # the start-up's own garbage first
    gc.freeze()


def page() -> None:
    """Called first by every page."""
    if st.session_state.pop(_ENTERED, False):
        return
    # My work is declared too, so that a link to it survives (dashboard.py then
    # decides whether this reader gets it).
    st.set_page_config(page_icon=PAGE_ICON)
    st.navigation(_pages(admin=False, with_my_work=True))
    st.rerun()
