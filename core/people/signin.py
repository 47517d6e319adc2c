"""Signing in: password checks in constant work, and progressive delays after failures.

Failures are counted per account (its username, however the name was typed; a name no
account has gets a counter of its own, so delays do not reveal who exists) and per
client address (`addr:<address>`, across every name tried from it). After a few
failures in a row each further attempt must wait a delay that doubles up to a cap, and
even the right password is refused until it has passed. A counter is forgotten after
FAILURE_WINDOW without a failure; an account's also at its next sign-in.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import math
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.clock import as_utc
from core.errors import TrackerError
from core.models import SignInThrottle, User
from core.people import accounts
from core.people.accounts import USERNAME_PATTERN, get_user_by_username, normalize_username

FAILURE_WINDOW = timedelta(minutes=15)
FIRST_DELAY = timedelta(seconds=2)
KEPT_FAILURES = 40  # more than any limit needs to reach its cap


@dataclass(frozen=True)
class Limit:
    """Failures allowed in a row before delays start, and the longest delay."""

    free_failures: int
    max_delay: timedelta

    def delay(self, failures: int) -> timedelta | None:
        """The wait after `failures` failures in a row: FIRST_DELAY at the limit,
        doubling with each further failure, never more than `max_delay`."""
        if failures < self.free_failures:
            return None
        doublings = min(failures - self.free_failures, 20)
        return min(FIRST_DELAY * 2**doublings, self.max_delay)


# Per account: at most about 70 guesses an hour (ASVS V2.2.1 asks for fewer than 100),
# and the longest a stranger can make its owner wait is a minute.
ACCOUNT_LIMIT = Limit(free_failures=5, max_delay=timedelta(minutes=1))
# Per client address: stops one address spraying a few guesses over many names.
ADDRESS_LIMIT = Limit(free_failures=20, max_delay=timedelta(minutes=5))

WRONG_CREDENTIALS = "Wrong username or password."


class SignInError(TrackerError):
    """Sign-in refused; the message is safe to show as is."""


class SignInDelayed(SignInError):
    """Too many failed sign-ins in a row; `retry_at` (UTC) is when the next may come."""

    def __init__(self, retry_at: datetime, now: datetime, *, prefix: str = "") -> None:
        seconds = max(1, math.ceil((retry_at - now).total_seconds()))
        wait = (
            f"{seconds} second{'s' if seconds > 1 else ''}"
            if seconds < 120
            else f"{math.ceil(seconds / 60)} minutes"
        )
        super().__init__(f"{prefix}Too many failed sign-ins. Try again in {wait}.")
        self.retry_at = retry_at


def client_address(peer: str | None, forwarded: str | None = None) -> str:
    """The address to limit sign-ins by: the last entry of a trusted proxy's
    X-Forwarded-For-style header (the one that proxy added; earlier ones are the
    client's to forge), else the connection's address. IPv6 counts by /64, which one
    client usually holds whole. Local connections (no address) are 'localhost'."""
    for candidate in ((forwarded or "").split(",")[-1], peer or ""):
        text = candidate.strip()
        if text.startswith("[") and "]" in text:  # [v6]:port
            text = text[1 : text.index("]")]
        elif text.count(":") == 1:  # v4:port
            text = text.split(":")[0]
        try:
            ip = ipaddress.ip_address(text)
        except ValueError:
            continue
        if ip.version == 6:
            return str(ipaddress.ip_network(f"{ip}/64", strict=False))
        return str(ip)
    return "localhost"


def _dummy_verify(password: str) -> None:
    # Unknown users still cost one Argon2 verify, so timing does not reveal who exists.
    with contextlib.suppress(VerificationError):
        accounts.password_hasher.verify(_dummy_hash(accounts.password_hasher), password)


_dummy_hashes: dict[PasswordHasher, str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    if hasher not in _dummy_hashes:
        _dummy_hashes[hasher] = hasher.hash("not anyone's password")
    return _dummy_hashes[hasher]


# At most this many password hashes run at once in a process: each takes 64 MiB and a
# core for ~0.1 s. A burst of sign-ins (or of guesses) waits for a turn instead of
# taking the memory all at once; no database lock is held meanwhile (check_password).
HASHES_AT_ONCE = max(1, min(4, os.cpu_count() or 1))
_hashing = threading.BoundedSemaphore(HASHES_AT_ONCE)


def _check_password(user: User | None, password: str) -> bool:
    with _hashing:
        if user is None or user.password_hash is None:
            _dummy_verify(password)
            return False
        try:
            return accounts.password_hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def _unknown_key(name: str) -> str:
    """The counter of a name no account has: the name itself when it could be a
    username, else a digest (it may be long, and must not pose as `addr:`)."""
    if USERNAME_PATTERN.fullmatch(name):
        return name
    return "name:" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def _refuse_if_waiting(*, session: Session, key: str, now: datetime) -> None:
    throttle = session.get(SignInThrottle, key)
    if throttle is not None and throttle.locked_until is not None:
        retry_at = as_utc(throttle.locked_until)
        if retry_at > now:
            raise SignInDelayed(retry_at, now)


def _count_failure(*, session: Session, key: str, limit: Limit, now: datetime) -> datetime | None:
    """Add a failure to `key`'s run of failures; return when the next attempt may come."""
    # FOR UPDATE: concurrent failures for one key count one after the other
    # (PostgreSQL; SQLite's write transaction already holds the database's lock).
    throttle = session.get(
        SignInThrottle, key, with_for_update=True, populate_existing=True
    ) or SignInThrottle(username=key)
    run = list(throttle.failures or [])
    if run and now - as_utc(datetime.fromisoformat(run[-1])) > FAILURE_WINDOW:
        run = []
    run = [*run, now.isoformat()][-KEPT_FAILURES:]
    delay = limit.delay(len(run))
    throttle.failures = run
    throttle.locked_until = now + delay if delay else None
    throttle.updated_at = now
    session.add(throttle)
    return throttle.locked_until


def _record_failure(
    *, session: Session, account_key: str, address_key: str | None, now: datetime
) -> datetime | None:
    """Count a failure for the account and the address; return the later wait's end."""
    keys = [key for key in (account_key, address_key) if key]
    # Forget quiet counters; SKIP LOCKED (PostgreSQL): never wait for, or deadlock
    # with, a concurrent sign-in's rows.
    stale = (
        select(SignInThrottle.username)
        .where(
            col(SignInThrottle.updated_at) < now - FAILURE_WINDOW,
            col(SignInThrottle.username).not_in(keys),
        )
        .with_for_update(skip_locked=True)
    )
    session.exec(delete(SignInThrottle).where(col(SignInThrottle.username).in_(stale)))
    waits = [_count_failure(session=session, key=account_key, limit=ACCOUNT_LIMIT, now=now)]
    if address_key:
        waits.append(_count_failure(session=session, key=address_key, limit=ADDRESS_LIMIT, now=now))
    try:
        # The one commit inside a service: the failure must be kept although the
        # sign-in then raises (and the caller's write_session rolls back).
        session.commit()
    except IntegrityError:  # a concurrent first failure for this key won the insert
        session.rollback()
        return None
    return max((w for w in waits if w is not None), default=None)


@dataclass(frozen=True)
class Checked:
    """A password checked before the sign-in's write transaction (`check_password`):
    Argon2 takes ~0.1 s of CPU, more under load, and inside the transaction it held
    the database's write lock, so concurrent sign-ins queued on it until SQLite gave
    up ("the database is unavailable": issue 15's capacity bench, 100 sessions)."""

    name: str
    password_hash: str | None  # the hash it was checked against (None: no account)
    ok: bool


def check_password(*, session: Session, username: str, password: str) -> Checked:
    """Look the account up and check the password in a read session, holding no lock
    while the hash runs; `authenticate` applies the result in its write transaction
    (throttles first, as always), unless the account's hash changed in between."""
    name = normalize_username(username)
    if not name:
        return Checked(name, None, False)  # refused before any check
    user = (
        get_user_by_username(session=session, username=name)
        if USERNAME_PATTERN.fullmatch(name)
        else None
    )
    return Checked(name, _hash_of(user), _check_password(user, password))


def _hash_of(user: User | None) -> str | None:
    return user.password_hash if user is not None else None


def authenticate(
    *,
    session: Session,
    username: str,
    password: str,
    address: str | None = None,
    now: datetime | None = None,
    checked: Checked | None = None,
) -> User:
    """The active user with this username and password, or SignInError.

    Unknown username and wrong password get the same message. While the account's or
    the client `address`'s delay runs (see the module's docstring) SignInDelayed is
    raised without checking the password; `address` None (the command line, tests)
    counts by account only. `now` defaults to the clock. On a clean sign-in the
    account's failures are forgotten and an outdated hash is upgraded; the caller
    commits that. `checked`: the password as `check_password` found it, so that the
    hash does not run inside the caller's write transaction."""
    now = as_utc(now)
    name = normalize_username(username)
    if not name:
        raise SignInError(WRONG_CREDENTIALS)
    address_key = f"addr:{address}"[:80] if address else None
    if address_key:
        _refuse_if_waiting(session=session, key=address_key, now=now)
    # No lookup for a name no account can have (a NUL, for one, PostgreSQL cannot compare).
    user = (
        get_user_by_username(session=session, username=name)
        if USERNAME_PATTERN.fullmatch(name)
        else None
    )
    account_key = user.username if user is not None else _unknown_key(name)
    _refuse_if_waiting(session=session, key=account_key, now=now)

    fresh = checked is not None and (checked.name, checked.password_hash) == (name, _hash_of(user))
    if not (checked.ok if checked is not None and fresh else _check_password(user, password)):
        retry_at = _record_failure(
            session=session, account_key=account_key, address_key=address_key, now=now
        )
        if retry_at is not None:
            raise SignInDelayed(retry_at, now, prefix=f"{WRONG_CREDENTIALS} ")
        raise SignInError(WRONG_CREDENTIALS)

    assert user is not None and user.password_hash is not None
    if not user.active:
        raise SignInError("This account is deactivated. Ask an admin to reactivate it.")
    # The address's failures stay: signing in to one's own account between guesses
    # at others must not reset them.
    if (throttle := session.get(SignInThrottle, account_key)) is not None:
        session.delete(throttle)
    if accounts.password_hasher.check_needs_rehash(user.password_hash):
        user.password_hash = accounts.password_hasher.hash(password)
        session.add(user)
    session.flush()
    return user
