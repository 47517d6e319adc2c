"""Backup and restore: a backup restored into an empty database gives back exactly the
same database (on SQLite and PostgreSQL, and from one to the other); damaged, edited
or foreign files and non-empty targets are refused with nothing changed."""

from __future__ import annotations

import copy
import json
import stat
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from core import config
from core.cli.main import main
from core.models import Outcome, PlanChange, Role, StatusUpdate
from core.people import accounts, signin
from core.people.permissions import Actor, PermissionDenied
from core.plan.redating import redate_outcome
from core.progress.updates import revert_update, update_status
from core.store import backup, backup_checks, chain, migrate
from core.store.backup import BackupError
from core.store.db import make_engine, write_session

ADMIN = Actor(user_id=1, username="ada", display_name="Ada", role=Role.ADMIN)
LEAD = Actor(user_id=2, username="dana", display_name="Dana", role=Role.LEAD)
OUTCOME = "st-louis.adult-shelter.short.1"
OTHER = "southwest.legal-services.short.1"
PASSWORD = "correct horse battery"
WHEN = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
KEY = "k" * 40  # this deployment's TRACKER_BACKUP_KEY
OTHER_KEY = "o" * 40


@pytest.fixture(autouse=True)
def backup_key(monkeypatch) -> str:
    monkeypatch.setenv("TRACKER_BACKUP_KEY", KEY)
    config.get_settings.cache_clear()
    return KEY


def add_activity(engine: Engine) -> None:
    """What a year of use leaves: users, assignments, a throttled sign-in, status
    history with an undo, a re-dated outcome (plan change and redate_count)."""
    with write_session(engine) as session:
        accounts.create_user(
            session=session, username="ada", role="admin", password=PASSWORD, email="a@x.org"
        )
        dana = accounts.create_user(
            session=session, username="dana", role="lead", password=None, display_name="Dana R."
        )
        accounts.assign(session=session, user=dana, region_id="st-louis")
        accounts.assign(session=session, user=dana, strategy_id="southwest.legal-services")
        with pytest.raises(signin.SignInError):
            signin.authenticate(session=session, username="mallory", password="x" * 12, now=WHEN)
    with write_session(engine) as session:
        update_status(
            session=session,
            actor=ADMIN,
            outcome_id=OUTCOME,
            expected_version=1,
            new_status="In progress",
            note="started — ünïcode",
            evidence_url="https://example.org/minutes",
            now=WHEN,
        )
    with write_session(engine) as session:
        second = update_status(
            session=session,
            actor=ADMIN,
            outcome_id=OUTCOME,
            expected_version=2,
            new_status="Done",
            now=WHEN.replace(hour=8),
        ).id
    with write_session(engine) as session:
        revert_update(session=session, actor=ADMIN, status_update_id=second, expected_version=3)
    with write_session(engine) as session:
        redate_outcome(
            session=session,
            actor=ADMIN,
            outcome_id=OTHER,
            due_date=date(2027, 6, 30),
            reason="the grant moved",
            now=WHEN,
        )


@pytest.fixture
def source(backend: str, request, tmp_path) -> Engine:
    """A seeded database with some of everything in it (SQLite: in a file, so the
    export command can open it too)."""
    if backend == "postgresql":
        engine = request.getfixturevalue("pg_seeded_copy")()
    else:
        engine = request.getfixturevalue("seeded_copy")(f"sqlite:///{tmp_path / 'source.db'}")
    add_activity(engine)
    return engine


def version(engine: Engine, outcome_id: str) -> int:
    with Session(engine) as session:
        return session.get(Outcome, outcome_id).version


def comparable(data: dict) -> dict:
    out = copy.deepcopy(data)
    del out["created_at"]
    del out["signature"]  # it signs created_at too
    return out


def export_json(engine: Engine, monkeypatch, capsys) -> list[dict]:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    config.get_settings.cache_clear()
    assert main(["export", "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def assert_guarded(engine: Engine) -> None:
    """The history guard refuses changing or deleting status history and plan changes
    (row triggers: each table gets a row first)."""
    with write_session(engine) as session:
        redate_outcome(
            session=session,
            actor=ADMIN,
            outcome_id=OUTCOME,
            due_date=date(2029, 1, 31),
            reason="guard",
        )
    for statement in (
        "UPDATE status_update SET note = 'rewritten'",
        "DELETE FROM status_update",
        "UPDATE plan_change SET reason = 'rewritten'",
        "DELETE FROM plan_change",
    ):
        assert refused(engine, statement), statement


def refused(engine: Engine, statement: str) -> bool:
    try:
        with engine.begin() as connection:
            connection.execute(text(statement))
    except DBAPIError as exc:
        return "append-only" in str(exc)
    return False


def reseal(data: dict, key: str | None = KEY) -> dict:
    """Recompute the counts, checksum and chain heads after editing a backup, and sign
    it with `key` (this deployment's: as if the file had been made so; None: as a
    forger without the key would)."""
    data["row_counts"] = {name: len(t["rows"]) for name, t in data["tables"].items()}
    data["checksum"] = backup.checksum(data["revision"], data["tables"])
    if "chain_heads" in data:
        data["chain_heads"] = backup.chain_heads(data["tables"])
    data["signature"] = backup_checks.signature(data, key) if key else None
    return data


# --- the round trip --------------------------------------------------------------------


def test_round_trip_identical(source, new_engine, monkeypatch, capsys):
    saved = backup.backup(source)
    assert saved["row_counts"]["status_update"] == 3
    assert saved["row_counts"]["plan_change"] >= 1
    assert saved["row_counts"]["user_account"] == 2
    target = new_engine()

    report = backup.restore(target, saved)

    assert report.row_counts == saved["row_counts"] and not report.replaced
    assert migrate.status(target).pending == ()
    assert comparable(backup.backup(target)) == comparable(saved)
    assert export_json(target, monkeypatch, capsys) == export_json(source, monkeypatch, capsys)


@pytest.mark.backends("sqlite")
def test_round_trip_stores_the_same_bytes(source, new_engine):
    # SQLite keeps what it was given: compare the stored values, not just decoded ones
    target = new_engine()
    backup.restore(target, backup.backup(source))
    for table in backup.SQLModel.metadata.sorted_tables:
        order = ", ".join(c.name for c in table.primary_key.columns)
        sql = f"SELECT * FROM {table.name} ORDER BY {order}"
        with source.connect() as a, target.connect() as b:
            assert sorted(map(tuple, a.exec_driver_sql(sql))) == sorted(
                map(tuple, b.exec_driver_sql(sql))
            ), table.name


@pytest.mark.backends("sqlite")
def test_round_trip_sqlite_to_postgresql(source, new_engine, monkeypatch, capsys):
    saved = backup.backup(source)
    target = new_engine("postgresql")
    backup.restore(target, saved)
    again = comparable(backup.backup(target))
    assert again.pop("database") == "postgresql"
    expected = comparable(saved)
    expected.pop("database")
    assert again == expected
    assert export_json(target, monkeypatch, capsys) == export_json(source, monkeypatch, capsys)


def test_restored_database_keeps_working(source, new_engine):
    target = new_engine()
    backup.restore(target, backup.backup(source))
    with write_session(target) as session:  # users restored with their password hashes
        assert signin.authenticate(session=session, username="ada", password=PASSWORD).id == 1
        ids = session.exec(select(StatusUpdate.id)).all()
        later = accounts.create_user(session=session, username="newcomer", role="viewer")
        assert later.id == 3  # the id sequence moved past the restored ids
    with write_session(target) as session:  # and a new history row gets a new id
        new_id = update_status(
            session=session,
            actor=ADMIN,
            outcome_id=OUTCOME,
            expected_version=version(target, OUTCOME),
            new_status="Blocked",
            note="waiting",
        ).id
    assert new_id == max(ids) + 1
    with Session(target) as session:
        changes = session.exec(select(PlanChange.id)).all()
    with write_session(target) as session:
        redate_outcome(
            session=session,
            actor=ADMIN,
            outcome_id=OTHER,
            due_date=date(2028, 1, 31),
            reason="again",
        )
    with Session(target) as session:
        assert max(session.exec(select(PlanChange.id)).all()) == max(changes) + 1
    assert_guarded(target)


# --- what is refused -------------------------------------------------------------------


def test_restore_into_non_empty_refused_unless_replace(source, new_engine):
    saved = backup.backup(source)
    seeded = new_engine()
    backup.restore(seeded, backup.backup(source))
    with write_session(seeded) as session:  # make it differ from the backup
        update_status(
            session=session,
            actor=ADMIN,
            outcome_id=OTHER,
            expected_version=version(seeded, OTHER),
            new_status="Done",
        )
    before = backup.backup(seeded)

    with pytest.raises(BackupError, match=r"not empty \(.*4 in status_update.*--replace"):
        backup.restore(seeded, saved)
    assert comparable(backup.backup(seeded)) == comparable(before)

    report = backup.restore(seeded, saved, replace=True)
    assert report.replaced["status_update"] == 4
    assert comparable(backup.backup(seeded)) == comparable(saved)
    assert_guarded(seeded)


def damaged(saved: dict) -> dict[str, bytes]:
    text_ = backup.dumps(saved)
    edited = copy.deepcopy(saved)
    edited["tables"]["outcome"]["rows"][0][1] = "someone-else"
    wrong_date = copy.deepcopy(saved)
    column = [c for c, _ in saved["tables"]["outcome"]["columns"]].index("due_date")
    wrong_date["tables"]["outcome"]["rows"][0][column] = "2020-02-31"
    no_table = copy.deepcopy(saved)
    del no_table["tables"]["plan_change"]
    extra_column = copy.deepcopy(saved)
    extra_column["tables"]["need"]["columns"].append(["colour", "string"])
    for row in extra_column["tables"]["need"]["rows"]:
        row.append("red")
    broken_reference = copy.deepcopy(saved)
    rows = broken_reference["tables"]["status_update"]["rows"]
    rows[0][[c for c, _ in saved["tables"]["status_update"]["columns"]].index("outcome_id")] = (
        "nope"
    )
    newer = copy.deepcopy(saved)
    newer["format_version"] = backup.FORMAT_VERSION + 1
    return {
        "truncated": text_[: len(text_) // 2],
        "empty": b"",
        "not json": b"\x89PNG\r\n",
        "another format": json.dumps({"format": "something-else", "tables": {}}).encode(),
        "edited value": backup.dumps(edited),
        "newer format": backup.dumps(newer),
        "newer revision": backup.dumps(reseal({**copy.deepcopy(saved), "revision": "0099_x"})),
        "impossible date": backup.dumps(reseal(wrong_date)),
        "missing table": backup.dumps(reseal(no_table)),
        "unknown column": backup.dumps(reseal(extra_column)),
        "broken reference": backup.dumps(reseal(broken_reference)),
    }


MESSAGES = {
    "truncated": "truncated or damaged",
    "empty": "truncated or damaged",
    "not json": "not a tracker backup",
    "another format": "not a tracker backup",
    "edited value": "checksum does not match",
    "newer format": "newer version of the tracker",
    "newer revision": "newer version",
    "impossible date": "row 1: day is out of range",
    "missing table": "missing: plan_change",
    "unknown column": "'need' in the backup has columns",
    "broken reference": "do not exist|foreign key",
}


def test_damaged_files_refused_with_nothing_changed(source, new_engine):
    # the target holds data and `replace` is asked for: the strictest case, as the
    # tables are dropped before the bad row or table is found, and must come back
    saved = backup.backup(source)
    target = new_engine()
    backup.restore(target, saved)
    before = comparable(backup.backup(target))
    for kind, payload in damaged(saved).items():
        with pytest.raises(BackupError, match=MESSAGES[kind]):
            backup.restore(target, backup.loads(payload), replace=True)
        assert comparable(backup.backup(target)) == before, kind
        assert refused(target, "DELETE FROM plan_change"), kind


def test_backup_of_older_revision_restored_and_upgraded(source, new_engine):
    saved = backup.backup(source)
    old = copy.deepcopy(saved)  # what the tracker at revision 1 would have written
    old["revision"] = "0001_baseline"
    old["format_version"] = 1  # unsigned, no chain heads
    del old["chain_heads"]
    at_baseline = dict(migrate._fingerprint_at("0001_baseline"))
    for name in list(old["tables"]):  # tables and columns added since revision 1 go
        if name not in at_baseline:
            del old["tables"][name]
            continue
        table = old["tables"][name]
        keep = [i for i, (c, _) in enumerate(table["columns"]) if c in at_baseline[name]]
        table["columns"] = [table["columns"][i] for i in keep]
        table["rows"] = [[row[i] for i in keep] for row in table["rows"]]
    target = new_engine()

    with pytest.raises(BackupError, match=r"not signed.*--trust-unsigned"):
        backup.restore(target, reseal(old, key=None))
    report = backup.restore(target, reseal(old, key=None), trust_unsigned=True)

    assert (report.revision, report.upgraded_to) == ("0001_baseline", migrate.head())
    assert "Warning: The backup is not signed" in report.summary()
    assert chain.verify(target).ok  # the upgrade chained the restored history
    again = backup.backup(target)
    assert again["revision"] == migrate.head()
    assert again["tables"]["plan_change"]["rows"] == []
    column = [c for c, _ in again["tables"]["outcome"]["columns"]].index("redate_count")
    assert {row[column] for row in again["tables"]["outcome"]["rows"]} == {0}
    for name, table in old["tables"].items():
        columns = [c for c, _ in again["tables"][name]["columns"]]
        picked = [columns.index(c) for c, _ in table["columns"]]
        assert [[r[i] for i in picked] for r in again["tables"][name]["rows"]] == table["rows"]
    assert_guarded(target)


@pytest.mark.backends("sqlite")
def test_backup_of_outdated_database_refused(new_engine):
    engine = new_engine()
    migrate.upgrade(engine, "0001_baseline")
    with pytest.raises(BackupError, match="python -m core migrate"):
        backup.backup(engine)


# --- the app's entry points and the command line ----------------------------------------


@pytest.mark.backends("sqlite")
def test_backup_and_restore_need_an_admin(source, new_engine):
    with pytest.raises(PermissionDenied, match="Only admins can back up"):
        backup.backup_for(LEAD, source)
    payload = backup.backup_for(ADMIN, source)
    target = new_engine()
    with pytest.raises(PermissionDenied, match="Only admins can restore"):
        backup.restore_for(LEAD, target, payload)
    assert migrate.status(target).current is None  # untouched
    report = backup.restore_for(ADMIN, target, payload, name="upload.json")
    assert "Restored" in report.summary()
    assert comparable(backup.backup(target)) == comparable(backup.loads(payload))


@pytest.mark.backends("sqlite")
def test_backup_and_restore_commands(tmp_path, monkeypatch, capsys):
    def use(path: Path) -> str:
        url = f"sqlite:///{path}"
        monkeypatch.setenv("DATABASE_URL", url)
        config.get_settings.cache_clear()
        return url

    live = make_engine(use(tmp_path / "live.db"))
    file = tmp_path / "backup.json"
    assert main(["backup", str(file)]) == 0  # the app's start: created and seeded
    add_activity(live)
    assert "password hashes" in capsys.readouterr().out
    assert main(["backup", str(file)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main(["backup", str(file), "--force"]) == 0
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    saved = backup.read_backup(file)
    assert saved["row_counts"]["status_update"] == 3

    use(tmp_path / "new.db")
    assert main(["restore", str(file)]) == 0
    assert "Restored" in capsys.readouterr().out
    assert main(["restore", str(file)]) == 1
    assert "not empty" in capsys.readouterr().err
    assert main(["restore", str(file), "--replace"]) == 0
    restored = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    assert comparable(backup.backup(restored)) == comparable(saved)

    file.write_text(file.read_text()[:-200])
    assert main(["restore", str(file), "--replace"]) == 1
    assert "truncated or damaged" in capsys.readouterr().err
    assert main(["restore", str(tmp_path / "missing.json")]) == 1
    assert "Cannot read" in capsys.readouterr().err
    assert comparable(backup.backup(restored)) == comparable(saved)
    live.dispose()
    restored.dispose()
