"""The history chain (core/store/chain.py): every status update and plan change is
hashed with the row before it as it is written; `verify` (and `python -m core verify`)
finds a row deleted or changed behind the guard's back, a dropped trigger and an
outcome whose status its history does not explain. Every test runs on SQLite and
on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from core import config
from core.cli.main import main
from core.models import PlanChange, Role, StatusUpdate
from core.people.permissions import Actor
from core.plan.redating import rebaseline
from core.progress.updates import update_status
from core.store import chain
from core.store.db import write_session

ADMIN = Actor(user_id=None, username="ada", display_name="Ada", role=Role.ADMIN)
OUTCOMES = ["st-louis.adult-shelter.short.1", "southwest.legal-services.short.1"]
WHEN = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)


def record(engine: Engine, outcome_id: str, status: str, version: int) -> int:
    with write_session(engine) as session:
        entry = update_status(
            session=session,
            actor=ADMIN,
            outcome_id=outcome_id,
            expected_version=version,
            new_status=status,
            note="ünïcode — notes",
            now=WHEN,
        )
        assert entry.id is not None
        return entry.id


@pytest.fixture
def seeded(backend: str, request, tmp_path) -> Engine:
    """A seeded database (SQLite: in a file, so the verify command can open it too)."""
    if backend == "postgresql":
        return request.getfixturevalue("pg_seeded_copy")()
    return request.getfixturevalue("seeded_copy")(f"sqlite:///{tmp_path / 'chain.db'}")


@pytest.fixture
def busy(seeded: Engine) -> Engine:
    """A seeded database with four status updates and a re-baselined logic model
    (several plan changes written in one flush)."""
    engine = seeded
    record(engine, OUTCOMES[0], "In progress", 1)
    record(engine, OUTCOMES[0], "Done", 2)
    record(engine, OUTCOMES[1], "Blocked", 1)
    record(engine, OUTCOMES[1], "In progress", 2)
    with write_session(engine) as session:
        rebaseline(
            session=session,
            actor=ADMIN,
            logic_model_id="southwest",
            start_date=date(2026, 3, 1),
            reason="started late",
            now=WHEN,
        )
    return engine


def rows(engine: Engine, model) -> list:
    with Session(engine) as session:
        return list(session.exec(select(model).order_by(model.id)))


def run_sql(engine: Engine, *statements: str) -> None:
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


def drop_guard(engine: Engine) -> None:
    """What someone holding the database file (or its owner's password) can do."""
    if engine.dialect.name == "sqlite":
        run_sql(
            engine,
            "DROP TRIGGER status_update_no_update",
            "DROP TRIGGER status_update_no_delete",
        )
    else:
        run_sql(
            engine,
            "DROP TRIGGER status_update_append_only ON status_update",
            "DROP TRIGGER status_update_no_truncate ON status_update",
        )


def cli_verify(engine: Engine, monkeypatch, capsys) -> tuple[int, str]:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    config.get_settings.cache_clear()
    code = main(["verify"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_every_history_row_is_chained(busy):
    updates, changes = rows(busy, StatusUpdate), rows(busy, PlanChange)
    assert len(updates) == 4 and len(changes) > 2  # one per re-dated outcome and the model
    previous = None
    for row in updates:
        assert row.chain_hash == chain.entry_hash(row.model_dump(), previous)
        previous = row.chain_hash
    previous = None
    for row in changes:
        assert row.chain_hash == chain.entry_hash(row.model_dump(), previous)
        previous = row.chain_hash
    report = chain.verify(busy)
    assert report.ok, report.summary()
    assert report.rows == {"status_update": 4, "plan_change": len(changes), "measure_value": 0}
    assert report.heads["status_update"] == {"id": updates[-1].id, "hash": updates[-1].chain_hash}


def test_verify_clean_exits_0(busy, monkeypatch, capsys):
    code, output = cli_verify(busy, monkeypatch, capsys)
    assert code == 0, output
    assert "History verified: 4 status_update" in output


def test_deleted_row_found(busy, monkeypatch, capsys):
    second = rows(busy, StatusUpdate)[1].id
    drop_guard(busy)
    run_sql(busy, f"DELETE FROM status_update WHERE id = {second}")

    report = chain.verify(busy)
    assert not report.ok
    assert str(report.problems[0]) == (
        f"status_update row {second + 1}: does not match its hash: it was changed, or a "
        "row before it was deleted"
    )
    assert any("append-only trigger status_update_" in str(p) for p in report.problems)
    code, output = cli_verify(busy, monkeypatch, capsys)
    assert code == 1
    assert f"History check failed at status_update row {second + 1}" in output


def test_changed_row_found(busy, monkeypatch, capsys):
    first = rows(busy, StatusUpdate)[0].id
    drop_guard(busy)
    run_sql(busy, f"UPDATE status_update SET changed_by = 'mallory' WHERE id = {first}")
    report = chain.verify(busy)
    assert str(report.problems[0]).startswith(f"status_update row {first}: does not match")
    assert cli_verify(busy, monkeypatch, capsys)[0] == 1


def test_status_without_history_found(busy):
    # the outcome table is not guarded: a status set without a status update shows
    untouched = "southeast.adult-shelter.medium.n1"
    run_sql(busy, f"UPDATE outcome SET status = 'Done' WHERE id = '{untouched}'")
    report = chain.verify(busy)
    assert [str(p) for p in report.problems] == [
        "outcome row southeast.adult-shelter.medium.n1: status is 'Done' but its history "
        "says 'Not started (no updates)'"
    ]


def test_missing_trigger_found(engine):
    drop_guard(engine)
    report = chain.verify(engine)
    assert {str(p) for p in report.problems} >= {
        f"status_update: the append-only trigger {name} is missing or disabled"
        for name in {
            "sqlite": ("status_update_no_update", "status_update_no_delete"),
            "postgresql": ("status_update_append_only", "status_update_no_truncate"),
        }[engine.dialect.name]
    }


def test_chain_continues_after_a_failed_write(busy):
    # a refused write leaves no hash behind: the next row chains on the last saved one
    with pytest.raises(Exception), write_session(busy) as session:  # noqa: B017
        update_status(
            session=session,
            actor=ADMIN,
            outcome_id=OUTCOMES[0],
            expected_version=1,  # stale
            new_status="Blocked",
        )
    record(busy, OUTCOMES[0], "Blocked", 3)
    assert chain.verify(busy).ok


def test_concurrent_writers_do_not_fork_the_chain(busy):
    # two writers appending at once: each reads the head after the other's commit
    # (SQLite's write lock, PostgreSQL's advisory lock), so the chain stays one line
    import threading

    outcomes = ["central.crisis-shelter.short.1", "northwest.crisis-services.short.1"]
    errors: list[BaseException] = []

    def write(outcome_id: str) -> None:
        try:
            for version, status in enumerate(("In progress", "Done") * 3, start=1):
                record(busy, outcome_id, status, version)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(o,)) for o in outcomes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    report = chain.verify(busy)
    assert report.ok, report.summary()
    assert report.rows["status_update"] == 4 + 12


def test_a_check_since_the_last_reads_only_what_was_added_and_agrees(busy):
    """Issue 15: the admins' check after each save read every row (a few hundred ms at
    100,000 outcomes, beside every page's run). `verify_since` checks the rows after
    the last check's heads, chained from them, and the outcomes they updated."""
    last = chain.verify(busy)
    record(busy, OUTCOMES[1], "Done", 3)
    record(busy, OUTCOMES[0], "Blocked", 3)
    since, whole = chain.verify_since(busy, last), chain.verify(busy)
    assert since.ok and whole.ok, since.summary()
    assert since.rows == whole.rows and since.heads == whole.heads
    assert chain.verify_since(busy, since).rows == whole.rows  # nothing added: nothing read


def test_a_check_since_finds_a_changed_new_row_and_a_status_its_history_does_not_explain(busy):
    last = chain.verify(busy)
    added = record(busy, OUTCOMES[1], "Done", 3)
    drop_guard(busy)
    run_sql(busy, f"UPDATE status_update SET changed_by = 'mallory' WHERE id = {added}")
    report = chain.verify_since(busy, last)
    assert str(report.problems[0]).startswith(f"status_update row {added}: does not match")
    assert any("append-only trigger" in str(p) for p in report.problems)
    assert not chain.verify(busy).ok  # the whole check agrees


def test_a_check_since_checks_the_status_of_each_outcome_updated_since(busy):
    last = chain.verify(busy)
    record(busy, OUTCOMES[1], "Done", 3)
    run_sql(busy, f"UPDATE outcome SET status = 'Dropped' WHERE id = '{OUTCOMES[1]}'")
    assert [str(p) for p in chain.verify_since(busy, last).problems] == [
        f"outcome row {OUTCOMES[1]}: status is 'Dropped' but its history says 'Done'"
    ]


def test_a_row_gone_below_the_last_head_makes_the_check_since_a_whole_one(busy):
    last = chain.verify(busy)
    first = rows(busy, StatusUpdate)[0].id
    drop_guard(busy)
    run_sql(busy, f"DELETE FROM status_update WHERE id = {first}")
    report = chain.verify_since(busy, last)  # no row after the head: it counts those below
    assert str(report.problems[0]) == (
        f"status_update row {first + 1}: does not match its hash: it was changed, or a "
        "row before it was deleted"
    )
