"""Staying signed in: server-side sessions, and each person's calendar feed secret.

A browser that signs in gets a random token in a cookie; the database keeps only its
SHA-256 (`UserSession.token_hash`), so a copy of the database signs nobody in. A
session lives until it is ended (signing out, an admin) or has been idle for
`TRACKER_SESSION_IDLE_DAYS`; one signed in before its account's password, role or
activation changed (`User.credentials_version`, core/people/accounts.py) is refused.

The calendar feed works the same way: the URL holds a secret, `User.feed_token_hash`
its hash; a new link replaces the hash, so the old URL stops working.

Functions take keyword-only arguments and flush, never commit (the caller's
transaction does), like core/people/accounts.py.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from core.clock import as_utc
from core.config import get_settings
from core.models import User, UserSession

# Touching a session (last seen, expiry) writes at most this often.
TOUCH_INTERVAL = timedelta(minutes=1)
# Longer than any token we hand out (43 characters); a longer cookie is not ours.
MAX_TOKEN_LENGTH = 100
USER_AGENT_LENGTH = 300


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def idle_timeout() -> timedelta:
    return timedelta(days=get_settings().tracker_session_idle_days)


def create_session(
    *, session: Session, user: User, user_agent: str = "", now: datetime | None = None
) -> str:
    """Open a session for `user` and return its token (shown once: only its hash is kept)."""
    if user.id is None:
        raise ValueError("the user is not saved yet")
    at = as_utc(now)
    token = secrets.token_urlsafe(32)
    record = UserSession(
        user_id=user.id,
        token_hash=token_hash(token),
        created_at=at,
        last_seen_at=at,
        expires_at=at + idle_timeout(),
        user_agent=(user_agent or "")[:USER_AGENT_LENGTH],
        credentials_version=user.credentials_version or 0,
    )
    session.add(record)
    session.flush()
    return token


def _record(session: Session, token: str | None) -> UserSession | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return session.exec(
        select(UserSession).where(UserSession.token_hash == token_hash(token))
    ).first()


def _live(record: UserSession, user: User | None, at: datetime) -> bool:
    return (
        user is not None
        and user.active
        and record.ended_at is None
        and as_utc(record.expires_at) > at
        and record.credentials_version == (user.credentials_version or 0)
    )


def resolve_session(
    *, session: Session, token: str | None, now: datetime | None = None
) -> User | None:
    """The user a session token signs in, or None when the token is unknown, forged,
    ended, idle too long, or older than its account's last credentials change, or the
    account is deactivated. Reads only."""
    record = _record(session, token)
    if record is None:
        return None
    user = session.get(User, record.user_id)
    return user if _live(record, user, as_utc(now)) else None


def touch(*, session: Session, token: str | None, now: datetime | None = None) -> bool:
    """Note that the session was used: last seen, and the idle expiry moved on. Writes
    at most once per TOUCH_INTERVAL; returns whether it wrote."""
    at = as_utc(now)
    record = _record(session, token)
    if record is None or record.ended_at is not None or as_utc(record.expires_at) <= at:
        return False
    if at - as_utc(record.last_seen_at) < TOUCH_INTERVAL:
        return False
    record.last_seen_at = at
    record.expires_at = at + idle_timeout()
    session.add(record)
    session.flush()
    return True


def end_session(*, session: Session, token: str | None, now: datetime | None = None) -> bool:
    """Sign a browser out: its session ends. False when there was no open session."""
    record = _record(session, token)
    if record is None or record.ended_at is not None:
        return False
    record.ended_at = as_utc(now)
    session.add(record)
    session.flush()
    return True


def end_session_by_id(
    *, session: Session, user: User, session_id: int, now: datetime | None = None
) -> bool:
    """An admin ends one of `user`'s sessions (from the Users page)."""
    record = session.get(UserSession, session_id)
    if record is None or record.user_id != user.id or record.ended_at is not None:
        return False
    record.ended_at = as_utc(now)
    session.add(record)
    session.flush()
    return True


def end_all_sessions(*, session: Session, user: User, now: datetime | None = None) -> int:
    """End every open session of `user`; returns how many were open."""
    at = as_utc(now)
    records = session.exec(
        select(UserSession).where(
            UserSession.user_id == user.id, col(UserSession.ended_at).is_(None)
        )
    ).all()
    for record in records:
        record.ended_at = at
        session.add(record)
    session.flush()
    return len(records)


def list_sessions(
    *, session: Session, user: User, now: datetime | None = None
) -> list[UserSession]:
    """`user`'s sessions that still sign someone in, most recently seen first."""
    at = as_utc(now)
    records = session.exec(
        select(UserSession)
        .where(
            UserSession.user_id == user.id,
            col(UserSession.ended_at).is_(None),
            UserSession.expires_at > at,
        )
        .order_by(col(UserSession.last_seen_at).desc(), col(UserSession.id).desc())
    ).all()
    return [r for r in records if _live(r, user, at)]


def new_feed_token(*, session: Session, user: User) -> str:
    """A new secret for `user`'s calendar feed URL (returned once; the old one stops
    working)."""
    token = secrets.token_urlsafe(32)
    user.feed_token_hash = token_hash(token)
    session.add(user)
    session.flush()
    return token


def feed_user(*, session: Session, token: str | None) -> User | None:
    """The active user whose calendar feed `token` opens, else None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    user = session.exec(select(User).where(User.feed_token_hash == token_hash(token))).first()
    return user if user is not None and user.active else None
