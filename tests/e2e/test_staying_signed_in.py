"""Staying signed in, in Chromium against `streamlit run dashboard.py` (the App's
routes, ui/routes.py): sign in, reload, a new tab, sign out, reload; a password
changed elsewhere ends this browser's session; the calendar feed URL."""

from __future__ import annotations

import itertools
import urllib.error
import urllib.request

import pytest
from icalendar import Calendar
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from core.models import User, UserSession
from core.people import accounts, sessions
from core.store.db import make_engine, write_session
from tests.e2e.test_browser import assert_no_exception, open_page, wait_for_app

pytestmark = pytest.mark.e2e

PASSWORD = "stay signed in please"
_names = itertools.count(1)


def add_lead(server) -> str:
    """A lead of the Southwest of this test's own (a password change must not touch
    the lead the other tests share)."""
    username = f"stay-{next(_names)}"
    engine = make_engine(f"sqlite:///{server.db_file}")
    try:
        with write_session(engine) as session:
            user = accounts.create_user(
                session=session,
                username=username,
                role="lead",
                password=PASSWORD,
                display_name=f"Stays {username}",
            )
            accounts.assign(session=session, user=user, region_id="southwest")
    finally:
        engine.dispose()
    return username


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Sign in to record progress").click()
    sidebar.get_by_role("textbox", name="Username").fill(username)
    sidebar.get_by_role("textbox", name="Password").fill(password)
    sidebar.get_by_role("button", name="Sign in", exact=True).click()
    wait_for_app(page)


def signed_in_as(page: Page, username: str) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text(f"Stays {username}")).to_be_visible()
    expect(sidebar.get_by_role("button", name="Sign out")).to_be_visible()


def signed_out(page: Page) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Sign in to record progress")).to_be_visible()


def reload(page: Page) -> None:
    page.reload()
    wait_for_app(page)


def db_session(server):
    return make_engine(f"sqlite:///{server.db_file}")


def test_sign_in_survives_reload_and_new_tab_until_sign_out(server, page: Page) -> None:
    username = add_lead(server)
    open_page(page, f"{server.url}/region?region=southwest")
    sign_in(page, username)
    signed_in_as(page, username)
    assert "/region" in page.url  # back on the page it was signed in from
    cookie = next(c for c in page.context.cookies() if c["name"] == "tracker_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"]

    reload(page)
    signed_in_as(page, username)

    tab = page.context.new_page()
    open_page(tab, server.url)
    signed_in_as(tab, username)

    page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
    wait_for_app(page)
    signed_out(page)
    reload(page)
    signed_out(page)
    # The other tab is signed out at its next run.
    tab.get_by_test_id("stSidebarNav").get_by_role("link", name="Timeline").click()
    wait_for_app(tab)
    signed_out(tab)
    assert_no_exception(tab)
    tab.close()


def test_password_change_elsewhere_ends_this_session(server, page: Page) -> None:
    username = add_lead(server)
    open_page(page, server.url)
    sign_in(page, username)
    signed_in_as(page, username)

    engine = db_session(server)
    try:
        with write_session(engine) as session:  # as `python -m core users passwd` does
            user = accounts.require_user(session=session, username=username)
            accounts.set_password(session=session, user=user, password="another long passphrase")
    finally:
        engine.dispose()

    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Timeline").click()
    wait_for_app(page)
    signed_out(page)
    expect(page.get_by_text("Your account changed; sign in again.")).to_be_visible()
    reload(page)
    signed_out(page)
    assert_no_exception(page)


def test_wrong_password_shows_the_sign_in_message(server, page: Page) -> None:
    username = add_lead(server)
    open_page(page, server.url)
    sign_in(page, username, "not the password at all")
    expect(page.get_by_text("Wrong username or password.")).to_be_visible()
    signed_out(page)
    assert_no_exception(page)


def test_forged_session_cookie_signs_out_cleanly(server, page: Page) -> None:
    page.context.add_cookies(
        [{"name": "tracker_session", "value": "forged-" + "x" * 40, "url": server.url}]
    )
    open_page(page, server.url)
    signed_out(page)
    assert_no_exception(page)


def _get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.headers.get("content-type", ""), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("content-type", ""), exc.read()


def test_calendar_feed_url_and_revocation(server) -> None:
    username = add_lead(server)
    engine = db_session(server)
    try:
        with write_session(engine) as session:
            user = accounts.require_user(session=session, username=username)
            old = sessions.new_feed_token(session=session, user=user)
            new = sessions.new_feed_token(session=session, user=user)
    finally:
        engine.dispose()
    status, kind, body = _get(f"{server.url}/calendar/{new}.ics")
    assert status == 200 and kind.startswith("text/calendar")
    events = Calendar.from_ical(body).walk("VEVENT")
    assert events and all(str(e["UID"]).startswith("southwest.") for e in events)
    assert str(events[0]["URL"]).startswith(f"{server.url}/region?region=southwest")
    assert _get(f"{server.url}/calendar/{old}.ics")[0] == 404
    assert _get(f"{server.url}/calendar/unknown.ics")[0] == 404


def test_sign_in_post_from_another_site_is_refused(server) -> None:
    username = add_lead(server)
    request = urllib.request.Request(
        f"{server.url}/auth/sign-in",
        data=f"username={username}&password={PASSWORD.replace(' ', '+')}&csrf=x".encode(),
        headers={"Origin": "https://evil.example", "Cookie": "tracker_csrf=x"},
        method="POST",
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as refused:
        opener.open(request, timeout=10)
    assert refused.value.code == 303
    assert "tracker_session" not in (refused.value.headers.get("set-cookie") or "")
    engine = db_session(server)
    try:
        with Session(engine) as session:
            user = session.exec(select(User).where(User.username == username)).one()
            rows = session.exec(select(UserSession).where(UserSession.user_id == user.id)).all()
            assert rows == []
    finally:
        engine.dispose()
