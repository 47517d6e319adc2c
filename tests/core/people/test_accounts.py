"""Users, passwords, roles, assignments and the `python -m core users` command.

`engine` and `session` (tests/conftest.py): a fresh in-memory database seeded from data/."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher, Type
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core.models import Assignment, User
from core.people import accounts, signin
from core.people.accounts import AccountError
from core.people.signin import SignInError
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


@pytest.mark.parametrize(
    "password",
    ["", " " * 12, "\t" * 12, "\u3000" * 12, "\u00a0\u2003" * 8, "\u200b" * 12, " \n" * 7],
)
def test_blank_passwords_are_refused(session, password):
    """Issue 11, item 5: twelve spaces used to pass the length rule."""
    with pytest.raises(AccountError, match=r"^The password is blank or only spaces"):
        add_user(session, password=password)
    assert accounts.list_users(session=session) == []


@pytest.mark.parametrize(
    "password", ["qwerty123456", "1QAZ2WSX3EDC", "  leavemealone  ", "Q1W2E3R4T5Y6\n"]
)
def test_common_passwords_are_refused_whatever_the_case_and_padding(session, password):
    user = add_user(session)
    with pytest.raises(AccountError, match="one of the most common passwords"):
        accounts.set_password(session=session, user=user, password=password)
    with pytest.raises(AccountError, match="one of the most common passwords"):
        add_user(session, username="bob", password=password)
    assert accounts.password_hasher.verify(user.password_hash, PASSWORD)


def test_the_common_password_list_ships_with_the_package():
    listed = accounts.common_passwords()
    assert len(listed) >= 10_000
    assert {"123456", "password", "qwerty", "iloveyou"} <= listed
    assert all(p == p.strip().lower() and p for p in listed)
    pyproject = (PROJECT_ROOT / "pyproject.toml").read_text()
    assert '"core.people" = ["common_passwords.txt"]' in pyproject
    assert accounts.validate_password(PASSWORD) == PASSWORD


def test_credentials_changes_bump_the_version(session):
    """Issue 11, item 4: what signs out the user's other sessions (ui/auth.py)."""
    add_user(session, username="root", role="admin")
    user = add_user(session)
    assert user.credentials_version == 0
    seen = []
    for change in (
        lambda: accounts.set_password(session=session, user=user, password="a new passphrase"),
        lambda: accounts.set_role(session=session, user=user, role="viewer"),
        lambda: accounts.deactivate_user(session=session, user=user),
        lambda: accounts.activate_user(session=session, user=user),
    ):
        change()
        session.expire_all()
        seen.append(session.get(User, user.id).credentials_version)
    assert seen == [1, 2, 3, 4]
    accounts.set_role(session=session, user=user, role="viewer")  # no change: no bump
    accounts.activate_user(session=session, user=user)
    assert user.credentials_version == 4


def test_account_writes_leave_the_commit_to_the_caller(engine):
    """The convention (architecture issue): services flush; the caller's write_session
    commits. A caller that fails after the service keeps nothing."""

    class Stop(Exception):
        pass

    with pytest.raises(Stop), write_session(engine) as session:
        user = add_user(session)
        assert user.id is not None  # flushed: the id is known
        accounts.assign(session=session, user=user, region_id="st-louis")
        raise Stop
    with Session(engine) as session:
        assert accounts.list_users(session=session) == []
    with write_session(engine) as session:
        add_user(session)
    with Session(engine) as session:
        assert [u.username for u in accounts.list_users(session=session)] == ["alice"]


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
        assert user.credentials_version == 1  # signs out the admin's open sessions
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
    blank = run_cli(db, "add", "admin", "--role", "admin", "--password-stdin", stdin=" " * 12)
    assert blank.returncode == 1
    assert blank.stderr.strip().startswith("error: The password is blank or only spaces")
    missing = run_cli(db, "role", "nobody", "lead")
    assert missing.returncode == 1
    assert missing.stderr.strip() == "error: No user named 'nobody'."
    assert "Traceback" not in short.stderr + missing.stderr
