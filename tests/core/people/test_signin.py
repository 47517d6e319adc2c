"""Signing in: the password check, and the progressive delays after failures, per
account and per client address (core/people/signin.py).

`engine` and `session` (tests/conftest.py): a fresh database seeded from data/."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlmodel import Session, select

from core.models import SignInThrottle, User
from core.people import accounts, signin
from core.people.signin import ACCOUNT_LIMIT, ADDRESS_LIMIT, SignInDelayed, SignInError
from core.store.db import write_session

PASSWORD = "correct horse battery"
BAD = "wrong password!!"
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
WRONG = f"^{re.escape('Wrong username or password.')}$"


def add_user(session: Session, username: str = "alice", role: str = "lead") -> User:
    return accounts.create_user(session=session, username=username, role=role, password=PASSWORD)


def sign_in(session: Session, password: str, username: str = "alice", now=T0, address=None) -> User:
    return signin.authenticate(
        session=session, username=username, password=password, now=now, address=address
    )


def fail_times(session: Session, count: int, username: str = "alice", **kw) -> None:
    """`count` wrong passwords that start no delay."""
    for _ in range(count):
        with pytest.raises(SignInError, match=WRONG):
            sign_in(session, BAD, username, **kw)


def delay_account(session: Session, username: str = "alice") -> None:
    """Fail with `username` until a delay starts, however many failures that takes."""
    for _ in range(50):
        with pytest.raises(SignInError) as exc:
            sign_in(session, BAD, username)
        if isinstance(exc.value, SignInDelayed):
            return
    raise AssertionError("no delay started")


def delayed_for(exc: pytest.ExceptionInfo, now: datetime) -> timedelta:
    assert isinstance(exc.value, SignInDelayed)
    return exc.value.retry_at - now


# --- the password check -----------------------------------------------------------


def test_authenticate_returns_user_case_insensitively(session):
    user = add_user(session)
    assert sign_in(session, PASSWORD, username=" Alice ").id == user.id


def test_authenticate_same_message_for_unknown_user_and_wrong_password(session):
    add_user(session)
    with pytest.raises(SignInError) as wrong:
        sign_in(session, BAD)
    with pytest.raises(SignInError) as unknown:
        sign_in(session, PASSWORD, username="mallory")
    assert str(wrong.value) == str(unknown.value) == "Wrong username or password."
    assert type(wrong.value) is type(unknown.value) is SignInError


def test_authenticate_unknown_user_still_runs_argon2(session, monkeypatch):
    calls = []

    class Spy(PasswordHasher):
        def verify(self, hash, password):
            calls.append(hash)
            return super().verify(hash, password)

    monkeypatch.setattr(accounts, "password_hasher", Spy(time_cost=1, memory_cost=8, parallelism=1))
    for name in ("nobody", "x" * 500, "ada\x00"):
        with pytest.raises(SignInError, match=WRONG):
            sign_in(session, PASSWORD, username=name)
    assert len(calls) == 3 and all(c.startswith("$argon2id$") for c in calls)


def test_authenticate_rehashes_outdated_hash(session, monkeypatch):
    user = add_user(session)
    assert "m=8,t=1,p=1" in user.password_hash
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    monkeypatch.setattr(accounts, "password_hasher", stronger)
    sign_in(session, PASSWORD)
    session.refresh(user)
    assert "m=16,t=2,p=1" in user.password_hash
    assert stronger.verify(user.password_hash, PASSWORD)


def test_authenticate_treats_corrupt_hash_as_wrong_password(session):
    user = add_user(session)
    user.password_hash = "not-a-hash"
    session.add(user)
    session.flush()
    with pytest.raises(SignInError, match=WRONG):
        sign_in(session, PASSWORD)


def test_dummy_verify_never_matches():
    with pytest.raises(VerificationError):
        accounts.password_hasher.verify(signin._dummy_hash(accounts.password_hasher), "")


def test_deactivated_user_is_refused_with_the_right_password(session):
    add_user(session, username="root", role="admin")
    user = add_user(session)
    accounts.deactivate_user(session=session, user=user)
    with pytest.raises(SignInError, match="deactivated"):
        sign_in(session, PASSWORD)


# --- per account: one counter, however the name is typed --------------------------


@pytest.mark.parametrize(
    "spelling",
    ["alice", " ALICE ", "Alice\t\n", "alice\u3000", "\u00a0alice\u2003", "\u2028ALIce"],
)
def test_every_spelling_of_a_name_counts_on_the_account(session, spelling):
    """Issue 11, item 1: the counter is the account's, not the text typed."""
    add_user(session)
    delay_account(session, username=spelling)
    for name in ("alice", spelling, "ALICE"):
        with pytest.raises(SignInDelayed, match="Try again in "):
            sign_in(session, PASSWORD, username=name)
    assert session.exec(select(SignInThrottle.username)).all() == ["alice"]


def test_a_lowercasing_lookalike_counts_on_the_account_it_reaches(session):
    kate = add_user(session, username="kate")
    fail_times(session, ACCOUNT_LIMIT.free_failures - 1, username="\u212aATE")  # Kelvin sign
    with pytest.raises(SignInDelayed):
        sign_in(session, BAD, username="kate")
    assert sign_in(session, PASSWORD, "\u212aate", now=T0 + timedelta(seconds=2)).id == kate.id


@pytest.mark.parametrize("padding", [75, 76, 200])
def test_padding_past_the_column_width_gets_no_fresh_counter(session, padding):
    """The old key cut the name at 80 characters but looked the user up stripped:
    "alice" + spaces + "z" found alice on a counter of its own."""
    add_user(session)
    delay_account(session)
    padded = "alice" + " " * padding + "z"
    with pytest.raises(SignInError, match=WRONG):
        sign_in(session, PASSWORD, username=padded)
    with pytest.raises(SignInDelayed):
        sign_in(session, PASSWORD, username="alice" + " " * padding)


# --- per account: a delay that doubles, never a lock -------------------------------


def test_failures_start_a_doubling_delay_with_a_cap(session):
    """Issue 11, item 2: after five failures each attempt waits 2, 4, 8 … seconds, at
    most a minute; the right password is refused while the wait runs."""
    user = add_user(session)
    fail_times(session, ACCOUNT_LIMIT.free_failures - 1)
    now, waits = T0, []
    for _ in range(8):
        with pytest.raises(SignInDelayed) as exc:
            sign_in(session, BAD, now=now)
        waits.append(delayed_for(exc, now).total_seconds())
        with pytest.raises(SignInDelayed, match=r"^Too many failed sign-ins\. Try again in \d+ s"):
            sign_in(session, PASSWORD, now=exc.value.retry_at - timedelta(seconds=1))
        now = exc.value.retry_at
    assert waits == [2, 4, 8, 16, 32, 60, 60, 60]
    assert sign_in(session, PASSWORD, now=now).id == user.id
    assert session.get(SignInThrottle, "alice") is None
    fail_times(session, ACCOUNT_LIMIT.free_failures - 1, now=now)  # the run starts afresh


def test_the_failure_that_starts_a_delay_says_so(session):
    add_user(session)
    fail_times(session, 4)
    with pytest.raises(SignInDelayed) as exc:
        sign_in(session, BAD)
    assert str(exc.value) == (
        "Wrong username or password. Too many failed sign-ins. Try again in 2 seconds."
    )
    with pytest.raises(SignInDelayed) as early:
        sign_in(session, PASSWORD, now=T0 + timedelta(seconds=1))
    assert str(early.value) == "Too many failed sign-ins. Try again in 1 second."


def test_an_attacker_guessing_all_day_gets_under_100_an_hour_and_the_owner_gets_in(session):
    """ASVS V2.2.1: fewer than 100 failed attempts an hour on one account; the owner
    waits at most a minute, however long the guessing goes on."""
    user = add_user(session)
    now, guesses, end = T0, [], T0 + timedelta(hours=24)
    while now < end:
        with pytest.raises(SignInError) as exc:
            sign_in(session, BAD, now=now)
        guesses.append(now)
        wait = delayed_for(exc, now) if isinstance(exc.value, SignInDelayed) else timedelta(0)
        assert wait <= ACCOUNT_LIMIT.max_delay
        now += max(wait, timedelta(milliseconds=1))
    per_hour = max(sum(1 for g in guesses if h <= g < h + timedelta(hours=1)) for h in guesses)
    assert per_hour < 100
    assert sign_in(session, PASSWORD, now=now).id == user.id


def test_a_refusal_during_the_delay_does_not_extend_it(session, monkeypatch):
    add_user(session)
    fail_times(session, 4)
    with pytest.raises(SignInDelayed):
        sign_in(session, BAD)
    calls = []
    monkeypatch.setattr(signin, "_check_password", lambda *a: calls.append(a))
    for _ in range(20):
        with pytest.raises(SignInDelayed, match="Try again in 1 second"):
            sign_in(session, BAD, now=T0 + timedelta(seconds=1))
    assert calls == []  # refused without checking the password
    assert session.get(SignInThrottle, "alice").locked_until == T0 + timedelta(seconds=2)


def test_failures_are_forgotten_after_a_quiet_window(session):
    add_user(session)
    fail_times(session, 4)
    fail_times(session, 4, now=T0 + signin.FAILURE_WINDOW + timedelta(seconds=1))


def test_successful_sign_in_resets_the_account(session):
    user = add_user(session)
    fail_times(session, 4)
    assert sign_in(session, PASSWORD).id == user.id
    fail_times(session, 4)


def test_unknown_usernames_are_delayed_the_same_way(session):
    fail_times(session, 4, username="ghost")
    with pytest.raises(SignInDelayed, match="Try again in 2 seconds"):
        sign_in(session, BAD, username="GHOST ")
    fail_times(session, 4, username="g h o s t" * 20)  # a name no account can have
    with pytest.raises(SignInDelayed):
        sign_in(session, BAD, username="g h o s t" * 20)


def test_delay_is_per_account(session):
    add_user(session)
    bob = add_user(session, username="bob")
    fail_times(session, 4)
    with pytest.raises(SignInDelayed):
        sign_in(session, BAD)
    assert sign_in(session, PASSWORD, username="bob").id == bob.id


# --- per client address -----------------------------------------------------------


def test_one_address_spraying_many_names_is_delayed(session):
    """Issue 11, item 2: 180 guesses over 20 names used to lock nothing; now the
    address waits after ADDRESS_LIMIT.free_failures failures, whatever the names."""
    add_user(session, username="lead")
    here, elsewhere = "203.0.113.7", "198.51.100.1"
    said = []
    for _ in range(9):
        for i in range(20):
            with pytest.raises(SignInError) as exc:
                sign_in(session, BAD, username=f"user{i:02d}", address=here)
            said.append(str(exc.value).removesuffix(" Try again in 2 seconds."))
    started = "Wrong username or password. Too many failed sign-ins."
    assert (
        said
        == ["Wrong username or password."] * 19 + [started] + ["Too many failed sign-ins."] * 160
    )
    with pytest.raises(SignInDelayed, match="Try again in 2 seconds"):
        sign_in(session, PASSWORD, "lead", address=here)
    assert len(session.get(SignInThrottle, f"addr:{here}").failures) == 20
    assert sign_in(session, PASSWORD, "lead", address=elsewhere).username == "lead"


def test_a_clean_sign_in_does_not_reset_the_address(session):
    add_user(session)
    for i in range(ADDRESS_LIMIT.free_failures - 1):
        with pytest.raises(SignInError, match=WRONG):
            sign_in(session, BAD, username=f"name{i}", address="192.0.2.1")
    sign_in(session, PASSWORD, address="192.0.2.1")
    with pytest.raises(SignInDelayed):
        sign_in(session, BAD, username="another", address="192.0.2.1")


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.7", None, "203.0.113.7"),
        (None, None, "localhost"),
        ("10.0.0.2", "198.51.100.9", "198.51.100.9"),
        ("10.0.0.2", "1.1.1.1, 198.51.100.9", "198.51.100.9"),  # the proxy's entry is last
        ("10.0.0.2", "198.51.100.9:51234", "198.51.100.9"),
        ("10.0.0.2", "[2001:db8:1:2:3::4]:443", "2001:db8:1:2::/64"),
        ("2001:db8:aa:bb:1::2", None, "2001:db8:aa:bb::/64"),
        ("10.0.0.2", "not an address", "10.0.0.2"),
        ("10.0.0.2", "", "10.0.0.2"),
    ],
)
def test_client_address(peer, forwarded, expected):
    assert signin.client_address(peer, forwarded) == expected


# --- what is stored ---------------------------------------------------------------


def test_failure_is_recorded_even_when_the_caller_rolls_back(engine):
    with write_session(engine) as session:
        add_user(session)
    with pytest.raises(SignInError), write_session(engine) as session:
        sign_in(session, BAD, address="192.0.2.1")
    with Session(engine) as session:
        for key in ("alice", "addr:192.0.2.1"):
            throttle = session.get(SignInThrottle, key)
            assert throttle is not None and len(throttle.failures) == 1


def test_stale_throttle_rows_are_pruned(session):
    for name in ("ghost1", "ghost2"):
        with pytest.raises(SignInError):
            sign_in(session, "guess guess guess", username=name)
    with pytest.raises(SignInError):
        sign_in(session, "guess guess guess", username="ghost3", now=T0 + timedelta(minutes=16))
    assert session.exec(select(SignInThrottle.username)).all() == ["ghost3"]


# --- the password checked before the write transaction (issue 15) -------------------


def test_a_password_checked_first_signs_in_without_hashing_again(session, monkeypatch):
    add_user(session)
    checked = signin.check_password(session=session, username=" Alice ", password=PASSWORD)
    assert checked.ok and checked.name == "alice"

    class NoVerify(PasswordHasher):
        def verify(self, hash, password):
            raise AssertionError("the hash ran inside the write transaction")

    h = accounts.password_hasher
    same = NoVerify(time_cost=h.time_cost, memory_cost=h.memory_cost, parallelism=h.parallelism)
    monkeypatch.setattr(accounts, "password_hasher", same)
    user = signin.authenticate(
        session=session, username="alice", password=PASSWORD, now=T0, checked=checked
    )
    assert user.username == "alice"


def test_a_wrong_password_checked_first_counts_as_a_failure(session):
    add_user(session)
    checked = signin.check_password(session=session, username="alice", password=BAD)
    assert not checked.ok
    with pytest.raises(SignInError, match=WRONG):
        signin.authenticate(
            session=session, username="alice", password=BAD, now=T0, checked=checked
        )
    assert session.get(SignInThrottle, "alice") is not None


def test_a_check_made_before_the_password_changed_is_made_again(session):
    """The password changed between the check and the transaction: the check made on
    the old hash is not taken, the password is checked again on the new one."""
    user = add_user(session)
    checked = signin.check_password(session=session, username="alice", password=PASSWORD)
    user.password_hash = accounts.password_hasher.hash("a brand new passphrase")
    session.add(user)
    session.flush()
    with pytest.raises(SignInError, match=WRONG):
        signin.authenticate(
            session=session, username="alice", password=PASSWORD, now=T0, checked=checked
        )


def test_a_delayed_account_is_refused_whatever_the_check_said(session):
    add_user(session)
    delay_account(session)
    checked = signin.check_password(session=session, username="alice", password=PASSWORD)
    assert checked.ok
    with pytest.raises(SignInDelayed):
        signin.authenticate(
            session=session, username="alice", password=PASSWORD, now=T0, checked=checked
        )


def test_at_most_a_few_password_hashes_run_at_once(session, monkeypatch):
    """Each Argon2 check takes 64 MiB: a burst of concurrent sign-ins (no longer queued
    on the database's write lock) waits for a turn instead of taking it all at once."""
    import threading
    import time

    running, most = [0], [0]
    lock = threading.Lock()

    class Slow(PasswordHasher):
        def verify(self, hash, password):
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            time.sleep(0.02)
            with lock:
                running[0] -= 1
            return False

    monkeypatch.setattr(
        accounts, "password_hasher", Slow(time_cost=1, memory_cost=8, parallelism=1)
    )
    user = add_user(session)
    threads = [
        threading.Thread(target=signin._check_password, args=(user if i % 2 else None, BAD))
        for i in range(4 * signin.HASHES_AT_ONCE + 2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert 1 <= most[0] <= signin.HASHES_AT_ONCE
