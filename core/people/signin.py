"""Signing in: password checks in constant work, and throttling of failed attempts."""

from __future__ import annotations

import contextlib
import math
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from core.clock import as_utc
from core.errors import TrackerError
from core.models import SignInThrottle, User
from core.people import accounts
from core.people.accounts import get_user_by_username, normalize_username

MAX_FAILURES = 10
FAILURE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)

WRONG_CREDENTIALS = "Wrong username or password."


class SignInError(TrackerError):
    """Sign-in refused; the message is safe to show as is."""


class AccountLocked(SignInError):
    """Too many failed sign-ins for this username; `locked_until` is in UTC."""

    def __init__(self, locked_until: datetime, now: datetime) -> None:
        minutes = max(1, math.ceil((locked_until - now).total_seconds() / 60))
        super().__init__(
            f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes > 1 else ''} "
            f"(after {locked_until:%H:%M} UTC)."
        )
        self.locked_until = locked_until


def _dummy_verify(password: str) -> None:
    # Unknown users still cost one Argon2 verify, so timing does not reveal who exists.
    with contextlib.suppress(VerificationError):
        accounts.password_hasher.verify(_dummy_hash(accounts.password_hasher), password)


_dummy_hashes: dict[PasswordHasher, str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    if hasher not in _dummy_hashes:
        _dummy_hashes[hasher] = hasher.hash("not anyone's password")
    return _dummy_hashes[hasher]


def _check_password(user: User | None, password: str) -> bool:
    if user is None or user.password_hash is None:
        _dummy_verify(password)
        return False
    try:
        return accounts.password_hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _record_failure(*, session: Session, key: str, now: datetime) -> datetime | None:
    """Count a failure; return the lockout end if this failure locks the username."""
    session.exec(
        delete(SignInThrottle).where(
            col(SignInThrottle.updated_at) < now - max(FAILURE_WINDOW, LOCKOUT),
            col(SignInThrottle.username) != key,
        )
    )
    # FOR UPDATE: concurrent failures for one username count one after the other
    # (PostgreSQL; SQLite's write transaction already holds the database's lock).
    throttle = session.get(
        SignInThrottle, key, with_for_update=True, populate_existing=True
    ) or SignInThrottle(username=key)
    since = now - FAILURE_WINDOW
    recent = [t for t in throttle.failures if datetime.fromisoformat(t) > since]
    recent.append(now.isoformat())
    locked_until = now + LOCKOUT if len(recent) >= MAX_FAILURES else None
    throttle.failures = [] if locked_until else recent
    throttle.locked_until = locked_until
    throttle.updated_at = now
    session.add(throttle)
    try:
        session.commit()
    except IntegrityError:  # a concurrent first failure for this username won the insert
        session.rollback()
        return None
    return locked_until


def authenticate(
    *, session: Session, username: str, password: str, now: datetime | None = None
) -> User:
    """The active user with this username and password, or SignInError.

    Unknown username and wrong password get the same message. After MAX_FAILURES
    failures within FAILURE_WINDOW the username (known or not) is locked for LOCKOUT:
    AccountLocked is raised without checking the password. `now` defaults to the clock.
    On a clean sign-in the failures are forgotten and an outdated hash is upgraded."""
    now = as_utc(now)
    key = normalize_username(username)[:80]
    if not key:
        raise SignInError(WRONG_CREDENTIALS)
    if "\x00" in key:  # no username has one, and PostgreSQL cannot compare it
        _dummy_verify(password)
        raise SignInError(WRONG_CREDENTIALS)

    throttle = session.get(SignInThrottle, key)
    if throttle is not None and throttle.locked_until is not None:
        if throttle.locked_until > now:
            raise AccountLocked(throttle.locked_until, now)
        throttle.locked_until = None
        session.add(throttle)

    user = get_user_by_username(session=session, username=key)
    if not _check_password(user, password):
        locked_until = _record_failure(session=session, key=key, now=now)
        if locked_until is not None:
            raise AccountLocked(locked_until, now)
        raise SignInError(WRONG_CREDENTIALS)

    assert user is not None and user.password_hash is not None
    if throttle is not None:
        session.delete(throttle)
    if accounts.password_hasher.check_needs_rehash(user.password_hash):
        user.password_hash = accounts.password_hasher.hash(password)
        session.add(user)
    session.commit()
    session.refresh(user)
    if not user.active:
        raise SignInError("This account is deactivated. Ask an admin to reactivate it.")
    return user
