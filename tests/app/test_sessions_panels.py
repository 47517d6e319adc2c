"""Under AppTest: the sidebar's My calendar panel (ui/panels/calendar.py) and the Users
page's list of a user's signed-in browsers with End buttons (ui/panels/users.py)."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session

from core.models import User
from core.people import sessions
from core.store.db import write_session

from .conftest import by_label, make_user, texts


def _feed_token(at) -> str:
    # the sidebar also holds the view's "Copy link" address
    [code] = [c for c in at.sidebar.code if "/calendar/" in str(c.value)]
    found = re.search(r"/calendar/([A-Za-z0-9_-]+)\.ics$", str(code.value))
    assert found, code.value
    return found.group(1)


@pytest.mark.backends("sqlite", "postgresql")
def test_my_calendar_link_is_made_once_and_renewed(db, new_app) -> None:
    lead = make_user(db, "lead-sw", region="southwest")
    at = new_app(user_id=lead).run()
    # Drawn only while open: the panel is in the sidebar of every page.
    assert not [b for b in at.sidebar.button if b.label == "Show my calendar link"]
    at.session_state["my_calendar"] = True  # what opening the expander sets
    at.run()
    by_label(at.sidebar.button, "Show my calendar link").click().run()
    assert not at.exception, [e.message for e in at.exception]
    first = _feed_token(at)
    with Session(db) as session:
        assert sessions.feed_user(session=session, token=first).id == lead

    by_label(at.sidebar.button, "New link (revokes the old one)").click().run()
    second = _feed_token(at)
    assert second != first
    with Session(db) as session:
        assert sessions.feed_user(session=session, token=first) is None
        assert sessions.feed_user(session=session, token=second).id == lead

    # A new browser session cannot read the secret back, only replace it.
    again = new_app(user_id=lead, my_calendar=True).run()
    by_label(again.sidebar.button, "Show my calendar link").click().run()
    assert not [c for c in again.sidebar.code if "/calendar/" in str(c.value)]
    assert any("make a new link" in t for t in texts(again.sidebar.info))


def test_signed_out_visitor_has_no_calendar(db, new_app) -> None:
    at = new_app().run()
    assert not [b for b in at.sidebar.button if b.label == "Show my calendar link"]


@pytest.mark.backends("sqlite", "postgresql")
def test_admin_sees_and_ends_a_users_sessions(db, new_app) -> None:
    admin = make_user(db, "admin", "admin")
    lead = make_user(db, "lead-sw", region="southwest")
    with write_session(db) as session:
        user = session.get(User, lead)
        assert user is not None
        kept = sessions.create_session(session=session, user=user, user_agent="Firefox on Linux")
        ended = sessions.create_session(session=session, user=user, user_agent="Safari on iPad")
    at = new_app("pages/users.py", user_id=admin).run()
    by_label(at.selectbox, "User").select("lead-sw").run()
    shown = [str(t.value) for t in at.text]
    assert any("Safari on iPad" in t and "last seen" in t for t in shown), shown
    assert any("Firefox on Linux" in t for t in shown)
    ends = [b for b in at.button if b.label == "End"]
    assert len(ends) == 2
    ends[0].click().run()  # most recently seen first: Safari, made last
    assert not at.exception, [e.message for e in at.exception]
    with Session(db) as session:
        user = session.get(User, lead)
        assert user is not None
        alive = [s.user_agent for s in sessions.list_sessions(session=session, user=user)]
        assert sessions.resolve_session(session=session, token=kept) is not None
        assert sessions.resolve_session(session=session, token=ended) is None
    assert alive == ["Firefox on Linux"]
