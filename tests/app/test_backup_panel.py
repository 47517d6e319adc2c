"""The admins' backup panel (ui/backup.py): upload a backup, confirm replacing the
database, and see what happened; others see only a notice."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from core import config
from core.models import Role, Status, User
from core.people.permissions import PermissionDenied
from core.store import backup

from .conftest import actor, history_count, make_user, record

KEY = "k" * 40


@pytest.fixture(autouse=True)
def backup_key(monkeypatch) -> None:
    monkeypatch.setenv("TRACKER_BACKUP_KEY", KEY)
    config.get_settings.cache_clear()


@pytest.fixture
def downloads(monkeypatch) -> list:
    """The callables download buttons registered to run on a click (AppTest's runtime
    is gone once a run ends, so the test runs them itself, as the server would: on
    another thread than the script's, outside its session)."""
    made: list = []
    original = MediaFileManager.add_deferred

    def add_deferred(self, data_callable, *args, **kwargs):
        made.append(data_callable)
        return original(self, data_callable, *args, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    return made


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


def demote(engine: Engine, user_id: int) -> None:
    with Session(engine) as session:
        user = session.get(User, user_id)
        user.role, user.active = Role.VIEWER.value, False
        session.add(user)
        session.commit()


def test_backup_download_signed_for_an_admin(db, downloads):
    admin = make_user(db, "admin", "admin")
    at = open_panel(user_id=admin)
    assert not at.exception and not at.warning  # a key is set: no notice
    saved = backup.loads(downloads[-1]())
    assert saved["signature"]["alg"] == "hmac-sha256"
    assert saved["row_counts"]["user_account"] == 1


def test_backup_download_refused_after_demotion(db, downloads):
    # the page was drawn for an admin; the click comes after they were made a viewer
    # and deactivated: the backup (with every password hash) is not made
    admin = make_user(db, "admin", "admin")
    at = open_panel(user_id=admin)
    assert at.get("download_button")
    demote(db, admin)
    with pytest.raises(PermissionDenied, match="Only admins can back up"):
        downloads[-1]()


def test_backup_panel_says_when_no_key_is_set(db, monkeypatch, downloads):
    monkeypatch.delenv("TRACKER_BACKUP_KEY")
    config.get_settings.cache_clear()
    admin = make_user(db, "admin", "admin")
    at = open_panel(user_id=admin)
    assert "TRACKER_BACKUP_KEY" in at.warning[0].value
    assert backup.loads(downloads[-1]())["signature"] is None


def test_backup_panel_refuses_a_forged_file(db):
    admin = make_user(db, "admin", "admin")
    forged = backup.backup(db)
    forged["signature"] = None  # edited by someone without the key
    at = open_panel(user_id=admin)
    at.get("file_uploader")[0].set_value(("forged.json", backup.dumps(forged), "text/plain"))
    at.run()
    assert not at.exception
    assert "not signed" in at.error[0].value and "trust" in at.error[0].value
    assert not at.button


def test_admins_warned_when_history_does_not_verify(history_db, new_app, monkeypatch):
    # ui/integrity.py via dashboard.py: clean, nobody is warned; after a row of history
    # is deleted behind the guard's back, admins (and only they) see it
    from ui import integrity

    monkeypatch.setattr(integrity, "WAIT_S", 10)  # the check runs beside the page
    admin = history_db.admin_id
    at = new_app(user_id=admin).run()
    assert not at.exception and not [w for w in at.warning if "verify" in w.value]
    with history_db.engine.begin() as connection:
        connection.execute(text("DROP TRIGGER status_update_no_delete"))
        connection.execute(text("DELETE FROM status_update WHERE id = 2"))
    at = new_app(user_id=admin).run()
    warned = [w.value for w in at.warning if "python -m core verify" in w.value]
    assert len(warned) == 1 and "status\\_update row 3" in warned[0]
    assert not [w for w in new_app().run().warning if "verify" in w.value]


def test_a_restore_forgets_the_shared_reads_too():
    """Reads shared by every session (ui/data.shared: reference data, organisation
    names, measures) are keyed on stamps a restored database may repeat: a restore
    forgets them with the rest."""
    from ui import data

    calls: list[int] = []

    @data.shared(ttl=60, max_entries=2)
    def read(key: int) -> list[int]:
        calls.append(key)
        return [key]

    try:
        assert read(1) == read(1) == [1] and calls == [1]  # shared: read once
        data.forget_cached()  # what ui/backup.py calls after a restore
        assert read(1) == [1] and calls == [1, 1]
    finally:
        data._SHARED.remove(read)
