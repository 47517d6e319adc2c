"""The standing note: an outcome's latest note is the note of the update that set its
current status, so an undo does not replace a Blocked reason (issue 11, item 17)."""

from __future__ import annotations

from sqlmodel import Session

from core.models import Outcome
from core.progress import queries
from core.progress.filters import OutcomeFilter
from core.progress.updates import revert_update, update_status
from core.store.db import write_session
from tests.core.progress.test_status_updates import ADMIN, SW_OUTCOME

REASON = "Waiting on the county's funding decision"


def _save(engine, status: str, note: str = "") -> int:
    with write_session(engine) as s:
        version = s.get(Outcome, SW_OUTCOME).version
        entry = update_status(
            session=s,
            actor=ADMIN,
            outcome_id=SW_OUTCOME,
            expected_version=version,
            new_status=status,
            note=note,
        )
        return int(entry.id)


def _undo(engine, entry_id: int) -> int:
    with write_session(engine) as s:
        version = s.get(Outcome, SW_OUTCOME).version
        entry = revert_update(
            session=s, actor=ADMIN, status_update_id=entry_id, expected_version=version
        )
        return int(entry.id)


def _row(engine) -> dict:
    with Session(engine) as s:
        (row,) = queries.outcome_rows(s, OutcomeFilter(outcome_ids=(SW_OUTCOME,)), members=True)
        return row


def test_undo_of_a_later_change_keeps_the_blocked_reason(engine):
    _save(engine, "Blocked", note=REASON)
    later = _save(engine, "In progress", note="Funding came through")
    _undo(engine, later)
    row = _row(engine)
    assert row["status"] == "Blocked"
    assert row["last_note"] == REASON


def test_undo_of_a_note_only_update_shows_the_note_before_it(engine):
    _save(engine, "Blocked", note=REASON)
    note_only = _save(engine, "Blocked", note="Still waiting")
    _undo(engine, note_only)
    assert _row(engine)["last_note"] == REASON


def test_redo_brings_back_the_undone_note(engine):
    _save(engine, "Blocked", note=REASON)
    later = _save(engine, "In progress", note="Funding came through")
    undo = _undo(engine, later)
    _undo(engine, undo)  # undo of the undo: In progress again
    row = _row(engine)
    assert (row["status"], row["last_note"]) == ("In progress", "Funding came through")


def test_undo_of_the_only_update_leaves_no_note(engine):
    only = _save(engine, "Done")
    _undo(engine, only)
    row = _row(engine)
    assert (row["status"], row["last_note"]) == ("Not started", None)


def test_latest_note_is_the_newest_when_nothing_was_undone(engine):
    _save(engine, "Blocked", note=REASON)
    _save(engine, "Blocked", note="Still waiting")
    assert _row(engine)["last_note"] == "Still waiting"
