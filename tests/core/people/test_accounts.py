"""Users, passwords, sign-in throttling and the `python -m core users` command.

`engine` and `session` (tests/conftest.py): a fresh in-memory database seeded from data/."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher, Type
from argon2.exceptions import VerificationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.models import Assignment, SignInThrottle, User
from core.people import accounts, signin
from core.people.accounts import AccountError
from core.people.signin import AccountLocked, SignInError
from core.store.db import make_engine, write_session

PROJECT_ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "correct horse battery"
PRODUCTION_HASHER = accounts.password_hasher  # before the fixture below swaps it
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
WRONG = f"^{re.escape('Wrong username or password.')}$"


def add_user(session: Session, username: str = "alice", role: str = "lead", **kw) -> User:
    kw.setdefault("password", PASSWORD)
    return accounts.create_user(session=session, username=username, role=role, **kw)


def sign_in(session: Session, password: str, username: str = "alice", now=T0) -> User:
    return signin.authenticate(session=session, username=username, password=password, now=now)


# --- users ------------------------------------------------------------------------


def test_production_hasher_is_argon2id_with_library_defaults():
    hasher, default = PRODUCTION_HASHER, PasswordHasher()
    assert hasher.type is Type.ID
    assert (hasher.time_cost, hasher.memory_cost, hasher.parallelism) == (
        default.time_cost,
        default.memory_cost,
        default.parallelism,
    )


def test_create_user_stores_argon2id_hash(session):
    user = add_user(session, display_name="Alice A", email="alice@example.org")
    assert user.id is not None
    assert user.password_hash.startswith("$argon2id$v=19$")
    assert PASSWORD not in user.password_hash
    assert accounts.password_hasher.verify(user.password_hash, PASSWORD)
    assert (user.username, user.display_name, user.email, user.role, user.active) == (
        "alice",
        "Alice A",
        "alice@example.org",
        "lead",
        True,
    )
    assert user.created_at.tzinfo is not None


def test_create_user_normalizes_username_email_and_display_name(session):
    user = add_user(session, username="  Alice.B ", email=" Alice@Example.ORG ")
    assert user.username == "alice.b"
    assert user.email == "alice@example.org"
    assert user.display_name == "alice.b"


@pytest.mark.parametrize("username", ["", "has space", "-dash-first", "é", "a" * 81, "a@b"])
def test_create_user_rejects_bad_username(session, username):
    with pytest.raises(AccountError, match="lowercase letters, digits"):
        add_user(session, username=username)


def test_create_user_rejects_short_password(session):
    with pytest.raises(AccountError, match="at least 12 characters \\(it has 11\\)"):
        add_user(session, password="x" * 11)
    assert accounts.list_users(session=session) == []


def test_create_user_rejects_unknown_role(session):
    with pytest.raises(
        AccountError, match="Unknown role 'boss': choose one of viewer, lead, admin"
    ):
        add_user(session, role="boss")


def test_create_user_rejects_duplicate_username_and_email(session):
    add_user(session, email="a@example.org")
    with pytest.raises(AccountError, match="already exists"):
        add_user(session, username="ALICE")
    with pytest.raises(AccountError, match="already has the email"):
        add_user(session, username="bob", email="A@example.org")


def test_create_user_without_password_is_oidc_only(session):
    user = add_user(session, password=None, email="sso@example.org")
    assert user.password_hash is None
    assert accounts.get_user_by_email(session=session, email="SSO@example.org").id == user.id
    assert accounts.get_user_by_email(session=session, email="other@example.org") is None
    with pytest.raises(SignInError, match=WRONG):
        sign_in(session, "")


def test_list_users_sorted_and_filtered(session):
    add_user(session, username="carol", role="viewer")
    add_user(session, username="bob", role="admin")
    add_user(session, username="alice")
    accounts.deactivate_user(
        session=session, user=accounts.require_user(session=session, username="carol")
    )
    assert [u.username for u in accounts.list_users(session=session)] == ["alice", "bob", "carol"]
    names = [u.username for u in accounts.list_users(session=session, include_inactive=False)]
    assert names == ["alice", "bob"]


def test_set_password_replaces_hash(session):
    user = add_user(session)
    old = user.password_hash
    accounts.set_password(session=session, user=user, password="another long password")
    assert user.password_hash != old
    assert sign_in(session, "another long password").id == user.id
    with pytest.raises(AccountError, match="too short"):
        accounts.set_password(session=session, user=user, password="short")


def test_set_role_validates_and_keeps_last_admin(session):
    admin = add_user(session, username="root", role="admin")
    user = add_user(session)
    accounts.set_role(session=session, user=user, role="ADMIN")
    assert user.role == "admin"
    accounts.set_role(session=session, user=admin, role="viewer")
    assert admin.role == "viewer"
    with pytest.raises(AccountError, match="only active admin"):
        accounts.set_role(session=session, user=user, role="lead")
    with pytest.raises(AccountError, match="Unknown role"):
        accounts.set_role(session=session, user=admin, role="owner")


def test_deactivate_user_refuses_last_admin_and_blocks_sign_in(session):
    admin = add_user(session, username="root", role="admin")
    user = add_user(session)
    with pytest.raises(AccountError, match="only active admin"):
        accounts.deactivate_user(session=session, user=admin)
    accounts.deactivate_user(session=session, user=user)
    assert user.active is False
    with pytest.raises(SignInError, match="deactivated"):
        sign_in(session, PASSWORD)
    accounts.activate_user(session=session, user=user)
    assert sign_in(session, PASSWORD).id == user.id


# --- assignments ------------------------------------------------------------------


def test_assign_region_and_strategy(session):
    user = add_user(session)
    by_region = accounts.assign(session=session, user=user, region_id="st-louis")
    by_strategy = accounts.assign(
        session=session, user=user, strategy_id="southwest.legal-services"
    )
    assert (by_region.region_id, by_region.strategy_id) == ("st-louis", None)
    assert (by_strategy.region_id, by_strategy.strategy_id) == (None, "southwest.legal-services")
    again = accounts.assign(session=session, user=user, region_id="st-louis")
    assert again.id == by_region.id
    scopes = [
        (a.region_id, a.strategy_id) for a in accounts.list_assignments(session=session, user=user)
    ]
    assert scopes == [("st-louis", None), (None, "southwest.legal-services")]


def test_assign_needs_exactly_one_known_scope_and_a_lead(session):
    user = add_user(session)
    with pytest.raises(AccountError, match="exactly one"):
        accounts.assign(session=session, user=user)
    with pytest.raises(AccountError, match="exactly one"):
        accounts.assign(session=session, user=user, region_id="st-louis", strategy_id="x")
    with pytest.raises(AccountError, match=re.escape("No region 'mars'. Regions: state, st-louis")):
        accounts.assign(session=session, user=user, region_id="mars")
    with pytest.raises(AccountError, match=re.escape("No strategy 'st-louis.nothing'")):
        accounts.assign(session=session, user=user, strategy_id="st-louis.nothing")
    viewer = add_user(session, username="vic", role="viewer")
    with pytest.raises(AccountError, match="'vic' is a viewer; only leads have assignments"):
        accounts.assign(session=session, user=viewer, region_id="st-louis")


def test_unassign_removes_only_that_scope(session):
    user = add_user(session)
    accounts.assign(session=session, user=user, region_id="st-louis")
    accounts.assign(session=session, user=user, region_id="central")
    accounts.unassign(session=session, user=user, region_id="st-louis")
    assert [a.region_id for a in accounts.list_assignments(session=session, user=user)] == [
        "central"
    ]
    with pytest.raises(AccountError, match="not assigned to region 'st-louis'"):
        accounts.unassign(session=session, user=user, region_id="st-louis")


def test_assignment_table_enforces_one_scope_and_uniqueness(session):
    user = add_user(session)
    session.add(
        Assignment(user_id=user.id, region_id="st-louis", strategy_id="st-louis.adult-shelter")
    )
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    session.add(Assignment(user_id=user.id))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    session.add(Assignment(user_id=user.id, region_id="st-louis"))
    session.add(Assignment(user_id=user.id, region_id="st-louis"))
    with pytest.raises(IntegrityError):
        session.commit()


# --- sign-in ----------------------------------------------------------------------


def test_authenticate_returns_user_case_insensitively(session):
    user = add_user(session)
    assert sign_in(session, PASSWORD, username=" Alice ").id == user.id


def test_authenticate_same_message_for_unknown_user_and_wrong_password(session):
    add_user(session)
    with pytest.raises(SignInError) as wrong:
        sign_in(session, "wrong password!!")
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
    with pytest.raises(SignInError):
        sign_in(session, PASSWORD, username="nobody")
    assert len(calls) == 1 and calls[0].startswith("$argon2id$")


def test_ten_failures_lock_the_account_for_fifteen_minutes(session):
    user = add_user(session)
    for i in range(9):
        with pytest.raises(SignInError) as exc:
            sign_in(session, "wrong password!!", now=T0 + timedelta(seconds=i))
        assert not isinstance(exc.value, AccountLocked)
    tenth = T0 + timedelta(seconds=9)
    with pytest.raises(AccountLocked) as locked:
        sign_in(session, "wrong password!!", now=tenth)
    assert locked.value.locked_until == tenth + timedelta(minutes=15)
    message = str(locked.value)
    assert message == "Too many failed sign-ins. Try again in 15 minutes (after 12:15 UTC)."

    # The 11th try, with the right password, is refused while locked.
    with pytest.raises(AccountLocked, match="Try again in 14 minutes"):
        sign_in(session, PASSWORD, now=tenth + timedelta(minutes=1))
    with pytest.raises(AccountLocked, match="Try again in 1 minute "):
        sign_in(session, PASSWORD, now=tenth + timedelta(minutes=14, seconds=59))

    # The lockout lifts by itself.
    assert sign_in(session, PASSWORD, now=tenth + timedelta(minutes=15)).id == user.id
    assert session.get(SignInThrottle, "alice") is None


def test_failures_older_than_the_window_do_not_count(session):
    add_user(session)
    times = [T0] * 5 + [T0 + timedelta(minutes=10)] * 4
    times += [T0 + timedelta(minutes=15)] * 5  # the first five have just expired
    for when in times:
        with pytest.raises(SignInError) as exc:
            sign_in(session, "wrong password!!", now=when)
        assert not isinstance(exc.value, AccountLocked)
    with pytest.raises(AccountLocked):
        sign_in(session, "wrong password!!", now=T0 + timedelta(minutes=15))


def test_successful_sign_in_resets_failures(session):
    user = add_user(session)
    for _ in range(9):
        with pytest.raises(SignInError):
            sign_in(session, "wrong password!!")
    assert sign_in(session, PASSWORD).id == user.id
    for _ in range(9):
        with pytest.raises(SignInError) as exc:
            sign_in(session, "wrong password!!")
        assert not isinstance(exc.value, AccountLocked)
    assert sign_in(session, PASSWORD).id == user.id


def test_unknown_usernames_are_throttled_the_same_way(session):
    for _ in range(9):
        with pytest.raises(SignInError, match=WRONG):
            sign_in(session, "guess guess guess", username="ghost")
    with pytest.raises(AccountLocked, match="Try again in 15 minutes"):
        sign_in(session, "guess guess guess", username="ghost")


def test_lockout_is_per_username(session):
    add_user(session)
    bob = add_user(session, username="bob")
    for _ in range(10):
        with pytest.raises(SignInError):
            sign_in(session, "wrong password!!")
    assert sign_in(session, PASSWORD, username="bob").id == bob.id


def test_failure_is_recorded_even_when_the_caller_rolls_back(engine):
    with Session(engine) as session:
        add_user(session)
    with pytest.raises(SignInError), write_session(engine) as session:
        sign_in(session, "wrong password!!")
    with Session(engine) as session:
        throttle = session.get(SignInThrottle, "alice")
        assert throttle is not None and len(throttle.failures) == 1


def test_stale_throttle_rows_are_pruned(session):
    for name in ("ghost1", "ghost2"):
        with pytest.raises(SignInError):
            sign_in(session, "guess guess guess", username=name)
    with pytest.raises(SignInError):
        sign_in(session, "guess guess guess", username="ghost3", now=T0 + timedelta(minutes=16))
    assert session.exec(select(SignInThrottle.username)).all() == ["ghost3"]


def test_authenticate_rehashes_outdated_hash(session, monkeypatch):
    user = add_user(session)
    old = user.password_hash
    assert "m=8,t=1,p=1" in old
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    monkeypatch.setattr(accounts, "password_hasher", stronger)
    sign_in(session, PASSWORD)
    session.refresh(user)
    assert "m=16,t=2,p=1" in user.password_hash
    assert stronger.verify(user.password_hash, PASSWORD)
    assert not stronger.check_needs_rehash(user.password_hash)


def test_authenticate_treats_corrupt_hash_as_wrong_password(session):
    user = add_user(session)
    user.password_hash = "not-a-hash"
    session.add(user)
    session.commit()
    with pytest.raises(SignInError, match=WRONG):
        sign_in(session, PASSWORD)


def test_dummy_verify_never_matches():
    with pytest.raises(VerificationError):
        accounts.password_hasher.verify(signin._dummy_hash(accounts.password_hasher), "")


# --- command line -----------------------------------------------------------------


def run_cli(db: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
    return subprocess.run(
        [sys.executable, "-m", "core", "users", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        timeout=120,
    )


def test_cli_add_list_passwd(tmp_path):
    db = tmp_path / "tracker.db"
    added = run_cli(
        db,
        "add",
        "Admin",
        "--role",
        "admin",
        "--name",
        "Ada Admin",
        "--email",
        "ada@example.org",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "Added admin 'admin'."

    lead = run_cli(db, "add", "lee", "--role", "lead", "--password-stdin", stdin=PASSWORD + "\n")
    assert lead.returncode == 0, lead.stderr
    assigned = run_cli(db, "assign", "lee", "--region", "st-louis")
    assert assigned.returncode == 0, assigned.stderr

    listed = run_cli(db, "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["USERNAME", "ROLE", "ACTIVE", "NAME", "EMAIL", "ASSIGNED"]
    assert lines[1].split() == ["admin", "admin", "yes", "Ada", "Admin", "ada@example.org", "-"]
    assert lines[2].split() == ["lee", "lead", "yes", "lee", "-", "region:st-louis"]

    changed = run_cli(db, "passwd", "admin", "--password-stdin", stdin="a brand new passphrase\n")
    assert changed.returncode == 0, changed.stderr
    with Session(make_engine(f"sqlite:///{db}")) as session:
        user = sign_in(session, "a brand new passphrase", username="admin", now=None)
        assert user.password_hash.startswith("$argon2id$")
        with pytest.raises(SignInError):
            sign_in(session, PASSWORD, username="admin", now=None)


def test_cli_refuses_to_prompt_without_a_terminal(tmp_path):
    result = run_cli(tmp_path / "t.db", "add", "admin", "--role", "admin")
    assert result.returncode == 1
    assert "stdin is not a terminal" in result.stderr
    assert "--password-stdin" in result.stderr


def test_cli_reports_errors_with_nonzero_exit(tmp_path):
    db = tmp_path / "t.db"
    short = run_cli(db, "add", "admin", "--role", "admin", "--password-stdin", stdin="short\n")
    assert short.returncode == 1
    assert short.stderr.strip() == (
        "error: The password is too short: use at least 12 characters (it has 5)."
    )
    missing = run_cli(db, "role", "nobody", "lead")
    assert missing.returncode == 1
    assert missing.stderr.strip() == "error: No user named 'nobody'."
    assert "Traceback" not in short.stderr + missing.stderr
