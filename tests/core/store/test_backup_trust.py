"""Which backups are trusted: a file is restored only when signed with this
deployment's TRACKER_BACKUP_KEY (or an admin on the command line trusts it), every
value fits the model, its history verifies, and its shape is bounded (nesting,
integers, text). Whatever is refused changes nothing. SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from core import config
from core.cli.main import main
from core.models import Outcome, Role
from core.people import accounts
from core.people.permissions import Actor
from core.progress.updates import update_status
from core.store import backup, backup_checks, chain
from core.store.backup import BackupError
from core.store.db import write_session

KEY = "k" * 40
OTHER_KEY = "o" * 40
ADMIN = Actor(user_id=1, username="ada", display_name="Ada", role=Role.ADMIN)
OUTCOME = "st-louis.adult-shelter.short.1"
WHEN = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)


@pytest.fixture(autouse=True)
def backup_key(monkeypatch) -> None:
    monkeypatch.setenv("TRACKER_BACKUP_KEY", KEY)
    config.get_settings.cache_clear()


def use_key(monkeypatch, key: str | None) -> None:
    if key is None:
        monkeypatch.delenv("TRACKER_BACKUP_KEY")
    else:
        monkeypatch.setenv("TRACKER_BACKUP_KEY", key)
    config.get_settings.cache_clear()


@pytest.fixture
def source(engine: Engine) -> Engine:
    """A seeded database with an admin and three status updates."""
    with Session(engine) as session:
        accounts.create_user(session=session, username="ada", role="admin", password="x" * 16)
        session.commit()
    for version, status in enumerate(("In progress", "Dropped", "Done"), start=1):
        with write_session(engine) as session:
            update_status(
                session=session,
                actor=ADMIN,
                outcome_id=OUTCOME,
                expected_version=version,
                new_status=status,
                note=f"step {version}",
                now=WHEN,
            )
    return engine


@pytest.fixture
def target(new_engine) -> Engine:
    return new_engine()


def column(data: dict, table: str, name: str) -> int:
    return [c for c, _ in data["tables"][table]["columns"]].index(name)


def reseal(data: dict, key: str | None) -> dict:
    """What an editor does after changing a backup: recompute the counts and checksum
    (anyone can), the chain heads, and the signature (only with the key)."""
    data["row_counts"] = {name: len(t["rows"]) for name, t in data["tables"].items()}
    data["checksum"] = backup.checksum(data["revision"], data["tables"])
    data["chain_heads"] = backup.chain_heads(data["tables"])
    data["signature"] = backup_checks.signature(data, key) if key else None
    return data


def forged(saved: dict) -> dict:
    """The issue's forgery: history rewritten, an admin with a known password added,
    an outcome set to a status that does not exist."""
    data = copy.deepcopy(saved)
    users = data["tables"]["user_account"]
    mallory = copy.deepcopy(users["rows"][0])
    mallory[column(data, "user_account", "id")] = 99
    mallory[column(data, "user_account", "username")] = "mallory"
    mallory[column(data, "user_account", "email")] = None
    users["rows"].append(mallory)
    history = data["tables"]["status_update"]["rows"]
    history[0][column(data, "status_update", "changed_by")] = "someone else"
    outcome = next(
        r for r in data["tables"]["outcome"]["rows"] if r[column(data, "outcome", "id")] == OUTCOME
    )
    outcome[column(data, "outcome", "status")] = "Pwned"
    return data


def assert_empty(engine: Engine) -> None:
    from core.store import migrate

    assert migrate.status(engine).current is None  # nothing was written


# --- signatures -------------------------------------------------------------------


def test_forged_backup_refused(source, target):
    saved = backup.backup(source)
    with pytest.raises(BackupError, match=r"not signed.*--trust-unsigned"):
        backup.restore(target, reseal(forged(saved), key=None))
    assert_empty(target)


def test_backup_signed_with_another_key_refused(source, target, monkeypatch):
    use_key(monkeypatch, OTHER_KEY)
    saved = backup.backup(source)
    use_key(monkeypatch, KEY)
    with pytest.raises(BackupError, match=r"another key \(key id \w{12}; this deployment's is"):
        backup.restore(target, saved)
    use_key(monkeypatch, None)
    with pytest.raises(BackupError, match=r"no backup key.*set TRACKER_BACKUP_KEY"):
        backup.restore(target, saved)
    assert_empty(target)


def test_edited_signed_backup_refused(source, target):
    saved = backup.backup(source)
    edited = copy.deepcopy(saved)
    edited["created_at"] = "2000-01-01T00:00:00+00:00"  # not covered by the checksum
    with pytest.raises(BackupError, match="signature does not match its contents"):
        backup.restore(target, edited)
    assert_empty(target)


def test_short_key_refused(source, monkeypatch):
    use_key(monkeypatch, "short")
    with pytest.raises(BackupError, match="at least 32"):
        backup.backup(source)


# --- every value against the model -------------------------------------------------


def test_signed_impossible_status_refused(source, target):
    # even signed (say, by a key that leaked), a status outside the enum is refused
    with pytest.raises(BackupError, match="status is 'Pwned', which is none of: Not started"):
        backup.restore(target, reseal(forged(backup.backup(source)), key=KEY))
    assert_empty(target)


@pytest.mark.parametrize(
    ("table", "name", "value", "message"),
    [
        ("outcome", "term", "forever", "term is 'forever'"),
        ("outcome", "position", 2**63, "outside the range a database can store"),
        ("outcome", "position", -(2**63) - 1, "outside the range"),
        ("user_account", "role", "root", "role is 'root'"),
        ("user_account", "username", "u" * 81, "81 characters long, more than its 80"),
        ("status_update", "changed_by", None, "changed_by is empty"),
    ],
)
def test_value_outside_the_model_refused(source, target, table, name, value, message):
    data = backup.backup(source)
    data["tables"][table]["rows"][0][column(data, table, name)] = value
    with pytest.raises(BackupError, match=message):
        backup.restore(target, reseal(data, key=KEY))
    assert_empty(target)


# --- the file's shape: refused with a message, no traceback ---------------------------


def test_deeply_nested_file_refused():
    with pytest.raises(BackupError, match="nests values too deeply"):
        backup.loads(b'{"format": "plan-tracker-backup", "x": ' + b"[" * 100_000 + b"]" * 100_000)


def test_deep_json_value_refused(source, target):
    data = backup.backup(source)
    nested: list = []
    for _ in range(60):
        nested = [nested]
    data["tables"]["region"]["rows"][0][column(data, "region", "report_labels")] = nested
    payload = backup.dumps(reseal(data, key=KEY))
    with pytest.raises(BackupError, match="more than 40 levels deep"):
        backup.restore(target, backup.loads(payload))
    assert_empty(target)


def test_huge_integer_refused_from_file(source, target):
    data = reseal(backup.backup(source), key=KEY)
    text_ = backup.dumps(data).decode()
    huge = text_.replace('"format_version": 2', f'"format_version": {10**30}', 1)
    with pytest.raises(BackupError, match="newer version"):
        backup.restore(target, backup.loads(huge))
    data["tables"]["outcome"]["rows"][0][column(data, "outcome", "version")] = 2**64
    with pytest.raises(BackupError, match="outside the range"):
        backup.restore(target, backup.loads(backup.dumps(reseal(data, key=KEY))))
    assert_empty(target)


def test_not_a_number_refused():
    with pytest.raises(BackupError, match="NaN is not a number"):
        backup.loads(b'{"format": "plan-tracker-backup", "x": NaN}')


# --- the history chain in the file ---------------------------------------------------


def test_backup_carries_the_chain_heads(source):
    saved = backup.backup(source)
    assert saved["chain_heads"]["status_update"] == chain.verify(source).heads["status_update"]
    assert saved["chain_heads"]["plan_change"] is None  # no plan change yet


def test_removed_last_row_refused(source, target):
    data = backup.backup(source)
    data["tables"]["status_update"]["rows"].pop()
    data["row_counts"]["status_update"] -= 1
    data["checksum"] = backup.checksum(data["revision"], data["tables"])
    data["signature"] = backup_checks.signature(data, KEY)  # heads left as they were
    with pytest.raises(BackupError, match="do not end at the history chain's head"):
        backup.restore(target, data)
    assert_empty(target)


def test_broken_history_refused_unless_trusted(source, target):
    data = backup.backup(source)
    del data["tables"]["status_update"]["rows"][1]  # a row from the middle
    with pytest.raises(BackupError, match=r"history does not verify.*status_update row 3"):
        backup.restore(target, reseal(copy.deepcopy(data), key=KEY))
    assert_empty(target)
    report = backup.restore(target, reseal(data, key=KEY), trust_unsigned=True)
    assert "Warning: History check failed at status_update row 3" in report.summary()


# --- the command line --------------------------------------------------------------


def test_restore_command_trusts_only_when_asked(source, tmp_path, monkeypatch, capsys):
    file = tmp_path / "unsigned.json"
    use_key(monkeypatch, None)
    file.write_bytes(backup.dumps(backup.backup(source)))
    use_key(monkeypatch, KEY)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'restored.db'}")
    config.get_settings.cache_clear()

    assert main(["restore", str(file)]) == 1
    assert "not signed" in capsys.readouterr().err
    assert main(["restore", str(file), "--trust-unsigned"]) == 0
    out = capsys.readouterr().out
    assert "Restored" in out and "Warning: The backup is not signed" in out
    assert main(["verify"]) == 0


@pytest.mark.backends("sqlite")
def test_backup_command_without_key_says_what_to_set(tmp_path, monkeypatch, capsys):
    use_key(monkeypatch, None)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'live.db'}")
    config.get_settings.cache_clear()
    assert main(["backup", str(tmp_path / "b.json")]) == 0
    assert "TRACKER_BACKUP_KEY is not set" in capsys.readouterr().err
    assert json.loads((tmp_path / "b.json").read_text())["signature"] is None


# --- the database refuses what the model does not allow -------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        f"UPDATE outcome SET status = 'Pwned' WHERE id = '{OUTCOME}'",
        f"UPDATE outcome SET term = 'forever' WHERE id = '{OUTCOME}'",
        f"UPDATE outcome SET date_basis = 'guessed' WHERE id = '{OUTCOME}'",
        "INSERT INTO status_update (outcome_id, changed_at, changed_by, old_status, new_status,"
        f" note) VALUES ('{OUTCOME}', '2024-01-01', 'x', 'Done', 'Pwned', '')",
        "INSERT INTO plan_change (changed_at, changed_by, subject_kind, subject_id, action,"
        " reason) VALUES ('2024-01-01', 'x', 'outcome', 'x', 'hacked', '')",
    ],
)
def test_check_constraints_refuse_impossible_values(engine, statement):
    with pytest.raises(Exception, match=r"(?i)check constraint"), engine.begin() as connection:
        connection.execute(text(statement))
    with Session(engine) as session:
        assert session.get(Outcome, OUTCOME).status == "Not started"
