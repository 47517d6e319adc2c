"""Progress against plan over time (the burn-up): by month, outcomes Done so far against
outcomes due so far, on current dates and on the report's dates; statewide, per region
or per need. Two SQL group-bys; Python runs the sums over the few rows they return
(a pandas reshape of them cost more than the queries)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any, Literal

import pandas as pd
from sqlalchemy import Integer, String, and_, case, cast, func, literal
from sqlmodel import Session, col, select

from core.models import LogicModel, Need, Outcome, Region, Status, StatusUpdate, Strategy
from core.progress.filters import OutcomeFilter

Period = Literal["month", "quarter"]
Group = Literal["region", "need"] | None
COLUMNS = ["key", "label", "order", "month", "done", "due_current", "due_report"]
STATEWIDE = "All outcomes"

_GROUP_COLUMNS: dict[str, Any] = {
    "region": col(LogicModel.region_id),
    "need": col(Strategy.need_id),
}


def period_sql(expr: Any, dialect: str, period: Period = "month") -> Any:
    """A date or time as the text of its period: "2026-12" (month) or "2026-Q4"."""
    if dialect == "postgresql":
        return func.to_char(expr, "YYYY-MM" if period == "month" else 'YYYY-"Q"Q')
    # SQLite keeps dates and times as ISO text ("2026-12-01 10:00:00.000000"): the
    # period is a prefix, which substr reads at a fraction of strftime's cost per row
    # (the burn-up and Evaluation group tens of thousands of rows by it).
    if period == "month":
        return func.substr(expr, 1, 7)
    quarter = (cast(func.substr(expr, 6, 2), Integer) + 2) // 3
    return func.substr(expr, 1, 4).concat("-Q").concat(cast(quarter, String))


def period_key(day: date, period: Period = "month") -> str:
    """`period_sql` in Python, for one day."""
    if period == "month":
        return f"{day:%Y-%m}"
    return f"{day.year}-Q{(day.month + 2) // 3}"


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _from_outcomes(columns: list[Any]) -> Any:
    return (
        select(*columns)
        .select_from(Outcome)
        .join(Strategy, col(Strategy.id) == col(Outcome.strategy_id))
        .join(LogicModel, col(LogicModel.id) == col(Strategy.logic_model_id))
    )


def _group(by: Group) -> Any:
    return _GROUP_COLUMNS[by] if by else literal("").label("key")


def _done_net(session: Session, flt: OutcomeFilter, by: Group) -> Iterable[tuple[str, str, int]]:
    """Per group and month: outcomes that became Done minus outcomes that left Done
    (an undo of a Done is a step away from Done, so it counts -1)."""
    done = Status.DONE.value
    became = and_(col(StatusUpdate.new_status) == done, col(StatusUpdate.old_status) != done)
    left = and_(col(StatusUpdate.old_status) == done, col(StatusUpdate.new_status) != done)
    net = func.sum(case((became, 1), (left, -1), else_=0))
    key = _group(by).label("key")
    month = period_sql(col(StatusUpdate.changed_at), _dialect(session)).label("month")
    stmt = (
        _from_outcomes([key, month, net.label("n")])
        .join(StatusUpdate, col(StatusUpdate.outcome_id) == col(Outcome.id))
        .where(and_(True, *flt.conditions()), became | left)
        .group_by(key, month)
    )
    return session.exec(stmt).all()


def _due(session: Session, flt: OutcomeFilter, by: Group) -> Iterable[tuple[str, str, str, int]]:
    """Per group and pair of months: outcomes due (not Dropped) in the current date's
    month and the report's; one scan, grouped by both months at once."""
    key = _group(by).label("key")
    dialect = _dialect(session)
    current = period_sql(col(Outcome.due_date), dialect).label("current")
    report = period_sql(col(Outcome.baseline_due_date), dialect).label("report")
    stmt = (
        _from_outcomes([key, current, report, func.count().label("n")])
        .where(and_(True, *flt.conditions()), col(Outcome.status) != Status.DROPPED.value)
        .group_by(key, current, report)
    )
    return session.exec(stmt).all()


def _month_range(first: str, last: str) -> list[str]:
    """Every month from `first` to `last` ("2026-12"), both included."""
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while (key := f"{year:04d}-{month:02d}") <= last:
        months.append(key)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _labels(session: Session, by: Group) -> dict[str, str]:
    """Each group's name in the plan's order (regions by position, needs by position)."""
    if by == "region":
        rows = session.exec(select(Region.id, Region.name).order_by(col(Region.position))).all()
    elif by == "need":
        rows = session.exec(select(Need.id, Need.label).order_by(col(Need.position))).all()
    else:
        rows = [("", STATEWIDE)]
    return {key: label for key, label in rows}


def burnup(
    session: Session,
    flt: OutcomeFilter | None = None,
    *,
    today: date,
    by: Group = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """One row per group (`key`, `label`, `order`) and month (first day, a Timestamp):
    `done` (outcomes Done at the month's end; null after this month), `due_current`
    and `due_report` (outcomes not Dropped due by the month's end, on current and on
    the report's dates). Months run from the first event to the last due date (or
    this month, if later); groups with no outcomes are left out, and only the first
    `limit` groups are kept (`attrs["groups"]` counts them all)."""
    flt = flt or OutcomeFilter()
    steps: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])  # done, due × 2
    for key, month, n in _done_net(session, flt, by):
        steps[str(key), month][0] += int(n)
    for key, current, report, n in _due(session, flt, by):
        steps[str(key), current][1] += int(n)
        steps[str(key), report][2] += int(n)
    if not steps:
        return pd.DataFrame(columns=COLUMNS)
    labels = _labels(session, by)
    present = {key for key, _ in steps}
    keys = [k for k in labels if k in present]
    groups, keys = len(keys), keys[:limit]
    now = period_key(today)
    kept = set(keys)
    seen = [month for key, month in steps if key in kept]
    months = _month_range(min([*seen, now]), max([*seen, now]))
    starts = list(pd.to_datetime([f"{m}-01" for m in months]))
    columns: dict[str, list[Any]] = {name: [] for name in COLUMNS}
    for order, key in enumerate(keys):
        done = due_current = due_report = 0
        for month, start in zip(months, starts, strict=True):
            step = steps.get((key, month))
            if step:
                done, due_current, due_report = (
                    done + step[0],
                    due_current + step[1],
                    due_report + step[2],
                )
            for name, value in zip(
                COLUMNS,
                (
                    key,
                    labels[key],
                    order,
                    start,
                    done if month <= now else None,
                    due_current,
                    due_report,
                ),
                strict=True,
            ):
                columns[name].append(value)
    out = pd.DataFrame(columns)
    out["done"] = pd.array(columns["done"], dtype="Int64")
    out.attrs["groups"] = groups
    return out


def standing(frame: pd.DataFrame, today: date) -> pd.DataFrame:
    """Each group's row for this month: the figures "by now"."""
    if frame.empty:
        return frame
    month = pd.Timestamp(today).to_period("M").start_time
    return frame[frame["month"] == month].reset_index(drop=True)
