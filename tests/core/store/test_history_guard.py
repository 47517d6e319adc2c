"""The status history is append-only: the database itself refuses UPDATE and DELETE."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, func, select

from core.config import PROJECT_ROOT, Settings
from core.models import StatusUpdate
from core.store.bootstrap import init_db
from core.store.db import make_engine, write_session
from core.store.guard import install_history_guard

OUTCOME = "st-louis.adult-shelter.short.1"
WHEN = datetime(2020, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "file", "postgresql"])
def guarded(request, tmp_path, seeded_copy) -> Engine:
    """A seeded database: SQLite in memory or in a file (init_db on a file of its own
    is covered by test_history_guard_survives_reopen), or PostgreSQL."""
    if request.param == "postgresql":
        return request.getfixturevalue("pg_seeded_copy")()
    if request.param == "memory":
        return seeded_copy()
    return seeded_copy(f"sqlite:///{tmp_path / 'guard.db'}")


def trigger_names(engine: Engine, table: str) -> list[str]:
    query = {
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t",
        "postgresql": "SELECT tgname FROM pg_trigger WHERE tgrelid = CAST(:t AS regclass)"
        " AND NOT tgisinternal",
    }[engine.dialect.name]
    with engine.connect() as conn:
        return sorted(conn.execute(text(query), {"t": table}).scalars())


def add_update(engine: Engine, note: str = "first") -> int:
    with write_session(engine) as session:
        update = StatusUpdate(
            outcome_id=OUTCOME,
            changed_at=WHEN,
            changed_by="alice",
            old_status="Not started",
            new_status="In progress",
            note=note,
        )
        session.add(update)
        session.flush()
        return update.id


def all_updates(engine: Engine) -> list[dict]:
    with Session(engine) as session:
        return [
            u.model_dump() for u in session.exec(select(StatusUpdate).order_by(StatusUpdate.id))
        ]


def test_history_insert_allowed(guarded):
    first = add_update(guarded, "first")
    second = add_update(guarded, "second")
    rows = all_updates(guarded)
    assert [(r["id"], r["note"]) for r in rows] == [(first, "first"), (second, "second")]
    assert rows[0]["outcome_id"] == OUTCOME
    assert (rows[0]["old_status"], rows[0]["new_status"], rows[0]["changed_by"]) == (
        "Not started",
        "In progress",
        "alice",
    )


def test_history_sql_update_refused(guarded):
    add_update(guarded)
    before = all_updates(guarded)
    refused = pytest.raises(DBAPIError, match="append-only: rows cannot be changed")
    with refused, guarded.begin() as conn:
        conn.execute(text("UPDATE status_update SET note = 'rewritten'"))
    assert all_updates(guarded) == before


def test_history_orm_update_refused(guarded):
    update_id = add_update(guarded)
    before = all_updates(guarded)
    with pytest.raises(DBAPIError, match="append-only"), write_session(guarded) as session:
        update = session.get(StatusUpdate, update_id)
        update.new_status = "Done"
        session.add(update)
    assert all_updates(guarded) == before


def test_history_sql_delete_refused(guarded):
    add_update(guarded)
    before = all_updates(guarded)
    refused = pytest.raises(DBAPIError, match="append-only: rows cannot be deleted")
    with refused, guarded.begin() as conn:
        conn.execute(text("DELETE FROM status_update"))
    assert all_updates(guarded) == before


def test_history_orm_delete_refused(guarded):
    update_id = add_update(guarded)
    with pytest.raises(DBAPIError, match="append-only"), write_session(guarded) as session:
        session.delete(session.get(StatusUpdate, update_id))
    assert len(all_updates(guarded)) == 1


def test_history_insert_after_refusal(guarded):
    add_update(guarded)
    with pytest.raises(DBAPIError), guarded.begin() as conn:
        conn.execute(text("DELETE FROM status_update"))
    add_update(guarded, "after")
    assert [r["note"] for r in all_updates(guarded)] == ["first", "after"]


def test_history_guard_install_idempotent(guarded):
    install_history_guard(guarded)
    install_history_guard(guarded)
    expected = {
        "sqlite": ["status_update_no_delete", "status_update_no_update"],
        "postgresql": ["status_update_append_only", "status_update_no_truncate"],
    }[guarded.dialect.name]
    assert trigger_names(guarded, "status_update") == expected
    add_update(guarded)
    with pytest.raises(DBAPIError), guarded.begin() as conn:
        conn.execute(text("UPDATE status_update SET note = ''"))


def test_history_guard_survives_reopen(tmp_path):
    url = f"sqlite:///{tmp_path / 'reopen.db'}"
    engine = make_engine(url)
    init_db(engine, Settings(tracker_data_dir=PROJECT_ROOT / "data"))
    add_update(engine)
    engine.dispose()
    engine = make_engine(url)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM status_update"))
    with Session(engine) as session:
        assert session.exec(select(func.count(StatusUpdate.id))).one() == 1
    engine.dispose()


def test_history_guard_on_cloned_fixture_engine(engine):
    # the shared `engine` fixture (a copy of a seeded database) keeps the triggers too
    add_update(engine)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE status_update SET changed_by = 'mallory'"))
