"""How much of the plan still runs on the report's dates: outcomes whose logic model
still starts on the plan's baseline start (the 2019 report's), not yet re-baselined to
the region's real start, and how many of the overdue are overdue on those dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from core.models import LogicModel, Plan
from core.progress import counts
from core.progress.filters import OutcomeFilter
from core.progress.schedule import DEFAULT_SOON_DAYS


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
    """For the filter's outcomes, from the counts scan (core/progress/counts.py)."""
    rows = counts.grouped(session, flt, today=today, soon_days=soon_days)
    return report_dates_of(rows, *starts(session))


def starts(session: Session) -> tuple[dict[str, date], date | None]:
    """Every logic model's start, and the plan's baseline start (the report's)."""
    rows = session.exec(select(col(LogicModel.id), col(LogicModel.start_date))).all()
    models: dict[str, date] = {model_id: start for model_id, start in rows}
    return models, session.exec(select(col(Plan.baseline_start)).limit(1)).first()


def report_dates_of(
    rows: counts.Rows, model_starts: dict[str, date], report_start: date | None
) -> ReportDates:
    """The banner's counts as sums of `counts.grouped` rows (given `today`): a row is on
    the report's dates when its logic model still starts on the report's start."""
    on = moved = late_on = late_moved = 0
    models: set[str] = set()
    for row in rows:
        if report_start is not None and model_starts.get(row["logic_model_id"]) == report_start:
            on += row["total"]
            late_on += row["overdue"]
            if row["total"]:
                models.add(row["logic_model_id"])
        else:
            moved += row["total"]
            late_moved += row["overdue"]
    return ReportDates(
        on_report=on,
        rebaselined=moved,
        logic_models_on_report=len(models),
        overdue_on_report=late_on,
        overdue_rebaselined=late_moved,
        report_start=report_start,
    )
