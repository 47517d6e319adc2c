"""Server-side sessions and calendar feed secrets (core/people/sessions.py), and the
feed itself (core/io/feed.py), on both backends (`session`: tests/conftest.py)."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlmodel import Session, select

from core.io.feed import calendar_feed
from core.models import User, UserSession
from core.people import accounts, sessions
from core.people.permissions import actor_for
from core.plan import redating

PASSWORD = "correct horse battery"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
OUTCOME = "southwest.legal-services.short.1"


def add_user(session: Session, username: str = "alice", role: str = "lead") -> User:
    user = accounts.create_user(session=session, username=username, role=role, password=PASSWORD)
    if role == "lead":
        accounts.assign(session=session, user=user, region_id="southwest")
    return user


def test_create_session_stores_only_the_hash(session: Session) -> None:
    user = add_user(session)
    token = sessions.create_session(session=session, user=user, user_agent="Firefox", now=T0)
    record = session.exec(select(UserSession)).one()
    assert len(token) >= 43
    assert record.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {record.token_hash, record.user_agent}
    assert record.user_id == user.id and record.user_agent == "Firefox"
    assert record.expires_at.astimezone(UTC) == T0 + timedelta(days=14)
    assert record.ended_at is None
    assert sessions.resolve_session(session=session, token=token, now=T0) == user


@pytest.mark.parametrize(
    "token",
    ["", "not-a-token", "x" * 10_000, "\x00", "é" * 50],
    ids=["empty", "unknown", "huge", "nul", "unicode"],
)
def test_resolve_unknown_or_forged_token_signs_nobody_in(session: Session, token: str) -> None:
    add_user(session)
    assert sessions.resolve_session(session=session, token=token, now=T0) is None
    assert sessions.resolve_session(session=session, token=None, now=T0) is None


def test_session_expires_after_idle_days_and_touch_extends_it(session: Session) -> None:
    user = add_user(session)
    token = sessions.create_session(session=session, user=user, now=T0)
    day13 = T0 + timedelta(days=13)
    assert sessions.resolve_session(session=session, token=token, now=day13) == user
    assert sessions.touch(session=session, token=token, now=day13)
    assert not sessions.touch(session=session, token=token, now=day13 + timedelta(seconds=30))
    day20 = T0 + timedelta(days=20)
    assert sessions.resolve_session(session=session, token=token, now=day20) == user
    gone = day13 + timedelta(days=14, seconds=1)
    assert sessions.resolve_session(session=session, token=token, now=gone) is None
    assert not sessions.touch(session=session, token=token, now=gone)


def test_idle_days_come_from_the_setting(session: Session, monkeypatch) -> None:
    from core import config

    monkeypatch.setenv("TRACKER_SESSION_IDLE_DAYS", "1")
    config.get_settings.cache_clear()
    try:
        user = add_user(session)
        token = sessions.create_session(session=session, user=user, now=T0)
        later = T0 + timedelta(hours=25)
        assert sessions.resolve_session(session=session, token=token, now=later) is None
    finally:
        config.get_settings.cache_clear()


def test_end_session_signs_that_browser_out_only(session: Session) -> None:
    user = add_user(session)
    one = sessions.create_session(session=session, user=user, now=T0)
    two = sessions.create_session(session=session, user=user, now=T0)
    assert sessions.end_session(session=session, token=one, now=T0)
    assert not sessions.end_session(session=session, token=one, now=T0)
    assert sessions.resolve_session(session=session, token=one, now=T0) is None
    assert sessions.resolve_session(session=session, token=two, now=T0) == user
    assert [s.token_hash for s in sessions.list_sessions(session=session, user=user, now=T0)] == [
        sessions.token_hash(two)
    ]


@pytest.mark.parametrize("change", ["password", "role", "deactivate"])
def test_credentials_change_ends_every_session(session: Session, change: str) -> None:
    user = add_user(session)
    add_user(session, "root", role="admin")
    token = sessions.create_session(session=session, user=user, now=T0)
    if change == "password":
        accounts.set_password(session=session, user=user, password="a brand new passphrase")
    elif change == "role":
        accounts.set_role(session=session, user=user, role="viewer")
    else:
        accounts.deactivate_user(session=session, user=user)
    assert sessions.resolve_session(session=session, token=token, now=T0) is None
    assert sessions.list_sessions(session=session, user=user, now=T0) == []
    if change != "deactivate":  # a new sign-in works again
        fresh = sessions.create_session(session=session, user=user, now=T0)
        assert sessions.resolve_session(session=session, token=fresh, now=T0) == user


def test_admin_ends_sessions_by_id_and_all(session: Session) -> None:
    user = add_user(session)
    other = add_user(session, "bob")
    tokens = [sessions.create_session(session=session, user=user, now=T0) for _ in range(3)]
    theirs = sessions.create_session(session=session, user=other, now=T0)
    listed = sessions.list_sessions(session=session, user=user, now=T0)
    assert len(listed) == 3
    assert listed[0].id is not None
    assert not sessions.end_session_by_id(session=session, user=other, session_id=listed[0].id)
    assert sessions.end_session_by_id(session=session, user=user, session_id=listed[0].id)
    assert len(sessions.list_sessions(session=session, user=user, now=T0)) == 2
    assert sessions.end_all_sessions(session=session, user=user, now=T0) == 2
    assert all(sessions.resolve_session(session=session, token=t, now=T0) is None for t in tokens)
    assert sessions.resolve_session(session=session, token=theirs, now=T0) == other


def test_feed_token_is_shown_once_and_a_new_one_revokes_it(session: Session) -> None:
    user = add_user(session)
    old = sessions.new_feed_token(session=session, user=user)
    assert user.feed_token_hash == sessions.token_hash(old)
    assert sessions.feed_user(session=session, token=old) == user
    new = sessions.new_feed_token(session=session, user=user)
    assert new != old
    assert sessions.feed_user(session=session, token=old) is None
    assert sessions.feed_user(session=session, token=new) == user
    assert sessions.feed_user(session=session, token="forged") is None
    user.active = False
    assert sessions.feed_user(session=session, token=new) is None


def _events(body: bytes) -> dict[str, object]:
    cal = Calendar.from_ical(body)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_feed_lists_the_leads_open_outcomes_with_alarms_and_links(session: Session) -> None:
    user = add_user(session)
    events = _events(calendar_feed(session=session, user=user, base_url="https://t.example/"))
    assert events
    assert all(uid.startswith("southwest.") for uid in events)
    event = events[f"{OUTCOME}@mo-plan-tracker"]
    triggers = sorted(str(a["TRIGGER"].to_ical(), "ascii") for a in event.walk("VALARM"))
    assert triggers == ["-P1D", "-P7D"]
    assert all(str(a["ACTION"]) == "DISPLAY" for a in event.walk("VALARM"))
    assert str(event["URL"]) == "https://t.example/region?region=southwest"
    assert int(event["SEQUENCE"]) == 0


def test_feed_moves_a_redated_outcome_with_a_higher_sequence(session: Session) -> None:
    user = add_user(session)
    admin = add_user(session, "root", role="admin")
    before = _events(calendar_feed(session=session, user=user, base_url="http://x"))
    uid = f"{OUTCOME}@mo-plan-tracker"
    redating.redate_outcome(
        session=session,
        actor=actor_for(session, admin),
        outcome_id=OUTCOME,
        due_date=date(2027, 5, 31),
        reason="the workgroup started late",
    )
    after = _events(calendar_feed(session=session, user=user, base_url="http://x"))
    assert set(after) == set(before)
    assert after[uid]["DTSTART"].dt == date(2027, 5, 31)
    assert int(after[uid]["SEQUENCE"]) > int(before[uid]["SEQUENCE"])


def test_feed_of_someone_without_assignments_is_the_whole_plan(session: Session) -> None:
    admin = add_user(session, "root", role="admin")
    uids = _events(calendar_feed(session=session, user=admin, base_url="http://x"))
    assert {uid.split(".")[0] for uid in uids} > {"southwest", "central"}
