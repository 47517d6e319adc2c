"""How much of the plan still runs on the report's dates: outcomes whose logic model
still starts on the plan's baseline start (the 2019 report's), not yet re-baselined to
the region's real start, and how many of the overdue are overdue on those dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, distinct, func
from sqlmodel import Session, col, select

from core.models import LogicModel, Outcome, Plan
from core.progress.filters import OutcomeFilter, joined
from core.progress.schedule import DEFAULT_SOON_DAYS, Schedule, schedule_sql


@dataclass(frozen=True)
class ReportDates:
    """Outcomes (of a filter) on the report's dates and on re-baselined dates."""

    on_report: int  # outcomes whose logic model starts on the report's start
    rebaselined: int  # outcomes whose logic model was moved to another start
    logic_models_on_report: int
    overdue_on_report: int
    overdue_rebaselined: int
    report_start: date | None  # the plan's baseline start (None: no plan loaded)

    @property
    def any_on_report(self) -> bool:
        return self.on_report > 0


def report_dates(
    session: Session,
    today: date,
    flt: OutcomeFilter | None = None,
    soon_days: int = DEFAULT_SOON_DAYS,
) -> ReportDates:
    """Counted in SQL, with the filter's own conditions."""
    flt = flt or OutcomeFilter()
    report_start = select(col(Plan.baseline_start)).limit(1).scalar_subquery()
    on_report = col(LogicModel.start_date) == report_start
    overdue = schedule_sql(Schedule.OVERDUE, today, soon_days)
    # Outcome's column first: the joins start from the first column's table.
    stmt = joined(
        [
            func.count(col(Outcome.id)),
            func.sum(case((on_report, 1), else_=0)),
            func.sum(case((on_report, 0), else_=1)),
            func.count(distinct(case((on_report, col(LogicModel.id)), else_=None))),
            func.sum(case((and_(on_report, overdue), 1), else_=0)),
            func.sum(case((and_(~on_report, overdue), 1), else_=0)),
        ]
    ).where(and_(True, *flt.conditions()))
    _, on, moved, models, late_on, late_moved = session.exec(stmt).one()
    start = session.exec(select(col(Plan.baseline_start)).limit(1)).first()
    return ReportDates(
        on_report=int(on or 0),
        rebaselined=int(moved or 0),
        logic_models_on_report=int(models or 0),
        overdue_on_report=int(late_on or 0),
        overdue_rebaselined=int(late_moved or 0),
        report_start=start,
    )
