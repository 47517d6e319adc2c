"""Signing in and recording progress through the views (AppTest): one-click Done,
the update dialog, permissions, and two sessions saving the same outcome."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from core import models
from core.models import Status
from core.people import accounts, signin
from core.store.db import write_session

from .conftest import (
    PASSWORD,
    PROJECT_ROOT,
    SW_DONE,
    by_label,
    history_count,
    history_rows,
    make_user,
    status_of,
    texts,
)

OUTCOME = "southwest.legal-services.short.2"


@pytest.fixture
def lead_sw(db) -> int:
    return make_user(db, "lead-sw", region="southwest")


def region_page(new_app, region: str = "southwest", **state) -> AppTest:
    at = new_app("pages/region.py", **state).run()
    at.selectbox(key="region_page_pick").select(region).run()
    assert not at.exception, [e.message for e in at.exception]
    assert texts(at.title) == [region.replace("-", " ").title()]
    return at


def open_dialog(at: AppTest, outcome_id: str) -> AppTest:
    """Click the outcome's Update (or History) button on the region page."""
    at.button(key=f"form_{outcome_id}").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["dialog_outcome"] == outcome_id
    assert len(at.get("dialog")) == 1
    return at


def done_buttons(at: AppTest) -> list:
    return [b for b in at.button if b.key and b.key.startswith("done_")]


def sign_in(at: AppTest, username: str, password: str) -> AppTest:
    by_label(at.sidebar.text_input, "Username").input(username)
    by_label(at.sidebar.text_input, "Password").input(password)
    by_label(at.sidebar.form_submit_button, "Sign in").click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


# --- signing in -------------------------------------------------------------------


@pytest.mark.backends("sqlite", "postgresql")
def test_sign_in_as_lead(lead_sw: int, new_app) -> None:
    at = new_app().run()

    sign_in(at, "lead-sw", PASSWORD)

    assert at.session_state["user_id"] == lead_sw
    assert "**Lead Sw** (lead · Southwest)" in " ".join(texts(at.sidebar.markdown))
    assert [b.label for b in at.sidebar.button if b.label == "Sign out"] == ["Sign out"]
    assert not [t for t in at.sidebar.text_input if t.label == "Password"]
    assert not at.error


@pytest.mark.backends("sqlite", "postgresql")
def test_sign_in_with_wrong_password_is_refused(lead_sw: int, new_app) -> None:
    at = new_app().run()

    sign_in(at, "lead-sw", "not the password at all")

    assert "user_id" not in at.session_state
    assert texts(at.sidebar.error) == [signin.WRONG_CREDENTIALS]
    assert texts(at.sidebar.error) == ["Wrong username or password."]


def test_sign_in_unknown_user_gets_the_same_message(db, new_app) -> None:
    at = new_app().run()

    sign_in(at, "nobody", PASSWORD)

    assert "user_id" not in at.session_state
    assert texts(at.sidebar.error) == ["Wrong username or password."]


def test_sign_out(lead_sw: int, new_app) -> None:
    at = new_app(user_id=lead_sw).run()

    by_label(at.sidebar.button, "Sign out").click().run()

    assert "user_id" not in at.session_state
    assert by_label(at.sidebar.text_input, "Username")


def users_cli(*args: str, stdin: str = "") -> None:
    """`python -m core users ...` on the test's database (DATABASE_URL is set)."""
    done = subprocess.run(
        [sys.executable, "-m", "core", "users", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.backends("sqlite", "postgresql")
def test_password_change_signs_out_the_open_session(lead_sw: int, db, new_app) -> None:
    """Issue 11, item 4: after `users passwd` the lead's open session went on saving."""
    at = new_app().run()
    sign_in(at, "lead-sw", PASSWORD)
    at.switch_page("pages/region.py").run()
    at.selectbox(key="region_page_pick").select("southwest").run()
    assert done_buttons(at)

    users_cli("passwd", "lead-sw", "--password-stdin", stdin="a fresh passphrase\n")
    at.button(key=f"done_{SW_DONE}").click().run()

    assert not at.exception, [e.message for e in at.exception]
    assert "user_id" not in at.session_state
    assert texts(at.sidebar.warning) == ["Your account changed; sign in again."]
    assert history_count(db) == 0
    assert not done_buttons(at)
    sign_in(at, "lead-sw", "a fresh passphrase")
    assert at.session_state["user_id"] == lead_sw
    assert not at.sidebar.warning


@pytest.mark.parametrize("change", ["role", "deactivate"])
def test_role_change_or_deactivation_signs_out_the_open_session(
    lead_sw: int, db, new_app, change: str
) -> None:
    at = new_app().run()
    sign_in(at, "lead-sw", PASSWORD)
    users_cli(*(["role", "lead-sw", "viewer"] if change == "role" else ["deactivate", "lead-sw"]))

    at.run()

    assert "user_id" not in at.session_state
    assert texts(at.sidebar.warning) == ["Your account changed; sign in again."]


def test_a_session_signed_in_after_the_change_stays_signed_in(lead_sw: int, new_app) -> None:
    users_cli("passwd", "lead-sw", "--password-stdin", stdin="a fresh passphrase\n")
    at = new_app().run()
    sign_in(at, "lead-sw", "a fresh passphrase")

    at.run()

    assert at.session_state["user_id"] == lead_sw
    assert not at.sidebar.warning


def test_repeated_failures_make_the_form_wait(lead_sw: int, new_app) -> None:
    at = new_app().run()
    for _ in range(signin.ACCOUNT_LIMIT.free_failures - 1):
        sign_in(at, "lead-sw", "not the password at all")
        assert texts(at.sidebar.error) == ["Wrong username or password."]
    sign_in(at, "lead-sw", "not the password at all")
    assert texts(at.sidebar.error) == [
        "Wrong username or password. Too many failed sign-ins. Try again in 2 seconds."
    ]
    sign_in(at, "lead-sw", PASSWORD)  # the right password, but within the wait
    assert "user_id" not in at.session_state
    [message] = texts(at.sidebar.error)
    assert re.fullmatch(r"Too many failed sign-ins\. Try again in [12] seconds?\.", message)


# --- who sees which controls ------------------------------------------------------


def test_viewer_sees_no_update_controls(db, new_app) -> None:
    at = region_page(new_app)

    assert not done_buttons(at)
    labels = {b.label for b in at.button if b.key and b.key.startswith("form_")}
    assert labels == {"History"}
    open_dialog(at, OUTCOME)
    assert not at.text_area
    assert "Sign in from the sidebar to update this outcome." in texts(at.caption)


def test_lead_sees_controls_of_own_region(lead_sw: int, new_app) -> None:
    at = region_page(new_app, user_id=lead_sw)

    assert len(done_buttons(at)) == 32  # every Southwest outcome, none done yet
    assert {b.label for b in done_buttons(at)} == {"Done"}


def test_lead_of_another_region_sees_no_controls(db, new_app) -> None:
    lead_central = make_user(db, "lead-central", region="central")
    at = region_page(new_app, user_id=lead_central)

    assert not done_buttons(at)
    open_dialog(at, OUTCOME)
    # No update form; any member may still comment (ui/comments.py).
    assert [t.key for t in at.text_area] == [f"comment_body_{OUTCOME}"]
    assert "You can update outcomes of your assigned regions or strategies only." in texts(
        at.caption
    )


@pytest.mark.backends("sqlite", "postgresql")
def test_lead_marks_outcome_done(lead_sw: int, db, new_app) -> None:
    at = region_page(new_app, user_id=lead_sw)

    at.button(key=f"done_{SW_DONE}").click().run()

    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, texts(at.error)
    assert "Marked done." in texts(at.toast)
    assert status_of(db, SW_DONE) == Status.DONE.value
    [entry] = history_rows(db)
    assert (entry.outcome_id, entry.changed_by, entry.old_status, entry.new_status) == (
        SW_DONE,
        "lead-sw",
        Status.NOT_STARTED.value,
        Status.DONE.value,
    )


@pytest.mark.backends("sqlite", "postgresql")
def test_marked_done_shows_at_once(lead_sw: int, new_app) -> None:
    """Cached reads are keyed on the data stamp, so a save shows on the next run."""
    at = new_app("pages/overview.py", user_id=lead_sw).run()  # a lead's home is My work
    assert {m.label: m.value for m in at.metric}["Done"] == "0"
    at.switch_page("pages/region.py").run()
    at.selectbox(key="region_page_pick").select("southwest").run()

    at.button(key=f"done_{SW_DONE}").click().run()

    assert f"done_{SW_DONE}" not in [b.key for b in done_buttons(at)]
    assert len(done_buttons(at)) == 31
    at.switch_page("pages/overview.py").run()
    assert {m.label: m.value for m in at.metric}["Done"] == "1"
    assert "No status updates yet." not in texts(at.info)


def test_lead_moved_to_another_region_is_refused(lead_sw: int, db, new_app) -> None:
    """The page was rendered while the lead led Southwest; an admin moves them to
    Central before they click Done. The service refuses; nothing is written."""
    at = region_page(new_app, user_id=lead_sw)
    with write_session(db) as session:
        user = session.get(models.User, lead_sw)
        accounts.unassign(session=session, user=user, region_id="southwest")
        accounts.assign(session=session, user=user, region_id="central")

    at.button(key=f"done_{SW_DONE}").click().run()

    assert not at.exception, [e.message for e in at.exception]
    assert texts(at.error) == ["You can update outcomes of Central only."]
    assert history_count(db) == 0
    assert status_of(db, SW_DONE) == Status.NOT_STARTED.value
    assert not done_buttons(at)  # the next render knows


# --- the update dialog ------------------------------------------------------------


def save(at: AppTest, outcome_id: str, status: str, note: str = "") -> AppTest:
    at.selectbox(key=f"uf_status_{outcome_id}").select(status)
    at.text_area(key=f"uf_note_{outcome_id}").input(note)
    by_label(at.form_submit_button, "Save").click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.mark.backends("sqlite", "postgresql")
def test_dialog_saves_status_note_and_link(lead_sw: int, db, new_app) -> None:
    at = open_dialog(region_page(new_app, user_id=lead_sw), OUTCOME)
    at.text_input(key=f"uf_url_{OUTCOME}").input("https://example.org/minutes")

    save(at, OUTCOME, Status.IN_PROGRESS.value, "Kick-off meeting held.")

    assert not at.error, texts(at.error)
    assert "dialog_outcome" not in at.session_state  # closed after saving
    [entry] = history_rows(db)
    assert (entry.new_status, entry.note, entry.evidence_url) == (
        Status.IN_PROGRESS.value,
        "Kick-off meeting held.",
        "https://example.org/minutes",
    )


def test_dialog_blocked_without_note_is_refused(lead_sw: int, db, new_app) -> None:
    at = open_dialog(region_page(new_app, user_id=lead_sw), OUTCOME)

    save(at, OUTCOME, Status.BLOCKED.value, "")

    assert any("Blocked needs a note" in e for e in texts(at.error))
    assert at.session_state["dialog_outcome"] == OUTCOME  # still open, to fix
    assert history_count(db) == 0


@pytest.mark.backends("sqlite", "postgresql")
def test_dialog_undo_restores_previous_status(lead_sw: int, db, new_app) -> None:
    at = region_page(new_app, user_id=lead_sw)
    at.button(key=f"done_{OUTCOME}").click().run()
    open_dialog(at, OUTCOME)

    by_label(at.button, "Undo this update").click().run()

    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, texts(at.error)
    assert status_of(db, OUTCOME) == Status.NOT_STARTED.value
    done, undo = history_rows(db)
    assert undo.reverts_id == done.id
    assert (undo.old_status, undo.new_status) == (Status.DONE.value, Status.NOT_STARTED.value)


def stale_save(db, new_app) -> tuple[AppTest, str]:
    """Two leads open the same outcome; A saves Done, then B saves In progress with
    a note. Returns B's session and note."""
    lead_a = make_user(db, "lead-a", region="southwest")
    lead_b = make_user(db, "lead-b", region="southwest")
    a = open_dialog(region_page(new_app, user_id=lead_a), OUTCOME)
    b = open_dialog(region_page(new_app, user_id=lead_b), OUTCOME)

    save(a, OUTCOME, Status.DONE.value)
    assert not a.error, texts(a.error)
    assert "dialog_outcome" not in a.session_state
    assert status_of(db, OUTCOME) == Status.DONE.value

    note = "Court clerk agreed to host the training."
    save(b, OUTCOME, Status.IN_PROGRESS.value, note)
    return b, note


@pytest.mark.backends("sqlite", "postgresql")
def test_stale_save_is_refused_and_keeps_the_note(db, new_app) -> None:
    b, note = stale_save(db, new_app)

    [error] = texts(b.error)
    assert error.startswith("lead-a changed this outcome at ")
    assert "(it is now “Done”)" in error
    assert "Your update was not saved" in error
    assert b.session_state["dialog_outcome"] == OUTCOME  # still open
    assert b.text_area(key=f"uf_note_{OUTCOME}").value == note
    assert b.selectbox(key=f"uf_status_{OUTCOME}").value == Status.IN_PROGRESS.value
    assert "Save again" in " ".join(texts(b.caption))
    [entry] = history_rows(db, OUTCOME)  # A's, and only A's
    assert (entry.changed_by, entry.old_status, entry.new_status) == (
        "lead-a",
        Status.NOT_STARTED.value,
        Status.DONE.value,
    )
    assert status_of(db, OUTCOME) == Status.DONE.value


@pytest.mark.backends("sqlite", "postgresql")
def test_stale_save_applies_on_top_when_saved_again(db, new_app) -> None:
    b, note = stale_save(db, new_app)
    [first] = history_rows(db, OUTCOME)

    by_label(b.form_submit_button, "Save").click().run()

    assert not b.exception, [e.message for e in b.exception]
    assert not b.error, texts(b.error)
    assert "dialog_outcome" not in b.session_state
    again_first, second = history_rows(db, OUTCOME)
    assert again_first.id == first.id
    assert (second.changed_by, second.old_status, second.new_status, second.note) == (
        "lead-b",
        Status.DONE.value,
        Status.IN_PROGRESS.value,
        note,
    )
    assert status_of(db, OUTCOME) == Status.IN_PROGRESS.value


# --- the Users page ---------------------------------------------------------------


def test_admin_demoted_while_on_users_page_loses_it(db, new_app) -> None:
    admin = make_user(db, "admin", "admin")
    make_user(db, "other-admin", "admin")  # set_role keeps at least one admin
    at = new_app("pages/users.py", user_id=admin).run()
    assert texts(at.title) == ["Users"]
    with write_session(db) as session:
        accounts.set_role(session=session, user=session.get(models.User, admin), role="viewer")

    at.run()

    assert not at.exception, [e.message for e in at.exception]
    assert "Users" not in texts(at.title)
    assert texts(at.title) == ["Statewide progress"]  # back on the default page


def test_session_whose_user_id_now_names_someone_else_is_signed_out(db, new_app) -> None:
    """After a restore, a user id kept in an open session may belong to another
    account: the session is signed out instead of acting as that account."""
    admin = make_user(db, "admin", "admin")
    at = new_app(user_id=admin, username="someone-else").run()

    assert not at.exception, [e.message for e in at.exception]
    assert "user_id" not in at.session_state
    assert "Admin" not in " ".join(texts(at.sidebar.markdown))


def _lock_free_while_hashing(db_file, monkeypatch) -> list[bool]:
    """Whether another writer could take SQLite's write lock while each sign-in's
    password hash ran (the list gets one answer a hash)."""
    import sqlite3

    free: list[bool] = []
    real = signin._check_password

    def checking(user, password):
        other = sqlite3.connect(db_file, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            free.append(True)
        except sqlite3.OperationalError:  # "database is locked": a sign-in holds it
            free.append(False)
        finally:
            other.close()
        return real(user, password)

    monkeypatch.setattr(signin, "_check_password", checking)
    return free


def test_signing_in_holds_no_write_lock_while_the_password_hash_runs(
    lead_sw: int, db_file, new_app, monkeypatch
) -> None:
    """Issue 15's capacity bench at 100 sessions: sign-ins hashed the password inside
    their write transaction, holding SQLite's write lock for the whole Argon2 run; the
    others queued on it until SQLite gave up, and the form said "Signing in failed:
    the database is unavailable." The password is now checked before the transaction."""
    free = _lock_free_while_hashing(db_file, monkeypatch)
    at = sign_in(new_app().run(), "lead-sw", PASSWORD)

    assert by_label(at.sidebar.button, "Sign out")
    assert free == [True]
