"""Read-side queries: the outcome table with its context, filters, and aggregates.

Everything returns plain dicts/lists (or DataFrames built from them by callers),
never live ORM objects, so results can be cached by the views.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, func, or_
from sqlmodel import Session, select

from core.models import (
    AppendixItem,
    Flag,
    LogicModel,
    Need,
    Outcome,
    Plan,
    Region,
    Status,
    Strategy,
)

TERM_ORDER = case({"short": 0, "medium": 1, "long": 2}, value=Outcome.term, else_=3)

EXPORT_COLUMNS = [
    "outcome_id",
    "region",
    "logic_model",
    "need",
    "strategy",
    "term",
    "number",
    "text",
    "date_as_written",
    "due_date",
    "date_basis",
    "date_flag",
    "flags",
    "status",
    "last_updated",
]


@dataclass(frozen=True)
class OutcomeFilter:
    """What a view asks for; empty tuples mean 'all'."""

    regions: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    date_bases: tuple[str, ...] = ()
    flagged_only: bool = False
    search: str = ""
    logic_models: tuple[str, ...] = ()
    include_retired: bool = False

    def conditions(self) -> list[Any]:
        cond: list[Any] = []
        if not self.include_retired:
            cond += [
                Outcome.retired.is_(False),
                Strategy.retired.is_(False),
                LogicModel.retired.is_(False),
            ]
        if self.regions:
            cond.append(LogicModel.region_id.in_(self.regions))
        if self.needs:
            cond.append(Strategy.need_id.in_(self.needs))
        if self.terms:
            cond.append(Outcome.term.in_(self.terms))
        if self.statuses:
            cond.append(Outcome.status.in_(self.statuses))
        if self.date_bases:
            cond.append(Outcome.date_basis.in_(self.date_bases))
        if self.logic_models:
            cond.append(
                Outcome.strategy_id.in_(
                    select(Strategy.id).where(Strategy.logic_model_id.in_(self.logic_models))
                )
            )
        if self.flagged_only:
            cond.append(
                or_(
                    Outcome.date_flag.is_not(None),
                    Outcome.id.in_(select(Flag.subject_id).where(Flag.subject_kind == "outcome")),
                    Outcome.strategy_id.in_(
                        select(Flag.subject_id).where(Flag.subject_kind == "strategy")
                    ),
                )
            )
        if self.search.strip():
            for word in self.search.split():
                like = f"%{word.lower()}%"
                cond.append(
                    or_(
                        func.lower(Outcome.text).like(like),
                        func.lower(Strategy.label).like(like),
                        func.lower(Strategy.ultimate_outcome).like(like),
                    )
                )
        return cond


def _joined(columns):
    return (
        select(*columns)
        .join(Strategy, Strategy.id == Outcome.strategy_id)
        .join(LogicModel, LogicModel.id == Strategy.logic_model_id)
        .join(Region, Region.id == LogicModel.region_id)
        .join(Need, Need.id == Strategy.need_id)
    )


def outcome_rows(session: Session, flt: OutcomeFilter | None = None) -> list[dict[str, Any]]:
    """Every outcome matching the filter with its region, logic model, need and flags,
    in the report's order."""
    flt = flt or OutcomeFilter()
    stmt = (
        _joined(
            [
                Outcome.id.label("outcome_id"),
                Region.id.label("region_id"),
                Region.name.label("region"),
                LogicModel.id.label("logic_model_id"),
                LogicModel.title.label("logic_model"),
                LogicModel.start_date.label("logic_model_start"),
                Need.id.label("need_id"),
                Need.label.label("need"),
                Strategy.id.label("strategy_id"),
                Strategy.title.label("strategy"),
                Outcome.term,
                Outcome.number,
                Outcome.text,
                Outcome.date_as_written,
                Outcome.due_date,
                Outcome.baseline_due_date,
                Outcome.date_basis,
                Outcome.date_flag,
                Outcome.date_note,
                Outcome.status,
                Outcome.version,
                Outcome.last_updated,
                Outcome.last_updated_by,
                Outcome.position,
                Region.position.label("region_position"),
                LogicModel.position.label("logic_model_position"),
                Strategy.position.label("strategy_position"),
            ]
        )
        .where(and_(True, *flt.conditions()))
        .order_by(
            Region.position, LogicModel.position, Strategy.position, TERM_ORDER, Outcome.position
        )
    )
    rows = [dict(r._mapping) for r in session.exec(stmt).all()]
    if not rows:
        return rows
    flags = flags_by_subject(session)
    for row in rows:
        own = flags.get(("outcome", row["outcome_id"]), []) + flags.get(
            ("strategy", row["strategy_id"]), []
        )
        row["flags"] = "; ".join(code for code, _ in own)
        row["flag_reasons"] = [f"{code.replace('_', ' ')}: {reason}" for code, reason in own]
        if row["date_flag"]:
            row["flag_reasons"].insert(0, f"{row['date_flag']}: {row['date_note']}")
    return rows


def flags_by_subject(session: Session) -> dict[tuple[str, str], list[tuple[str, str]]]:
    out: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for f in session.exec(
        select(Flag).order_by(Flag.subject_kind, Flag.subject_id, Flag.code)
    ).all():
        out[(f.subject_kind, f.subject_id)].append((f.code, f.reason))
    return dict(out)


def export_rows(session: Session, flt: OutcomeFilter | None = None) -> list[dict[str, Any]]:
    """The export's shape: one dict per outcome with EXPORT_COLUMNS, values as text."""
    out = []
    for row in outcome_rows(session, flt):
        item = {col: row.get(col) for col in EXPORT_COLUMNS}
        item["due_date"] = _iso(row["due_date"])
        item["last_updated"] = _iso(row["last_updated"])
        out.append(item)
    return out


def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat(sep=" ")
    return value.isoformat()


def plan_info(session: Session) -> Plan | None:
    plan = session.get(Plan, 1)
    return plan.model_copy() if plan else None


def regions(session: Session) -> list[dict[str, Any]]:
    return [r.model_dump() for r in session.exec(select(Region).order_by(Region.position)).all()]


def needs(session: Session) -> list[dict[str, Any]]:
    return [n.model_dump() for n in session.exec(select(Need).order_by(Need.position)).all()]


def logic_models(session: Session) -> list[dict[str, Any]]:
    stmt = select(LogicModel).where(LogicModel.retired.is_(False)).order_by(LogicModel.position)
    return [m.model_dump() for m in session.exec(stmt).all()]


def strategies(session: Session, logic_model_id: str) -> list[dict[str, Any]]:
    stmt = (
        select(Strategy)
        .where(Strategy.logic_model_id == logic_model_id, Strategy.retired.is_(False))
        .order_by(Strategy.position)
    )
    return [s.model_dump() for s in session.exec(stmt).all()]


def appendix(session: Session) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"future_research": [], "provider_suggestions": []}
    for item in session.exec(
        select(AppendixItem).order_by(AppendixItem.section, AppendixItem.position)
    ):
        out.setdefault(item.section, []).append(item.text)
    return out


def status_counts(session: Session, flt: OutcomeFilter | None = None) -> dict[str, int]:
    flt = flt or OutcomeFilter()
    stmt = (
        _joined([Outcome.status, func.count()])
        .where(and_(True, *flt.conditions()))
        .group_by(Outcome.status)
    )
    counts = {s.value: 0 for s in Status}
    counts.update({status: n for status, n in session.exec(stmt).all()})
    return counts
