"""Issue 14 item 6 in Chromium at 420 px: the sidebar closes after a navigation tap,
outcome tables are stacked cards (the table again at 1,400 px), and no page scrolls
sideways. Only one of the two layouts is drawn (ui/screen.py): a phone says so by its
user agent, a narrowed desktop window by the cookie its tab keeps."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import RUN_TIMEOUT
from tests.e2e.test_browser import assert_no_exception, open_page, wait_for_app

pytestmark = pytest.mark.e2e

PHONE = {"width": 420, "height": 900}
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
PAGES = [
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
SIDEBAR = "[data-testid='stSidebar']"
# Wider than the viewport: the page itself, and Streamlit's scrolling main area.
SIDEWAYS = """
() => [document.scrollingElement, document.querySelector("[data-testid='stMain']")]
  .filter(e => e && e.scrollWidth > e.clientWidth)
  .map(e => `${e.tagName} ${e.dataset.testid || ""}: ${e.scrollWidth} > ${e.clientWidth}`)
"""


@pytest.fixture
def phone(browser, request) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, user_agent=ANDROID)
    context.set_default_timeout(RUN_TIMEOUT)
    yield context.new_page()
    context.close()


def test_the_sidebar_closes_after_navigation(server, phone: Page) -> None:
    open_page(phone, server.url)
    sidebar = phone.locator(SIDEBAR)
    expect(sidebar).to_have_attribute("data-collapsed", "true")  # closed on arrival
    phone.get_by_test_id("stExpandSidebarButton").click()
    expect(sidebar).to_have_attribute("data-collapsed", "false")

    phone.get_by_test_id("stSidebarNav").get_by_role("link", name="Plan browser").click()
    wait_for_app(phone)

    expect(phone.locator("h1")).to_have_text("Plan browser")
    expect(sidebar).to_have_attribute("data-collapsed", "true")
    assert_no_exception(phone)


@pytest.mark.parametrize(("path", "key"), [("/overdue", "overdue"), ("/plan_browser", "browser")])
def test_outcome_tables_are_cards_on_a_phone(server, phone: Page, path, key) -> None:
    open_page(phone, f"{server.url}{path}")

    cards = phone.locator(f".st-key-narrow_cards_{key}")
    expect(cards).to_be_visible()
    expect(phone.locator(f".st-key-wide_table_{key}")).to_have_count(0)  # not drawn
    expect(cards.get_by_role("button", name="History").first).to_be_visible()  # signed out
    expect(cards.get_by_text("Overdue", exact=True).first).to_be_visible()  # a badge


@pytest.mark.parametrize(("path", "key"), [("/overdue", "overdue"), ("/plan_browser", "browser")])
def test_outcome_tables_are_tables_on_a_wide_screen(server, page: Page, path, key) -> None:
    open_page(page, f"{server.url}{path}")

    expect(page.locator(f".st-key-wide_table_{key}")).to_be_visible()
    expect(page.locator(f".st-key-narrow_cards_{key}")).to_have_count(0)  # not drawn


def test_a_narrowed_desktop_window_gets_cards_at_its_next_load(server, browser) -> None:
    """A desktop browser says nothing of its width: its first load gets the table, and
    its tab writes the cookie that makes the next load (a reload, a link) cards; widened
    again, the table comes back the same way."""
    context = browser.new_context(viewport=PHONE)
    context.set_default_timeout(RUN_TIMEOUT)
    window = context.new_page()
    try:
        open_page(window, f"{server.url}/overdue")
        expect(window.locator(".st-key-wide_table_overdue")).to_be_visible()
        expect(window.locator(".st-key-narrow_cards_overdue")).to_have_count(0)
        window.wait_for_function("document.cookie.includes('tracker_screen=narrow')")
        cookies = {c["name"]: c["value"] for c in context.cookies()}
        assert cookies.get("tracker_screen") == "narrow", cookies

        open_page(window, f"{server.url}/overdue")
        expect(window.locator(".st-key-narrow_cards_overdue")).to_be_visible()
        expect(window.locator(".st-key-wide_table_overdue")).to_have_count(0)
        assert_no_exception(window)

        window.set_viewport_size({"width": 1400, "height": 900})
        window.wait_for_function("document.cookie.includes('tracker_screen=wide')")
        open_page(window, f"{server.url}/overdue")
        expect(window.locator(".st-key-wide_table_overdue")).to_be_visible()
        expect(window.locator(".st-key-narrow_cards_overdue")).to_have_count(0)
    finally:
        context.close()


@pytest.mark.parametrize("path", PAGES)
def test_no_page_scrolls_sideways_on_a_phone(server, phone: Page, path) -> None:
    open_page(phone, f"{server.url}{path}")
    phone.wait_for_timeout(500)  # charts settle their width

    assert phone.evaluate(SIDEWAYS) == []
    assert_no_exception(phone)
