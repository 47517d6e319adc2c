"""Derived progress facts: schedule, freshness, Gantt start and the logic-model chain.

Status is what people record; these are computed from it, the due date and today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from core.models import LogicModel, Outcome, Strategy, Term
from core.progress.schedule import (
    DEFAULT_SOON_DAYS,
    Schedule,
    freshness_days,
    is_closed,
    late_sql,
    schedule_of,
)


@dataclass(frozen=True)
class TermSummary:
    latest_due: date
    late_count: int


def term_summaries(
    session: Session, today: date, strategy_ids: set[str] | None = None
) -> dict[tuple[str, str], TermSummary]:
    """Per (strategy, term): the latest due date and how many outcomes are late.
    One aggregate query; the views use it for Gantt starts and 'upstream late'."""
    stmt = _summary_statement(today, None if strategy_ids is None else frozenset(strategy_ids))
    out = {}
    for strategy_id, term, latest_due, late_count in session.exec(stmt).all():
        if isinstance(latest_due, str):  # SQLite returns aggregates of dates as text
            latest_due = date.fromisoformat(latest_due)
        out[(strategy_id, term)] = TermSummary(latest_due, int(late_count or 0))
    return out


# Built once per day and set of strategies (a page's filter asks for the same ones on
# every run): building the statement cost more than running it. Immutable, so shared.
@lru_cache(maxsize=256)
def _summary_statement(today: date, strategy_ids: frozenset[str] | None) -> Any:
    late = late_sql(today)
    stmt = (
        select(
            Outcome.strategy_id,
            Outcome.term,
            func.max(Outcome.due_date),
            func.sum(case((late, 1), else_=0)),
        )
        .join(Strategy, col(Strategy.id) == col(Outcome.strategy_id))
        .join(LogicModel, col(LogicModel.id) == col(Strategy.logic_model_id))
        .where(
            col(Outcome.retired).is_(False),
            col(Strategy.retired).is_(False),
            col(LogicModel.retired).is_(False),
        )
        .group_by(col(Outcome.strategy_id), col(Outcome.term))
    )
    if strategy_ids is not None:
        stmt = stmt.where(col(Outcome.strategy_id).in_(sorted(strategy_ids)))
    return stmt


# Per term: the terms before it, and the one just before it (None for short).
_EARLIER = {t.value: tuple(u.value for u in Term if u.rank < t.rank) for t in Term}
_PREVIOUS = {t.value: (list(Term)[t.rank - 1].value if t.rank else None) for t in Term}


def annotate(
    rows: list[dict[str, Any]],
    summaries: dict[tuple[str, str], TermSummary],
    today: date,
    soon_days: int = DEFAULT_SOON_DAYS,
) -> list[dict[str, Any]]:
    """Add schedule, days_overdue, freshness, start_date and upstream_late to rows
    from `queries.outcome_rows` (in place; also returned)."""
    for row in rows:
        due: date = row["due_date"]
        status = row["status"]
        row["schedule"] = schedule_of(status, due, today, soon_days).value
        row["days_overdue"] = (today - due).days if row["schedule"] == Schedule.OVERDUE else 0
        row["days_to_due"] = (due - today).days
        row["freshness_days"] = freshness_days(row.get("last_updated"), today)
        term, strategy_id = Term(row["term"]).value, row["strategy_id"]
        earlier = [s for t in _EARLIER[term] if (s := summaries.get((strategy_id, t))) is not None]
        previous_term = _PREVIOUS[term]
        previous = summaries.get((strategy_id, previous_term)) if previous_term else None
        start = row["logic_model_start"]
        if previous is not None and start <= previous.latest_due <= due:
            start = previous.latest_due
        row["start_date"] = min(start, due)
        late_upstream = sum(s.late_count for s in earlier)
        row["upstream_late"] = bool(late_upstream) and not is_closed(status)
        row["upstream_note"] = (
            f"{late_upstream} earlier-term outcome{'s' if late_upstream != 1 else ''} "
            "in this strategy overdue or blocked"
            if row["upstream_late"]
            else ""
        )
    return rows
