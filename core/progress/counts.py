"""Every count the pages show, from one scan: outcomes per region, need and logic model,
by status, with open, overdue and due-soon counts (`grouped`). Completion (statewide,
by region, by need, region × need), outcomes per status, the schedule counts and the
report-dates banner's (core/progress/baseline.py) are sums of its rows in Python, so a
page that shows all of them reads the outcomes once (the Overview read them six times:
issue 15).

Completion is done ÷ active, active being all but dropped."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func
from sqlmodel import Session, col, select

from core.models import LogicModel, Need, Outcome, Region, Status, Strategy
from core.progress.filters import OutcomeFilter
from core.progress.schedule import Schedule, open_sql, schedule_sql

Rows = Sequence[dict[str, Any]]
_DIMS = {"region": ("region_id", "region"), "need": ("need_id", "need")}
_ORDER = {"region": "region_position", "need": "need_position"}
_SCHEDULE = ("open", "overdue", "due_soon")


def _sum(test: Any) -> Any:
    return func.sum(case((test, 1), else_=0))


def grouped(
    session: Session,
    flt: OutcomeFilter | None = None,
    *,
    today: date | None = None,
    soon_days: int = 0,
) -> list[dict[str, Any]]:
    """One row per region, need and logic model with outcomes: each status's count
    (keys are the statuses' words), their `total` and, given `today`, `open`,
    `overdue` and `due_soon`."""
    flt = flt or OutcomeFilter()
    # Grouped by the two ids over the tables the filter needs; the names and positions
    # come from the small region and need tables (joining them doubled the scan).
    group: list[Any] = [
        col(LogicModel.region_id).label("region_id"),
        col(Strategy.need_id).label("need_id"),
        # A region's logic models apart: the report-dates banner sums them by whether
        # each still starts on the report's start (core/progress/baseline.py).
        col(LogicModel.id).label("logic_model_id"),
    ]
    sums = [_sum(col(Outcome.status) == s.value).label(s.name) for s in Status]
    if today is not None:
        sums += [
            _sum(open_sql()).label("open"),
            _sum(schedule_sql(Schedule.OVERDUE, today, soon_days)).label("overdue"),
            _sum(schedule_sql(Schedule.DUE_SOON, today, soon_days)).label("due_soon"),
        ]
    stmt = (
        select(*group, *sums)
        .select_from(Outcome)
        .join(Strategy, col(Strategy.id) == col(Outcome.strategy_id))
        .join(LogicModel, col(LogicModel.id) == col(Strategy.logic_model_id))
        .where(and_(True, *flt.conditions()))
        .group_by(*group)
    )
    regions = {r[0]: r for r in session.exec(select(Region.id, Region.name, Region.position))}
    needs = {n[0]: n for n in session.exec(select(Need.id, Need.label, Need.position))}
    out = []
    for r in session.exec(stmt).all():
        row = dict(r._mapping)
        _, row["region"], row["region_position"] = regions[row["region_id"]]
        _, row["need"], row["need_position"] = needs[row["need_id"]]
        for s in Status:
            row[s.value] = int(row.pop(s.name) or 0)
        row["total"] = sum(row[s.value] for s in Status)
        for key in _SCHEDULE:
            if key in row:
                row[key] = int(row[key] or 0)
        out.append(row)
    return out


def completion_of(rows: Rows, by: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Completion per group of `by` ("region", "need", both, or none: one statewide
    row, zeros when nothing matches), groups in the plan's order: each with its names,
    `done`, `dropped`, `total`, `active` and `rate` (None with no active outcome)."""
    groups: dict[tuple, dict[str, Any]] = {}
    names = [k for d in by for k in _DIMS[d]]
    positions = [_ORDER[d] for d in by]
    done, dropped = Status.DONE.value, Status.DROPPED.value
    for r in sorted(rows, key=lambda r: [r[p] for p in positions]):
        key = tuple(r[k] for k in names)
        if (row := groups.get(key)) is None:
            row = groups[key] = {k: r[k] for k in names} | {"done": 0, "dropped": 0, "total": 0}
        row["done"] += r[done]
        row["dropped"] += r[dropped]
        row["total"] += r["total"]
    if not by and not groups:
        groups[()] = {"done": 0, "dropped": 0, "total": 0}
    for row in groups.values():
        row["active"] = row["total"] - row["dropped"]
        row["rate"] = row["done"] / row["active"] if row["active"] else None
    return list(groups.values())


def status_counts_of(rows: Rows) -> dict[str, int]:
    """Outcomes per status, every status present, in the statuses' order."""
    return {s.value: sum(r[s.value] for r in rows) for s in Status}


def schedule_counts_of(rows: Rows) -> dict[str, int]:
    """Open, overdue, due-soon and blocked outcomes (rows of `grouped` given `today`)."""
    out = {key: sum(r[key] for r in rows) for key in _SCHEDULE}
    return out | {"blocked": sum(r[Status.BLOCKED.value] for r in rows)}


def completion(
    session: Session, flt: OutcomeFilter | None = None, by: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    return completion_of(grouped(session, flt), by)


def status_counts(session: Session, flt: OutcomeFilter | None = None) -> dict[str, int]:
    return status_counts_of(grouped(session, flt))


def schedule_counts(
    session: Session, today: date, soon_days: int, flt: OutcomeFilter | None = None
) -> dict[str, int]:
    """Open, overdue and due-soon counts."""
    return schedule_counts_of(grouped(session, flt, today=today, soon_days=soon_days))
