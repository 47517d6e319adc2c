"""Check-ins ("still on track, no change"): a history entry that keeps the status,
refreshes freshness, bumps the version, and leaves the standing note as it was."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from core.models import Outcome, Status, StatusUpdate
from core.people.permissions import ANONYMOUS_VIEWER, PermissionDenied
from core.progress import queries
from core.progress.filters import OutcomeFilter
from core.progress.schedule import freshness_days
from core.progress.updates import (
    StaleUpdate,
    UpdateRejected,
    check_in,
    revert_update,
    update_status,
)
from core.store.chain import verify
from core.store.db import write_session
from tests.core.progress.test_status_updates import ADMIN, STL_OUTCOME, SW_LEAD, SW_OUTCOME

REASON = "Waiting on the county's funding decision"
MAY_1 = datetime(2021, 5, 1, 12, 0, tzinfo=UTC)
JUNE_1 = datetime(2021, 6, 1, 9, 0, tzinfo=UTC)


def _version(engine, outcome_id: str = SW_OUTCOME) -> int:
    with Session(engine) as s:
        return s.get(Outcome, outcome_id, populate_existing=True).version


def _save(engine, status: str, note: str = "", now: datetime = MAY_1) -> int:
    version = _version(engine)
    with write_session(engine) as s:
        entry = update_status(
            session=s,
            actor=ADMIN,
            outcome_id=SW_OUTCOME,
            expected_version=version,
            new_status=status,
            note=note,
            now=now,
        )
        return int(entry.id)


def _check_in(
    engine, actor=SW_LEAD, note: str = "", outcome_id: str = SW_OUTCOME, version=None
) -> int:
    version = _version(engine, outcome_id) if version is None else version
    with write_session(engine) as s:
        entry = check_in(
            session=s,
            actor=actor,
            outcome_id=outcome_id,
            expected_version=version,
            note=note,
            now=JUNE_1,
        )
        return int(entry.id)


def _row(engine) -> dict:
    with Session(engine) as s:
        (row,) = queries.outcome_rows(s, OutcomeFilter(outcome_ids=(SW_OUTCOME,)), members=True)
        return row


def _history(engine) -> list[StatusUpdate]:
    with Session(engine) as s:
        stmt = select(StatusUpdate).where(StatusUpdate.outcome_id == SW_OUTCOME)
        return list(s.exec(stmt.order_by(StatusUpdate.id)).all())


def test_check_in_keeps_status_and_refreshes_freshness(engine):
    _save(engine, Status.IN_PROGRESS.value, now=MAY_1)
    before = _version(engine)
    _check_in(engine, note="")
    history = _history(engine)
    assert len(history) == 2
    entry = history[-1]
    assert (entry.old_status, entry.new_status) == ("In progress", "In progress")
    assert entry.note == "" and entry.evidence_url is None and entry.reverts_id is None
    assert entry.changed_by == "sam" and entry.chain_hash
    with Session(engine) as s:
        outcome = s.get(Outcome, SW_OUTCOME)
        assert outcome.status == "In progress"
        assert outcome.version == before + 1
        assert outcome.last_updated_by == "sam"
        assert freshness_days(outcome.last_updated, date(2021, 6, 1)) == 0
    assert verify(engine).ok


def test_check_in_of_a_never_updated_outcome(engine):
    _check_in(engine, note="On track; first meeting set")
    (entry,) = _history(engine)
    assert (entry.old_status, entry.new_status) == ("Not started", "Not started")
    assert _row(engine)["last_note"] == "On track; first meeting set"


def test_check_in_without_a_note_keeps_the_blocked_reason(engine):
    _save(engine, Status.BLOCKED.value, note=REASON)
    _check_in(engine)  # no note: Blocked needs a reason for a change, not a check-in
    row = _row(engine)
    assert row["status"] == "Blocked"
    assert row["last_note"] == REASON
    assert freshness_days(row["last_updated"], date(2021, 6, 1)) == 0


def test_check_in_with_a_note_becomes_the_latest_note(engine):
    _save(engine, Status.BLOCKED.value, note=REASON)
    _check_in(engine, note="Still waiting; asked again on Monday")
    assert _row(engine)["last_note"] == "Still waiting; asked again on Monday"


def test_undo_of_a_check_in_keeps_status_and_reason(engine):
    _save(engine, Status.BLOCKED.value, note=REASON)
    entry_id = _check_in(engine, note="Still waiting")
    version = _version(engine)
    with write_session(engine) as s:
        revert_update(session=s, actor=SW_LEAD, status_update_id=entry_id, expected_version=version)
    row = _row(engine)
    assert row["status"] == "Blocked" and row["last_note"] == REASON
    assert len(_history(engine)) == 3


def test_update_status_still_refuses_an_unchanged_status_without_a_note(engine):
    _save(engine, Status.IN_PROGRESS.value)
    with pytest.raises(UpdateRejected, match="already “In progress”; add a note"):
        _save(engine, Status.IN_PROGRESS.value)


def test_check_in_on_a_stale_form_writes_nothing(engine):
    seen = _version(engine)
    _save(engine, Status.IN_PROGRESS.value)
    with pytest.raises(StaleUpdate) as err:
        _check_in(engine, note="kept", version=seen)
    assert err.value.note == "kept" and err.value.current_status == "In progress"
    assert len(_history(engine)) == 1


@pytest.mark.parametrize(
    ("actor", "outcome_id", "message"),
    [
        (ANONYMOUS_VIEWER, SW_OUTCOME, "Sign in to update outcomes"),
        (SW_LEAD, STL_OUTCOME, "Ask an admin to assign you|You can update outcomes of"),
    ],
)
def test_check_in_needs_permission(engine, actor, outcome_id, message):
    with pytest.raises(PermissionDenied, match=message):
        _check_in(engine, actor=actor, outcome_id=outcome_id)
    with Session(engine) as s:
        assert s.exec(select(StatusUpdate)).first() is None


def test_check_in_of_a_done_outcome_is_refused(engine):
    _save(engine, Status.DONE.value)
    with pytest.raises(UpdateRejected, match="nothing to check in"):
        _check_in(engine)
    assert len(_history(engine)) == 1


@pytest.mark.parametrize(
    ("note", "message"), [("x" * 5_001, "keep it under"), ("a\x00b", "NUL character")]
)
def test_check_in_refuses_a_bad_note(engine, note, message):
    with pytest.raises(UpdateRejected, match=message):
        _check_in(engine, note=note)
    assert _history(engine) == []
