"""Issue 14 item 7 in Chromium: a lead signs in, opens an outcome and records an
update (a status and a note) with the keyboard alone (Tab, Enter, typing), and it is
saved."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from core.models import StatusUpdate
from core.people import accounts
from core.store.db import make_engine, write_session
from tests.e2e.conftest import PASSWORD
from tests.e2e.test_browser import assert_no_exception, open_page, wait_for_app

pytestmark = pytest.mark.e2e

# A lead of this test's own, of a region the other tests leave alone.
LEAD = "lead-keyboard"
REGION = "central"
MOST_TABS = 400  # a page's tab stops, sidebar and toolbar included
# What has the keyboard focus: its tag, role, label and text, on one line.
FOCUSED = """
() => {
  const e = document.activeElement;
  if (!e || e === document.body) return "";
  const text = (e.innerText || e.value || "").trim().split(/\\s+/).join(" ");
  return [e.tagName, e.getAttribute("role") || "", e.getAttribute("aria-label") || "",
          e.id || "", text].join("|");
}
"""


def tab_to(page: Page, wanted: Callable[[str], bool], *, what: str) -> str:
    """Press Tab until the focused element is `wanted`; return its description."""
    seen: list[str] = []
    for _ in range(MOST_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if wanted(focused):
            return focused
        seen.append(focused)
    raise AssertionError(f"Tab never reached {what}; it reached: {seen[-40:]}")


def add_lead(server) -> None:
    engine = make_engine(f"sqlite:///{server.db_file}")
    try:
        with write_session(engine) as session:
            if accounts.get_user_by_username(session=session, username=LEAD) is None:
                user = accounts.create_user(
                    session=session,
                    username=LEAD,
                    role="lead",
                    password=PASSWORD,
                    display_name="Lead Keyboard",
                )
                accounts.assign(session=session, user=user, region_id=REGION)
    finally:
        engine.dispose()


def saved_update(server, note: str) -> StatusUpdate | None:
    engine = make_engine(f"sqlite:///{server.db_file}")
    try:
        with Session(engine) as session:
            return session.exec(select(StatusUpdate).where(StatusUpdate.note == note)).first()
    finally:
        engine.dispose()


def sign_in_by_keyboard(page: Page) -> None:
    tab_to(page, lambda f: "Sign in to record progress" in f, what="the sign-in expander")
    page.keyboard.press("Enter")
    tab_to(page, lambda f: "tracker-username" in f, what="the username field")
    page.keyboard.type(LEAD)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")  # submits the sign-in form
    expect(page.get_by_test_id("stSidebar").get_by_text("Lead Keyboard")).to_be_visible()
    wait_for_app(page)


def test_a_lead_records_an_update_by_keyboard_alone(server, page: Page) -> None:
    note = f"Keyboard only {uuid.uuid4().hex[:8]}"
    add_lead(server)
    open_page(page, f"{server.url}/region?region={REGION}")
    sign_in_by_keyboard(page)
    expect(page.locator("h1")).to_have_text("Central")

    tab_to(page, lambda f: f.startswith("BUTTON") and f.endswith("Update"), what="Update")
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    # As a person would, once the dialog is drawn: keys typed while its run still
    # streams (history, comments) were lost now and then on a busy machine.
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']")
    tab_to(page, lambda f: "combobox" in f and "Status" in f, what="the Status picker")
    picker = dialog.get_by_role("combobox", name="Status")
    current = picker.input_value()
    status = "In progress" if current != "In progress" else "Not started"
    page.keyboard.type(status)
    page.keyboard.press("Enter")
    expect(picker).to_have_value(status)
    tab_to(page, lambda f: f.startswith("TEXTAREA"), what="the Note field")
    page.keyboard.type(note)
    tab_to(page, lambda f: f.startswith("BUTTON") and f.endswith("Save"), what="Save")
    page.keyboard.press("Enter")

    expect(page.get_by_text("Update saved.")).to_be_visible()
    entry = saved_update(server, note)
    assert entry is not None and entry.new_status == status
    assert_no_exception(page)
