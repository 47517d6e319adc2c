"""The Overdue & due soon page loads both sections in one query when they fit in one
table's rows (issue 15), and lists exactly what each section's own query would."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from core.progress import queries
from core.progress.filters import OutcomeFilter
from core.progress.schedule import Schedule
from ui import components, data

from .conftest import TODAY


def listed(at: AppTest) -> list[list[str]]:
    assert not at.exception, [e.message for e in at.exception]
    return [f.value["text"].tolist() for f in at.dataframe]


def expected(db, schedule: Schedule, limit: int) -> list[str]:
    """What the section's own query lists: earliest due first, at most `limit`."""
    flt = OutcomeFilter(
        schedules=(schedule.value,), today=date.fromisoformat(TODAY), order="due", limit=limit
    )
    with Session(db) as session:
        return [r["text"] for r in queries.outcome_rows(session, flt)]


@pytest.mark.parametrize("together", [True, False])
def test_each_section_lists_what_its_own_query_would(db, new_app, monkeypatch, together):
    overdue = expected(db, Schedule.OVERDUE, components.TABLE_ROWS)
    soon = expected(db, Schedule.DUE_SOON, components.TABLE_ROWS)
    assert overdue and soon  # the pinned day has both
    calls: list = []
    real = data.outcomes

    def counted(flt, *args, **kwargs):
        calls.append(flt.schedules)
        return real(flt, *args, **kwargs)

    monkeypatch.setattr(data, "outcomes", counted)
    if not together:  # each fits in a table alone, both together do not
        monkeypatch.setattr(components, "TABLE_ROWS", max(len(overdue), len(soon)))

    at = new_app("pages/overdue.py").run()

    # Most overdue first, soonest due first: the page sorts each by days late / to go.
    shown_overdue, shown_soon = listed(at)
    assert sorted(shown_overdue) == sorted(overdue)
    assert sorted(shown_soon) == sorted(soon)
    loads = [c for c in calls if set(c) <= {Schedule.OVERDUE.value, Schedule.DUE_SOON.value}]
    if together:
        assert loads[-1:] == [(Schedule.OVERDUE.value, Schedule.DUE_SOON.value)]
    else:
        assert loads[-2:] == [(Schedule.OVERDUE.value,), (Schedule.DUE_SOON.value,)]


def test_a_section_over_the_table_rows_says_how_many_it_leaves_out(db, new_app, monkeypatch):
    overdue = expected(db, Schedule.OVERDUE, components.TABLE_ROWS)
    monkeypatch.setattr(components, "TABLE_ROWS", len(overdue) - 1)

    at = new_app("pages/overdue.py").run()

    shown_overdue = listed(at)[0]
    assert sorted(shown_overdue) == sorted(overdue[:-1])
    assert f"The {len(overdue) - 1:,} earliest of {len(overdue):,}; narrow with the filters" in (
        " ".join(c.value for c in at.caption)
    )
