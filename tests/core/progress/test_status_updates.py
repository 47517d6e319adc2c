"""Status updates at the service layer: roles, validation, no lost updates, undo."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from core.config import PROJECT_ROOT
from core.models import Outcome, Role, Status, StatusUpdate
from core.people.permissions import ANONYMOUS_VIEWER, Actor, PermissionDenied
from core.progress.updates import (
    StaleUpdate,
    UpdateRejected,
    UpdateRequest,
    revert_update,
    update_many,
    update_status,
)
from core.store.db import write_session

SW_OUTCOME = "southwest.legal-services.short.1"
SW_OUTCOME_2 = "southwest.legal-services.short.2"
STL_OUTCOME = "st-louis.adult-shelter.short.1"
ADMIN = Actor(user_id=1, username="ada", display_name="Ada", role=Role.ADMIN)
SW_LEAD = Actor(
    user_id=2,
    username="sam",
    display_name="Sam",
    role=Role.LEAD,
    region_ids=frozenset({"southwest"}),
)
STRATEGY_LEAD = Actor(
    user_id=3,
    username="kim",
    display_name="Kim",
    role=Role.LEAD,
    strategy_ids=frozenset({"st-louis.adult-shelter"}),
)
VIEWER = Actor(user_id=4, username="val", display_name="Val", role=Role.VIEWER)


def history_count(engine, outcome_id: str | None = None) -> int:
    with Session(engine) as s:
        stmt = select(func.count()).select_from(StatusUpdate)
        if outcome_id:
            stmt = stmt.where(StatusUpdate.outcome_id == outcome_id)
        return s.exec(stmt).one()


def outcome(engine, outcome_id: str) -> Outcome:
    with Session(engine) as s:
        return s.get(Outcome, outcome_id)


def save(engine, actor, outcome_id, new_status, version=None, **kw):
    version = outcome(engine, outcome_id).version if version is None else version
    with write_session(engine) as s:
        return update_status(
            session=s,
            actor=actor,
            outcome_id=outcome_id,
            expected_version=version,
            new_status=new_status,
            **kw,
        ).model_copy()


def test_update_status_records_history_and_bumps_version(engine):
    when = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    entry = save(
        engine,
        SW_LEAD,
        SW_OUTCOME,
        "In progress",
        note="Kick-off held",
        evidence_url="https://example.org/minutes",
        now=when,
    )
    assert (entry.old_status, entry.new_status, entry.changed_by) == (
        "Not started",
        "In progress",
        "sam",
    )
    assert entry.note == "Kick-off held"
    assert entry.evidence_url == "https://example.org/minutes"
    assert entry.changed_at == when
    row = outcome(engine, SW_OUTCOME)
    assert (row.status, row.version, row.last_updated_by) == ("In progress", 2, "sam")
    assert row.last_updated == when
    assert history_count(engine) == 1


@pytest.mark.parametrize(
    ("actor", "outcome_id", "allowed"),
    [
        (ADMIN, SW_OUTCOME, True),
        (ADMIN, STL_OUTCOME, True),
        (SW_LEAD, SW_OUTCOME, True),
        (SW_LEAD, STL_OUTCOME, False),
        (STRATEGY_LEAD, STL_OUTCOME, True),
        (STRATEGY_LEAD, "st-louis.legal-services.short.1", False),
        (VIEWER, SW_OUTCOME, False),
        (ANONYMOUS_VIEWER, SW_OUTCOME, False),
    ],
)
def test_update_status_role_matrix(engine, actor, outcome_id, allowed):
    before = outcome(engine, outcome_id)
    if allowed:
        save(engine, actor, outcome_id, "Done")
        assert outcome(engine, outcome_id).status == "Done"
        assert history_count(engine) == 1
    else:
        with pytest.raises(PermissionDenied):
            save(engine, actor, outcome_id, "Done")
        after = outcome(engine, outcome_id)
        assert (after.status, after.version) == (before.status, before.version)
        assert history_count(engine) == 0


@pytest.mark.parametrize("status", ["Blocked", "Dropped"])
def test_update_status_requires_note_for(engine, status):
    with pytest.raises(UpdateRejected, match="needs a note"):
        save(engine, ADMIN, SW_OUTCOME, status, note="   ")
    assert history_count(engine) == 0
    save(engine, ADMIN, SW_OUTCOME, status, note="Waiting on funding decision")
    assert outcome(engine, SW_OUTCOME).status == status


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"new_status": "Finished"}, "is not a status"),
        ({"new_status": "Done", "evidence_url": "javascript:alert(1)"}, "http"),
        ({"new_status": "Done", "evidence_url": "example.org/x"}, "http"),
        ({"new_status": "Done", "note": "x" * 5001}, "keep it under"),
        ({"new_status": "Done", "note": "bad\x00note"}, "NUL"),
        ({"new_status": "Not started"}, "already"),
    ],
)
def test_update_status_rejects_bad_input(engine, kwargs, message):
    with pytest.raises(UpdateRejected, match=message), write_session(engine) as s:
        update_status(session=s, actor=ADMIN, outcome_id=SW_OUTCOME, expected_version=1, **kwargs)
    assert history_count(engine) == 0
    assert outcome(engine, SW_OUTCOME).version == 1


def test_update_status_unknown_outcome(engine):
    with pytest.raises(UpdateRejected, match="no outcome"):
        save(engine, ADMIN, "nowhere.nothing.short.1", "Done", version=1)


def test_stale_save_is_refused_with_who_and_what(engine):
    seen = outcome(engine, SW_OUTCOME).version  # both forms render with this version
    save(engine, SW_LEAD, SW_OUTCOME, "Done", version=seen)
    with pytest.raises(StaleUpdate) as err:
        save(engine, ADMIN, SW_OUTCOME, "In progress", version=seen, note="my careful note")
    exc = err.value
    assert exc.changed_by == "sam"
    assert exc.current_status == "Done"
    assert exc.current_version == seen + 1
    assert exc.note == "my careful note"
    assert "sam" in str(exc) and "Done" in str(exc)
    assert history_count(engine) == 1  # no row for the refused save
    row = outcome(engine, SW_OUTCOME)
    assert (row.status, row.version) == ("Done", seen + 1)
    # Having seen the change, the user saves again on top of it.
    save(engine, ADMIN, SW_OUTCOME, "In progress", version=exc.current_version, note="reopened")
    assert outcome(engine, SW_OUTCOME).status == "In progress"


def test_revert_restores_previous_state_with_one_new_entry(engine):
    save(engine, ADMIN, SW_OUTCOME, "In progress", note="started")
    entry = save(engine, ADMIN, SW_OUTCOME, "Done")
    before = history_count(engine)
    version = outcome(engine, SW_OUTCOME).version
    with write_session(engine) as s:
        undo = revert_update(
            session=s, actor=SW_LEAD, status_update_id=entry.id, expected_version=version
        ).model_copy()
    assert history_count(engine) == before + 1
    assert (undo.old_status, undo.new_status, undo.reverts_id) == ("Done", "In progress", entry.id)
    assert outcome(engine, SW_OUTCOME).status == "In progress"
    with Session(engine) as s:  # the reverted row is untouched
        original = s.get(StatusUpdate, entry.id)
        assert (original.old_status, original.new_status) == ("In progress", "Done")


def test_revert_only_latest_entry(engine):
    first = save(engine, ADMIN, SW_OUTCOME, "In progress")
    save(engine, ADMIN, SW_OUTCOME, "Done")
    version = outcome(engine, SW_OUTCOME).version
    with pytest.raises(UpdateRejected, match="latest"), write_session(engine) as s:
        revert_update(session=s, actor=ADMIN, status_update_id=first.id, expected_version=version)


def test_revert_needs_permission(engine):
    entry = save(engine, ADMIN, STL_OUTCOME, "Done")
    version = outcome(engine, STL_OUTCOME).version
    with pytest.raises(PermissionDenied), write_session(engine) as s:
        revert_update(session=s, actor=SW_LEAD, status_update_id=entry.id, expected_version=version)
    assert outcome(engine, STL_OUTCOME).status == "Done"


def test_update_many_is_all_or_nothing(engine):
    requests = [UpdateRequest(SW_OUTCOME, 1), UpdateRequest(STL_OUTCOME, 1)]
    with pytest.raises(PermissionDenied):  # the St. Louis one is not Sam's
        with write_session(engine) as s:
            update_many(session=s, actor=SW_LEAD, requests=requests, new_status="Done")
    assert history_count(engine) == 0
    assert outcome(engine, SW_OUTCOME).status == "Not started"

    save(engine, ADMIN, SW_OUTCOME_2, "In progress")  # makes version 1 of it stale
    requests = [UpdateRequest(SW_OUTCOME, 1), UpdateRequest(SW_OUTCOME_2, 1)]
    with pytest.raises(StaleUpdate), write_session(engine) as s:
        update_many(session=s, actor=SW_LEAD, requests=requests, new_status="Done")
    assert history_count(engine) == 1
    assert outcome(engine, SW_OUTCOME).status == "Not started"

    requests = [UpdateRequest(SW_OUTCOME, 1), UpdateRequest(SW_OUTCOME_2, 2)]
    with write_session(engine) as s:
        entries = update_many(
            session=s,
            actor=SW_LEAD,
            requests=requests,
            new_status="Done",
            note="Both met at the April meeting",
        )
        assert len(entries) == 2
    assert history_count(engine) == 3
    assert {outcome(engine, o).status for o in (SW_OUTCOME, SW_OUTCOME_2)} == {"Done"}


def test_stress_tool_short_run_loses_nothing(tmp_path, backend, request):
    env = {
        "PATH": "/usr/bin:/bin",
        "TRACKER_SQLITE_PATH": str(tmp_path / "none.db"),
        "TRACKER_DATA_DIR": str(PROJECT_ROOT / "data"),
        "HOME": str(tmp_path),
    }
    if backend == "postgresql":  # no write lock there: the conditional UPDATE alone
        engine = request.getfixturevalue("pg_seeded_copy")()
        env["DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
    result = subprocess.run(
        [
            sys.executable,
            str(PROJECT_ROOT / "bench" / "concurrent_updates.py"),
            "--processes",
            "4",
            "--updates",
            "50",
            "--outcomes",
            "3",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    last = result.stdout.strip().splitlines()[-1]
    figures = dict(part.split("=") for part in last.split())
    assert result.returncode == 0, result.stderr
    assert int(figures["errors"]) == 0
    assert int(figures["lost_updates"]) == 0
    assert int(figures["committed"]) + int(figures["conflicts"]) == 200
    assert int(figures["committed"]) > 0


def test_status_values_are_the_ui_labels():
    assert [s.value for s in Status] == ["Not started", "In progress", "Done", "Blocked", "Dropped"]


def test_read_only_database_refuses_save_with_clear_message(tmp_path):
    from sqlalchemy.exc import SQLAlchemyError

    from core.store.bootstrap import init_db
    from core.store.db import describe_db_error, make_engine

    path = tmp_path / "plan.db"
    writable = make_engine(f"sqlite:///{path}")
    init_db(writable)
    writable.dispose()
    # mode=ro makes SQLite refuse writes even for root, who ignores file permissions.
    engine = make_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    assert init_db(engine) is False  # opening and reading works
    before = outcome(engine, SW_OUTCOME)
    with pytest.raises(SQLAlchemyError) as err:
        save(engine, ADMIN, SW_OUTCOME, "Done")
    message = describe_db_error(err.value, engine)
    assert "read-only" in message and "nothing can be saved" in message
    assert outcome(engine, SW_OUTCOME).version == before.version
    assert history_count(engine) == 0
    assert not Path("file:").exists()  # the URI was not mistaken for a folder to create


def test_second_done_on_the_same_version_is_stale_not_already_done(engine):
    """Two leads click Done on the same rendered version: the second is told someone
    changed it (with who), not that it is 'already Done'."""
    version = outcome(engine, SW_OUTCOME).version
    with write_session(engine) as s:
        update_status(
            session=s,
            actor=ADMIN,
            outcome_id=SW_OUTCOME,
            expected_version=version,
            new_status=Status.DONE,
        )
    with pytest.raises(StaleUpdate, match="ada changed this outcome"), write_session(engine) as s:
        update_status(
            session=s,
            actor=SW_LEAD,
            outcome_id=SW_OUTCOME,
            expected_version=version,
            new_status=Status.DONE,
        )
    assert history_count(engine, SW_OUTCOME) == 1
