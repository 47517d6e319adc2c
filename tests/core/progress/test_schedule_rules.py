"""Each progress rule is written in Python and in SQL (core/progress/schedule.py); on
every combination of status and due date the two give the same answer, on both
backends."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from sqlmodel import Session, col, select

from core.models import Outcome, Status, Term
from core.progress.schedule import (
    DEFAULT_SOON_DAYS,
    Schedule,
    closed_sql,
    freshness_days,
    is_closed,
    is_late,
    late_sql,
    open_sql,
    schedule_of,
    schedule_sql,
    schedules_sql,
    term_rank,
    term_rank_sql,
)

TODAY = date(2026, 12, 1)
SOON = 10
# around today and around the due-soon horizon, for the default window and a short one
OFFSETS = (-400, -1, 0, 1, SOON - 1, SOON, SOON + 1, DEFAULT_SOON_DAYS, DEFAULT_SOON_DAYS + 1)


def _spread(session: Session) -> list[Outcome]:
    """Give seeded outcomes every (status, due date) combination."""
    combos = list(itertools.product(list(Status), OFFSETS))
    outcomes = session.exec(select(Outcome).order_by(col(Outcome.id)).limit(len(combos))).all()
    assert len(outcomes) == len(combos)
    for outcome, (status, offset) in zip(outcomes, combos, strict=True):
        outcome.status = status.value
        outcome.due_date = TODAY + timedelta(days=offset)
        session.add(outcome)
    session.flush()
    return list(outcomes)


def _ids(session: Session, condition) -> set[str]:
    return set(session.exec(select(Outcome.id).where(condition)).all())


def test_schedule_sql_agrees_with_python(session):
    outcomes = _spread(session)
    ids = {o.id for o in outcomes}
    for soon_days in (SOON, DEFAULT_SOON_DAYS):
        for schedule in Schedule:
            in_python = {
                o.id
                for o in outcomes
                if schedule_of(o.status, o.due_date, TODAY, soon_days) is schedule
            }
            assert _ids(session, schedule_sql(schedule, TODAY, soon_days)) & ids == in_python, (
                schedule,
                soon_days,
            )


def test_every_set_of_schedules_in_sql_agrees_with_python(session):
    """A filter's schedules as one condition (neighbouring open schedules as one range
    of due dates: issue 15) picks what `schedule_of` puts in any of them."""
    outcomes = _spread(session)
    ids = {o.id for o in outcomes}
    for soon_days in (SOON, DEFAULT_SOON_DAYS):
        for size in range(1, len(Schedule) + 1):
            for chosen in itertools.combinations(Schedule, size):
                in_python = {
                    o.id
                    for o in outcomes
                    if schedule_of(o.status, o.due_date, TODAY, soon_days) in chosen
                }
                condition = schedules_sql(frozenset(chosen), TODAY, soon_days)
                assert _ids(session, condition) & ids == in_python, (chosen, soon_days)


def test_closed_and_late_sql_agree_with_python(session):
    outcomes = _spread(session)
    ids = {o.id for o in outcomes}
    assert _ids(session, closed_sql()) & ids == {o.id for o in outcomes if is_closed(o.status)}
    assert _ids(session, open_sql()) & ids == {o.id for o in outcomes if not is_closed(o.status)}
    late = {o.id for o in outcomes if is_late(o.status, o.due_date, TODAY)}
    assert _ids(session, late_sql(TODAY)) & ids == late
    assert any(
        o.status == Status.BLOCKED.value and o.due_date > TODAY for o in outcomes if o.id in late
    )


def test_term_rank_sql_agrees_with_python(session):
    rows = session.exec(select(Outcome.term, term_rank_sql()).distinct()).all()
    assert {term for term, _ in rows} == {t.value for t in Term}
    for term, rank in rows:
        assert rank == term_rank(term) == Term(term).rank
    assert [t.value for t in sorted(Term, key=lambda t: t.rank)] == ["short", "medium", "long"]
    assert term_rank("someday") == len(Term)


def test_freshness_counts_whole_days_and_never_goes_negative():
    from datetime import UTC, datetime

    assert freshness_days(None, TODAY) is None
    assert freshness_days(datetime(2026, 11, 30, 23, 59, tzinfo=UTC), TODAY) == 1
    assert freshness_days(datetime(2026, 12, 1, 0, 0, tzinfo=UTC), TODAY) == 0
    assert freshness_days(datetime(2026, 12, 3, tzinfo=UTC), TODAY) == 0


def test_a_schedule_filter_without_its_day_reads_today_each_time(session, monkeypatch):
    """The outcome rows' statement is cached per filter (issue 15); a schedule filter
    that leaves `today` to the clock must not keep the first day it was built on."""
    from datetime import date as real_date

    from core.progress import filters as filters_module
    from core.progress.filters import OutcomeFilter
    from core.progress.queries import outcome_rows

    def on(day: real_date) -> list[str]:
        class Pinned(real_date):
            @classmethod
            def today(cls):  # type: ignore[override]
                return day

        monkeypatch.setattr(filters_module, "date", Pinned)
        rows = outcome_rows(session, OutcomeFilter(schedules=("Overdue",)))
        return [r["outcome_id"] for r in rows]

    assert on(real_date(2019, 1, 1)) == []  # before the plan's first due date
    assert len(on(real_date(2026, 12, 1))) == 248  # every report date is past
