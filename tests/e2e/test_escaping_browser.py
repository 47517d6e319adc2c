"""Issue 11 in Chromium: typed text never becomes a link or an outside image (items 6
and 7), and Undo in the dialog leaves the app drawn (item 17)."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import Page, expect

from core.models import Status
from tests.e2e.test_browser import assert_no_exception, open_page, sign_in, status_in_db

pytestmark = pytest.mark.e2e

PAYLOAD = "[Sign in again](https://evil.example/login) ![t](https://evil.example/t.png)"
UNDONE = "state-housing.ht-taskforce.short.3"


def _key_class(key: str) -> str:
    return ".st-key-" + re.sub(r"[^A-Za-z0-9_-]", "-", key)


@pytest.mark.parametrize("path", ["", "/timeline", "/overdue", "/plan_browser"])
def test_search_text_makes_no_link_and_fetches_nothing(server, page: Page, path) -> None:
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.route(re.compile(r"https?://evil\.example/.*"), lambda route: route.abort())

    open_page(page, f"{server.url}{path}?q={quote(PAYLOAD)}")

    expect(page.get_by_text("Sign in again", exact=False).first).to_be_visible()
    expect(page.locator("img[src*='evil.example']")).to_have_count(0)
    expect(page.locator("a[href*='evil.example']")).to_have_count(0)
    assert not [url for url in asked if urlsplit(url).hostname == "evil.example"]
    assert_no_exception(page)


def test_undo_in_the_dialog_keeps_the_app_drawn(start_server, page: Page) -> None:
    # A server of its own: the shared one's Overview expects no status updates.
    server = start_server()
    open_page(page, server.url)
    open_page(page, f"{server.url}/region")
    sign_in(page, server)
    page.locator(_key_class(f"done_{UNDONE}")).get_by_role("button", name="Done").click()
    expect(page.get_by_text("Marked done.")).to_be_visible()
    page.locator(_key_class(f"form_{UNDONE}")).get_by_role("button").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("History")).to_be_visible()

    dialog.get_by_role("button", name="Undo this update").click()

    expect(page.get_by_text("Update undone.")).to_be_visible()
    expect(page.locator("h1")).to_have_text("State")  # the page is still drawn
    expect(dialog.get_by_text("Undo of update")).to_be_visible()
    assert_no_exception(page)
    assert status_in_db(server, UNDONE) == Status.NOT_STARTED.value
    log = server.log_file.read_text(errors="replace")
    assert "triggered with a callback that displays" not in log
