"""My work: a lead's outcomes (their assigned regions and strategies), grouped by what
needs them now, and the counts line above them.

An outcome goes in the first group it meets, in this order: overdue; due in the next
30 days; Blocked; not updated in 30 days or more (or never); the rest. The schedule and
freshness come from core/progress/schedule.py, never computed again here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from core.models import Assignment, LogicModel, Outcome, Region, Status, Strategy
from core.progress import derived, queries
from core.progress.filters import OutcomeFilter
from core.progress.schedule import Schedule, freshness_days, schedule_of

DUE_DAYS = 30  # "due in the next 30 days"
STALE_DAYS = 30  # "not updated in 30 days or more"


class Group(StrEnum):
    OVERDUE = "Overdue"
    DUE = "Due in the next 30 days"
    BLOCKED = "Blocked"
    STALE = "Not updated in 30 days or more"
    REST = "Everything else"


# How each group is counted in the line at the top ("3 overdue · 2 due …").
COUNT_WORDS = {
    Group.OVERDUE: "overdue",
    Group.DUE: "due in the next 30 days",
    Group.BLOCKED: "blocked",
    Group.STALE: "not updated in 30 days",
}


@dataclass(frozen=True)
class LeadScope:
    """What a person leads: the regions and strategies assigned to them."""

    region_ids: tuple[str, ...] = ()
    strategy_ids: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.region_ids and not self.strategy_ids


def lead_scope(session: Session, user_id: int | None) -> LeadScope:
    """The person's assignments (any role: an admin who was a lead keeps them)."""
    if user_id is None:
        return LeadScope()
    rows = session.exec(
        select(Assignment.region_id, Assignment.strategy_id)
        .where(Assignment.user_id == user_id)
        .order_by(col(Assignment.id))
    ).all()
    return LeadScope(
        region_ids=tuple(r for r, _ in rows if r is not None),
        strategy_ids=tuple(s for _, s in rows if s is not None),
    )


def scope_region_ids(session: Session, scope: LeadScope) -> tuple[str, ...]:
    """The regions of a scope, in the report's order: those assigned and those of the
    assigned strategies (what the sidebar's region filter starts on)."""
    if scope.empty:
        return ()
    stmt = (
        select(Region.id)
        .join(LogicModel, col(LogicModel.region_id) == col(Region.id))
        .join(Strategy, col(Strategy.logic_model_id) == col(LogicModel.id))
        .where(
            or_(
                col(Region.id).in_(scope.region_ids),
                col(Strategy.id).in_(scope.strategy_ids),
            )
        )
        .group_by(col(Region.id), col(Region.position))
        .order_by(col(Region.position))
    )
    return tuple(session.exec(stmt).all())


def scope_outcome_ids(session: Session, scope: LeadScope) -> tuple[str, ...]:
    """The ids of the scope's outcomes still in the plan (none for an empty scope)."""
    if scope.empty:
        return ()
    stmt = (
        select(Outcome.id)
        .join(Strategy, col(Strategy.id) == col(Outcome.strategy_id))
        .join(LogicModel, col(LogicModel.id) == col(Strategy.logic_model_id))
        .where(
            or_(
                col(LogicModel.region_id).in_(scope.region_ids),
                col(Strategy.id).in_(scope.strategy_ids),
            ),
            col(Outcome.retired).is_(False),
            col(Strategy.retired).is_(False),
            col(LogicModel.retired).is_(False),
        )
    )
    return tuple(session.exec(stmt).all())


def scope_rows(
    session: Session, scope: LeadScope, today: date, *, members: bool
) -> list[dict[str, Any]]:
    """The scope's outcomes as `queries.outcome_rows` gives them, annotated
    (`derived.annotate`) and each with its `group`, in the report's order."""
    ids = scope_outcome_ids(session, scope)
    if not ids:  # an empty outcome_ids filter would mean the whole plan
        return []
    rows = queries.outcome_rows(session, OutcomeFilter(outcome_ids=ids), members=members)
    summaries = derived.term_summaries(session, today, {r["strategy_id"] for r in rows})
    derived.annotate(rows, summaries, today)
    for row in rows:
        row["group"] = group_of(row, today).value
    return rows


def group_of(row: dict[str, Any], today: date) -> Group:
    """The first group an outcome meets (a row with status, due_date, last_updated)."""
    schedule = schedule_of(row["status"], row["due_date"], today, DUE_DAYS)
    if schedule is Schedule.OVERDUE:
        return Group.OVERDUE
    if schedule is Schedule.DUE_SOON:
        return Group.DUE
    if row["status"] == Status.BLOCKED.value:
        return Group.BLOCKED
    if schedule is Schedule.CLOSED:
        return Group.REST  # done or dropped: nothing to keep up to date
    age = freshness_days(row.get("last_updated"), today)
    if age is None or age >= STALE_DAYS:
        return Group.STALE
    return Group.REST


def grouped(rows: list[dict[str, Any]], today: date) -> dict[Group, list[dict[str, Any]]]:
    """Every group (empty ones too), in order: overdue and due by due date (most
    overdue, soonest due first), stale by last update (never updated first), Blocked
    and the rest in the order given."""
    out: dict[Group, list[dict[str, Any]]] = {g: [] for g in Group}
    for row in rows:
        out[group_of(row, today)].append(row)
    out[Group.OVERDUE].sort(key=lambda r: r["due_date"])
    out[Group.DUE].sort(key=lambda r: r["due_date"])
    out[Group.STALE].sort(key=lambda r: _updated_key(r.get("last_updated")))
    return out


def _updated_key(value: datetime | None) -> tuple[bool, datetime]:
    # Never updated first, then the oldest update.
    return (value is not None, (value or datetime.min).replace(tzinfo=None))


def counts(groups: dict[Group, list[dict[str, Any]]]) -> dict[Group, int]:
    return {group: len(rows) for group, rows in groups.items()}


def counts_line(group_counts: dict[Group, int]) -> str:
    """ "3 overdue · 2 due in the next 30 days · 5 not updated in 30 days": the groups
    that need something, empty ones left out ("" when nothing needs the lead)."""
    return " · ".join(
        f"{group_counts.get(group, 0):,} {words}"
        for group, words in COUNT_WORDS.items()
        if group_counts.get(group, 0)
    )
