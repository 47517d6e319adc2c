"""Issue 14 item 8 in Chromium: a quiet console on every page (no warning or error of
the app's own: Vega's "Infinite extent", "Dropping fit-y", …), and no page list before
the navigation is ready (a restarted server's first run listed every file in pages/,
admin pages too, for seconds)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from core.people import accounts
from core.store.db import make_engine, write_session
from tests.e2e.conftest import PASSWORD, SCRIPT_DONE, Server
from tests.e2e.test_browser import assert_no_exception, go_to, open_page, wait_for_app

pytestmark = pytest.mark.e2e

ADMIN = "admin-console"
PUBLIC_PAGES = [
    "",
    "/timeline",
    "/overdue",
    "/measures",
    "/region",
    "/plan_browser",
    "/partners",
    "/since_last_meeting",
    "/evaluation",
]
CHARTED = {"", "/timeline"}  # pages with a chart whatever the data
CHART = "[data-testid='stVegaLiteChart']"
ADMIN_PAGES = ["Edit the plan", "Users", "Organisations"]
ADMIN_LINKS = re.compile(r"users|edit the plan|plan editor|organisations", re.IGNORECASE)
# Streamlit's own: opened on a page's address (/timeline), its frontend first looks for
# the server under that path (/timeline/_stcore/health, …/host-config), then at /.
STREAMLIT_PROBE = re.compile(r"/[^/]+/_stcore/(health|host-config)$")
# Every chart drawn (vega-embed has put its canvas or svg in).
ALL_DRAWN = """
() => [...document.querySelectorAll("[data-testid='stVegaLiteChart']")]
  .every(c => c.querySelector("canvas, svg.marks"))
"""
# Records every sidebar navigation link ever drawn, from the page's first byte on.
WATCH_NAV = """
window.navSeen = [];
new MutationObserver(() => {
  for (const a of document.querySelectorAll("[data-testid='stSidebarNav'] a")) {
    window.navSeen.push(a.innerText.trim());
  }
}).observe(document, {childList: true, subtree: true, characterData: true});
"""


def is_apps_own(msg: ConsoleMessage) -> bool:
    if msg.type not in ("warning", "error"):
        return False
    url = msg.location.get("url", "")
    return not (msg.type == "error" and STREAMLIT_PROBE.search(urlsplit(url).path))


@pytest.fixture
def console(page: Page) -> list[str]:
    lines: list[str] = []

    def listen(msg: ConsoleMessage) -> None:
        if is_apps_own(msg):
            lines.append(f"{msg.type}: {msg.text} ({msg.location.get('url')})")

    page.on("console", listen)
    page.on("pageerror", lambda error: lines.append(f"pageerror: {error}"))
    return lines


def _drawn(page: Page, *, charts: bool = False) -> None:
    wait_for_app(page)
    if charts:  # Vega's code arrives after the page: wait for its first chart
        expect(page.locator(CHART).first).to_be_visible()
    page.wait_for_function(ALL_DRAWN)
    page.wait_for_timeout(500)  # Vega logs its warnings as it draws


def _admin(server: Server) -> None:
    """An admin account on the shared server's database (made once)."""
    engine = make_engine(f"sqlite:///{server.db_file}")
    try:
        with write_session(engine) as session:
            if accounts.get_user_by_username(session=session, username=ADMIN) is None:
                accounts.create_user(
                    session=session,
                    username=ADMIN,
                    role="admin",
                    password=PASSWORD,
                    display_name="Admin Console",
                )
    finally:
        engine.dispose()


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_logs_nothing(server, page: Page, console, path) -> None:
    open_page(page, f"{server.url}{path}")
    _drawn(page, charts=path in CHARTED)

    assert console == [], "\n".join(console)
    assert_no_exception(page)


def test_admin_pages_log_nothing(server, page: Page, console) -> None:
    _admin(server)
    open_page(page, server.url)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Sign in to record progress").click()
    sidebar.get_by_role("textbox", name="Username").fill(ADMIN)
    sidebar.get_by_role("textbox", name="Password").fill(PASSWORD)
    sidebar.get_by_role("button", name="Sign in").click()
    expect(sidebar.get_by_text("Admin Console")).to_be_visible()
    for title in ADMIN_PAGES:
        go_to(page, title)
        _drawn(page)

    assert console == [], "\n".join(console)
    assert_no_exception(page)


def test_no_admin_link_before_the_navigation_is_ready(start_server, page: Page) -> None:
    """Opened right after a start, while its first run imports and reads (seconds):
    a signed-out reader never sees an admin page's link, not even for a moment."""
    cold = start_server()
    page.add_init_script(WATCH_NAV)

    page.goto(cold.url)
    page.wait_for_selector(SCRIPT_DONE)
    page.wait_for_selector("h1")
    seen = set(page.evaluate("window.navSeen"))

    assert "Overview" in " ".join(seen)  # the observer saw the navigation
    assert not [text for text in seen if ADMIN_LINKS.search(text)], sorted(seen)
