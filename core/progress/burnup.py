"""Progress against plan over time (the burn-up): by month, outcomes Done so far against
outcomes due so far, on current dates and on the report's dates; statewide, per region
or per need. Three SQL group-bys; pandas only sums the few rows they return."""

from __future__ import annotations

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
    month = func.strftime("%Y-%m", expr)
    if period == "month":
        return month
    quarter = (cast(func.strftime("%m", expr), Integer) + 2) // 3
    return func.strftime("%Y", expr).concat("-Q").concat(cast(quarter, String))


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


def _done_net(session: Session, flt: OutcomeFilter, by: Group) -> pd.DataFrame:
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
    return pd.DataFrame(session.exec(stmt).all(), columns=["key", "month", "n"])


def _due(session: Session, flt: OutcomeFilter, by: Group) -> pd.DataFrame:
    """Per group and month: outcomes due (not Dropped), on current dates (`due_current`)
    and on the report's (`due_report`); one scan, grouped by both months at once."""
    key = _group(by).label("key")
    dialect = _dialect(session)
    current = period_sql(col(Outcome.due_date), dialect).label("current")
    report = period_sql(col(Outcome.baseline_due_date), dialect).label("report")
    stmt = (
        _from_outcomes([key, current, report, func.count().label("n")])
        .where(and_(True, *flt.conditions()), col(Outcome.status) != Status.DROPPED.value)
        .group_by(key, current, report)
    )
    pairs = pd.DataFrame(session.exec(stmt).all(), columns=["key", "current", "report", "n"])
    return pd.concat(
        [
            pairs.rename(columns={"current": "month"}).assign(line="due_current"),
            pairs.rename(columns={"report": "month"}).assign(line="due_report"),
        ],
        ignore_index=True,
    )[["key", "month", "n", "line"]]


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
    parts = ["done", "due_current", "due_report"]
    counts = pd.concat(
        [_done_net(session, flt, by).assign(line="done"), _due(session, flt, by)],
        ignore_index=True,
    )
    if counts.empty:
        return pd.DataFrame(columns=COLUMNS)
    labels = _labels(session, by)
    present = set(counts["key"])
    keys = [k for k in labels if k in present]
    groups, keys = len(keys), keys[:limit]
    counts = counts[counts["key"].isin(keys)].copy()
    counts["n"] = pd.to_numeric(counts["n"]).astype(int)
    counts["month"] = pd.PeriodIndex(counts["month"].astype(str), freq="M")
    now = pd.Period(today, freq="M")
    months = pd.period_range(min(counts["month"].min(), now), max(counts["month"].max(), now))
    wide = counts.groupby(["key", "month", "line"])["n"].sum().unstack("line", fill_value=0)
    wide = wide.reindex(columns=parts, fill_value=0)
    index = pd.MultiIndex.from_product([keys, months], names=["key", "month"])
    out = wide.reindex(index, fill_value=0).groupby(level="key").cumsum().reset_index()
    out[parts] = out[parts].astype(int)
    out["done"] = out["done"].astype("Int64").where(out["month"] <= now)
    out.columns.name = None
    out["label"] = out["key"].map(labels)
    out["order"] = out["key"].map({k: i for i, k in enumerate(keys)})
    out["month"] = out["month"].dt.start_time
    out = out[COLUMNS]
    out.attrs["groups"] = groups
    return out


def standing(frame: pd.DataFrame, today: date) -> pd.DataFrame:
    """Each group's row for this month: the figures "by now"."""
    if frame.empty:
        return frame
    month = pd.Timestamp(today).to_period("M").start_time
    return frame[frame["month"] == month].reset_index(drop=True)
