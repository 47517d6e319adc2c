"""The admin page "Users" under AppTest: adding a user, and a database error during a
save shown as a message (through the action runner), not a traceback."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from core.people import accounts

from .conftest import by_label, make_user, texts

PAGE = "pages/users.py"


def usernames(engine) -> list[str]:
    with Session(engine) as session:
        return [u.username for u in accounts.list_users(session=session)]


def _fill_add_user(at) -> None:
    by_label(at.text_input, "Username").input("lead-ne")
    by_label(at.text_input, "Display name").input("Lead Northeast")
    by_label(at.text_input, "Initial password (12+ characters)").input("a long enough secret")


def test_admin_adds_a_user(db, new_app) -> None:
    admin = make_user(db, "admin", "admin")
    at = new_app(PAGE, user_id=admin).run()
    _fill_add_user(at)
    by_label(at.button, "Add user").click().run()

    assert not at.exception, [e.message for e in at.exception]
    assert texts(at.success) == ["Added lead-ne."]
    assert usernames(db) == ["admin", "lead-ne"]


def test_database_error_while_adding_a_user_is_a_message(db, new_app, monkeypatch) -> None:
    admin = make_user(db, "admin", "admin")
    at = new_app(PAGE, user_id=admin).run()

    def disk_fails(**_kwargs):
        raise OperationalError("x", {}, Exception("disk I/O error"))

    monkeypatch.setattr(accounts, "create_user", disk_fails)
    _fill_add_user(at)
    by_label(at.button, "Add user").click().run()

    assert not at.exception, [e.message for e in at.exception]
    assert len(at.error) == 1 and "disk I/O error" in texts(at.error)[0]
    assert not at.success
    monkeypatch.undo()
    assert usernames(db) == ["admin"]
