"""The admins' backup panel (ui/backup.py): upload a backup, confirm replacing the
database, and see what happened; others see only a notice."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from core.models import Status
from core.store import backup

from .conftest import actor, history_count, make_user, record


def panel() -> None:
    from ui import auth
    from ui.backup import backup_panel

    backup_panel(auth.actor())


def open_panel(**state) -> AppTest:
    at = AppTest.from_function(panel, default_timeout=60)
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def test_backup_panel_admins_only(db):
    lead = make_user(db, "dana", "lead", region="southwest")
    for state in ({}, {"user_id": lead}):
        at = open_panel(**state)
        assert not at.exception
        assert [i.value for i in at.info] == ["Only admins can back up or restore the database."]
        assert not at.get("file_uploader")


def test_backup_panel_restore_replaces_after_confirmation(db):
    admin = make_user(db, "admin", "admin")
    payload = backup.backup_for(actor(db, admin), db)
    record(db, actor(db, admin), "southwest.legal-services.short.1", Status.DONE.value)
    assert history_count(db) == 1
    at = open_panel(user_id=admin)
    assert not at.exception

    at.get("file_uploader")[0].set_value(("backup.json", payload, "application/json"))
    at.run()
    assert "1 users" in at.markdown[-1].value
    at.button(key="backup_go_0").click().run()  # without "replace": refused
    assert "not empty" in at.error[0].value
    assert history_count(db) == 1

    at.checkbox(key="backup_replace_0").check().run()
    assert at.button(key="backup_go_0").disabled
    at.text_input(key="backup_confirm_0").input("REPLACE").run()
    at.button(key="backup_go_0").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("Restored")
    assert "signed out" not in at.success[0].value  # the admin is in the backup too
    assert history_count(db) == 0


def test_backup_panel_damaged_file_refused(db):
    admin = make_user(db, "admin", "admin")
    at = open_panel(user_id=admin)
    at.get("file_uploader")[0].set_value(("backup.json", b'{"format": "plan-tr', "text/plain"))
    at.run()
    assert "truncated or damaged" in at.error[0].value
    assert not at.button
