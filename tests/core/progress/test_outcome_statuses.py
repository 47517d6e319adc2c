"""`queries.outcome_statuses`: each outcome a filter picks → its status, the same
outcomes (and with a limit, the same first ones) as `outcome_rows` gives. The
Timeline's tree, built once per plan, takes each save's statuses from it."""

from __future__ import annotations

import dataclasses

import pytest
from sqlmodel import Session

from core.models import Status
from core.progress import queries
from core.progress.filters import OutcomeFilter
from core.progress.updates import update_status
from core.store.db import write_session
from tests.core.progress.test_status_updates import ADMIN, SW_OUTCOME

FILTERS = [
    OutcomeFilter(),
    OutcomeFilter(regions=("southwest",)),
    OutcomeFilter(needs=("housing",), terms=("short",)),
    OutcomeFilter(statuses=(Status.DONE.value,)),
    OutcomeFilter(search="survivors"),
    OutcomeFilter(order="due", limit=7),
    OutcomeFilter(limit=5),
]


@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: f"{f}"[:60])
def test_the_statuses_of_the_outcomes_the_rows_give(engine, flt) -> None:
    with write_session(engine) as s:
        update_status(
            session=s,
            actor=ADMIN,
            outcome_id=SW_OUTCOME,
            expected_version=1,
            new_status=Status.DONE.value,
            note="finished",
        )
    with Session(engine) as session:
        rows = queries.outcome_rows(session, flt)
        statuses = queries.outcome_statuses(session, flt)

    assert rows
    assert statuses == {r["outcome_id"]: r["status"] for r in rows}
    assert statuses.get(SW_OUTCOME, Status.DONE.value) == Status.DONE.value  # the save's
    assert SW_OUTCOME in statuses or flt != OutcomeFilter()


def test_a_filter_says_whether_a_save_can_change_what_it_picks() -> None:
    plan_only = OutcomeFilter(regions=("southwest",), search="legal", flagged_only=True)
    assert not plan_only.picks_by_status()
    assert dataclasses.replace(plan_only, statuses=(Status.DONE.value,)).picks_by_status()
    assert dataclasses.replace(plan_only, schedules=("overdue",)).picks_by_status()


@pytest.mark.parametrize("order", ["plan", "due"])
@pytest.mark.parametrize("limit", [1, 7, 100, 1000])
def test_the_first_outcomes_are_the_first_of_all_in_the_same_order(engine, order, limit) -> None:
    """A limited read picks its outcomes by id first, then reads them whole (issue 15):
    the same rows, in the same order, as the first of an unlimited read."""
    flt = OutcomeFilter(order=order, limit=limit)
    with Session(engine) as session:
        every = queries.outcome_rows(session, dataclasses.replace(flt, limit=None))
        first = queries.outcome_rows(session, flt)
    assert first == every[:limit]
