"""The first-visit banner's counts (core/progress/baseline.py): outcomes on the report's
dates until their logic model is re-baselined, and the overdue split between them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from core.models import Outcome, Role
from core.people.permissions import Actor
from core.plan.redating import rebaseline
from core.progress.baseline import report_dates
from core.progress.filters import OutcomeFilter
from core.store.db import write_session

ADMIN = Actor(user_id=1, username="ada", display_name="Ada", role=Role.ADMIN)
TODAY = date(2026, 12, 1)


def _outcomes(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Outcome)).one()


def test_report_dates_counts_every_outcome_of_the_seeded_plan(session) -> None:
    counts = report_dates(session, TODAY)

    assert counts.on_report == _outcomes(session) == 248
    assert counts.rebaselined == 0
    assert counts.logic_models_on_report == 10
    assert counts.overdue_on_report == 248  # every report date is before 2026
    assert counts.overdue_rebaselined == 0
    assert counts.report_start == date(2019, 7, 1)
    assert counts.any_on_report


def test_report_dates_after_a_rebaseline_moves_its_outcomes(engine) -> None:
    with write_session(engine) as s:
        moves = rebaseline(
            session=s,
            actor=ADMIN,
            logic_model_id="southwest",
            start_date=date(2026, 3, 1),
            reason="Workgroup formed in March 2026",
        )
    with Session(engine) as session:
        counts = report_dates(session, TODAY)

    assert counts.rebaselined == len(moves) == 32
    assert counts.on_report == 248 - 32
    assert counts.logic_models_on_report == 9
    assert counts.overdue_on_report == 248 - 32
    # Southwest now runs 2026-2029: only the outcomes due before today are overdue.
    due_before = sum(1 for m in moves if m.after < TODAY)
    assert counts.overdue_rebaselined == due_before < 32


def test_report_dates_honours_the_filter(session) -> None:
    counts = report_dates(session, TODAY, OutcomeFilter(regions=("southwest",)))

    assert (counts.on_report, counts.logic_models_on_report) == (32, 1)


def test_report_dates_none_when_every_model_is_rebaselined(engine) -> None:
    with write_session(engine) as s:
        for region in ("state", "st-louis", "metro-east", "southeast", "southwest"):
            rebaseline(
                session=s, actor=ADMIN, region_id=region, start_date=date(2026, 1, 1), reason="x"
            )
        for region in ("northwest", "northeast", "kansas-city", "central"):
            rebaseline(
                session=s, actor=ADMIN, region_id=region, start_date=date(2026, 1, 1), reason="x"
            )
    with Session(engine) as session:
        counts = report_dates(session, TODAY)

    assert not counts.any_on_report
    assert counts.rebaselined == 248
