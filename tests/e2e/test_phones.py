"""Issue 14 item 6 in Chromium at 420 px: the sidebar closes after a navigation tap,
outcome tables are stacked cards (the table again at 1,400 px), and no page scrolls
sideways."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import RUN_TIMEOUT
from tests.e2e.test_browser import assert_no_exception, open_page, wait_for_app

pytestmark = pytest.mark.e2e

PHONE = {"width": 420, "height": 900}
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
    context = browser.new_context(viewport=PHONE)
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
    expect(phone.locator(f".st-key-wide_table_{key}")).to_be_hidden()
    expect(cards.get_by_role("button", name="History").first).to_be_visible()  # signed out
    expect(cards.get_by_text("Overdue", exact=True).first).to_be_visible()  # a badge


@pytest.mark.parametrize(("path", "key"), [("/overdue", "overdue"), ("/plan_browser", "browser")])
def test_outcome_tables_are_tables_on_a_wide_screen(server, page: Page, path, key) -> None:
    open_page(page, f"{server.url}{path}")

    expect(page.locator(f".st-key-wide_table_{key}")).to_be_visible()
    expect(page.locator(f".st-key-narrow_cards_{key}")).to_be_hidden()


@pytest.mark.parametrize("path", PAGES)
def test_no_page_scrolls_sideways_on_a_phone(server, phone: Page, path) -> None:
    open_page(phone, f"{server.url}{path}")
    phone.wait_for_timeout(500)  # charts settle their width

    assert phone.evaluate(SIDEWAYS) == []
    assert_no_exception(phone)
