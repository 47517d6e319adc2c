"""Marking a Blocked outcome Done needs a note (issue 14 item 5), for every caller."""

from __future__ import annotations

import pytest

from core.progress.updates import UpdateRejected
from tests.core.progress.test_status_updates import (
    SW_LEAD,
    SW_OUTCOME,
    history_count,
    outcome,
    save,
)


def test_done_from_blocked_without_a_note_is_refused_and_writes_nothing(engine):
    save(engine, SW_LEAD, SW_OUTCOME, "Blocked", note="Waiting on the county's data")
    before = (outcome(engine, SW_OUTCOME).version, history_count(engine))
    with pytest.raises(UpdateRejected, match="needs a note"):
        save(engine, SW_LEAD, SW_OUTCOME, "Done", note="   ")
    assert (outcome(engine, SW_OUTCOME).version, history_count(engine)) == before
    assert outcome(engine, SW_OUTCOME).status == "Blocked"


def test_done_from_blocked_with_a_note_is_saved(engine):
    save(engine, SW_LEAD, SW_OUTCOME, "Blocked", note="Waiting on the county's data")
    entry = save(engine, SW_LEAD, SW_OUTCOME, "Done", note="Data arrived; report filed")
    assert (entry.old_status, entry.new_status) == ("Blocked", "Done")


def test_done_from_other_statuses_still_needs_no_note(engine):
    save(engine, SW_LEAD, SW_OUTCOME, "In progress")
    assert save(engine, SW_LEAD, SW_OUTCOME, "Done").new_status == "Done"
