"""Issue 14 items 7 and 8 in Chromium: axe-core finds no WCAG 2.1 A/AA violation of the
app's own on any page (public pages signed out, admin pages signed in as an admin), and
the console stays quiet: no request leaves the machine, no Vega warning.

axe-core comes from npm (tests/e2e/package.json, installed by .ci/run with
`npm ci --prefix tests/e2e`); nothing is downloaded while the tests run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from core.people import accounts
from core.store.db import make_engine, write_session
from tests.e2e.conftest import PASSWORD, Server
from tests.e2e.test_browser import assert_no_exception, open_page, wait_for_app

pytestmark = pytest.mark.e2e

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
ADMIN = "admin-a11y"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PUBLIC_PAGES = ["", "/timeline", "/overdue", "/measures", "/region", "/plan_browser"]
PUBLIC_PAGES += ["/partners", "/since_last_meeting", "/evaluation"]
# The Partners page with an organisation chosen: its strategies, outcomes and activity.
PUBLIC_PAGES += ["/partners?org=cate"]
ADMIN_PAGES = ["/plan_editor", "/users", "/organisations"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}

# Findings that are Streamlit's, not the app's: its sidebar navigation (st.navigation)
# draws section headers inside its <ul> and <li>s the app cannot change; axe reports
# them as "list" (a <ul> with children other than <li>) and "listitem".
STREAMLIT_OWN = {"list", "listitem"}
NAV = "[data-testid='stSidebarNav']"

# axe.run, then each finding's nodes marked with whether they sit in the sidebar's
# navigation (a CSS target resolved in the page).
RUN_AXE = """
async ([tags, nav]) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  for (const v of result.violations) {
    for (const n of v.nodes) {
      const el = document.querySelector(n.target[0]);
      n.in_nav = !!(el && el.closest(nav));
    }
  }
  return result.violations;
}
"""


# Every chart on the page drawn (vega-embed has put its canvas or svg in).
ALL_DRAWN = """
() => [...document.querySelectorAll("[data-testid='stVegaLiteChart']")]
  .every(c => c.querySelector("canvas, svg.marks"))
"""


def _axe_source() -> str:
    if not AXE.exists():
        pytest.skip(
            f"axe-core is not installed at {AXE}: run `npm ci --prefix tests/e2e` (.ci/run does)"
        )
    return AXE.read_text()


def _is_streamlit_own(violation: dict) -> bool:
    return violation["id"] in STREAMLIT_OWN and all(n["in_nav"] for n in violation["nodes"])


def axe_violations(page: Page, source: str) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations on the page as drawn, less Streamlit's own."""
    page.add_script_tag(content=source)
    violations = page.evaluate(RUN_AXE, [WCAG_TAGS, NAV])
    return [v for v in violations if not _is_streamlit_own(v)]


def _summary(violations: list[dict]) -> str:
    return json.dumps(
        [
            {
                "id": v["id"],
                "count": len(v["nodes"]),
                "nodes": [n["html"][:160] for n in v["nodes"][:5]],
            }
            for v in violations
        ],
        indent=1,
    )


@pytest.fixture(scope="module")
def a11y_server(start_server) -> Server:
    """A server of its own with an admin account."""
    server = start_server()
    engine = make_engine(f"sqlite:///{server.db_file}")
    try:
        with write_session(engine) as session:
            accounts.create_user(
                session=session,
                username=ADMIN,
                role="admin",
                password=PASSWORD,
                display_name="Admin A11y",
            )
    finally:
        engine.dispose()
    return server


@pytest.fixture
def quiet_page(page: Page) -> Iterator[tuple[Page, list[str], list[str]]]:
    """The page, with every outside request aborted and recorded, and the console's
    warnings and errors."""
    outside: list[str] = []
    console: list[str] = []

    def route(route) -> None:
        host = urlsplit(route.request.url).hostname
        if host in LOCAL_HOSTS or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    page.on(
        "console",
        lambda msg: (
            console.append(f"{msg.type}: {msg.text}") if msg.type in ("warning", "error") else None
        ),
    )
    yield page, outside, console


def _wait_drawn(page: Page) -> None:
    wait_for_app(page)
    page.wait_for_function(ALL_DRAWN)


def sign_in_as_admin(page: Page) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Sign in to record progress").click()
    sidebar.get_by_role("textbox", name="Username").fill(ADMIN)
    sidebar.get_by_role("textbox", name="Password").fill(PASSWORD)
    sidebar.get_by_role("button", name="Sign in").click()
    expect(sidebar.get_by_text("Admin A11y")).to_be_visible()
    wait_for_app(page)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_has_no_axe_violation(a11y_server, page: Page, path) -> None:
    source = _axe_source()
    open_page(page, f"{a11y_server.url}{path}")
    _wait_drawn(page)

    violations = axe_violations(page, source)

    assert not violations, _summary(violations)
    assert_no_exception(page)


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_page_has_no_axe_violation(a11y_server, page: Page, path) -> None:
    source = _axe_source()
    open_page(page, a11y_server.url)
    sign_in_as_admin(page)
    title = {"/plan_editor": "Edit the plan", "/users": "Users", "/organisations": "Organisations"}[
        path
    ]
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
    _wait_drawn(page)

    violations = axe_violations(page, source)

    assert not violations, _summary(violations)
    assert_no_exception(page)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_console_is_quiet(a11y_server, quiet_page, path) -> None:
    page, outside, console = quiet_page
    open_page(page, f"{a11y_server.url}{path}")
    _wait_drawn(page)
    page.wait_for_timeout(500)  # late requests (fonts, usage stats) and Vega's warnings

    assert not outside, outside
    log = a11y_server.log_file.read_text(errors="replace")
    assert "external IP" not in log and "External URL" not in log  # checkip.amazonaws.com
    assert not [line for line in console if "Infinite extent" in line], console
    assert not [line for line in console if "ERR_NAME_NOT_RESOLVED" in line], console
