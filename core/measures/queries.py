"""Read side: measures with their latest value and computed state, for the shared
filters (core.progress.filters.OutcomeFilter).

An outcome's measures follow every filter of their outcome. A strategy's measures
follow the region, logic model and need filters; a region's follow the region
filter. Both are left out when the filter asks about outcomes themselves (terms,
statuses, schedules, date bases, flags, text or chosen outcomes).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, not_, or_
from sqlmodel import Session, col, select

from core.measures.state import MeasureState, measure_state
from core.measures.targets import Target
from core.models import (
    LogicModel,
    Measure,
    MeasureDirection,
    MeasureValue,
    Outcome,
    Region,
    Strategy,
    TargetKind,
)
from core.progress.filters import OutcomeFilter, organisation_strategy_ids


@dataclass(frozen=True)
class ValuePoint:
    id: int
    value: float
    as_of: date
    recorded_by: str
    note: str
    evidence_url: str | None


@dataclass(frozen=True)
class MeasureRow:
    measure: Measure
    region_id: str
    region_name: str
    strategy_id: str  # the outcome's or the measure's strategy; "" for a region's
    subject: str  # "outcome" | "strategy" | "region"
    target: Target
    by: date | None  # the target's date, else its outcome's due date
    values: tuple[ValuePoint, ...]  # values that count (undone ones left out), by date
    state: MeasureState

    @property
    def latest(self) -> ValuePoint | None:
        return self.values[-1] if self.values else None


def target_of(measure: Measure) -> Target:
    return Target(TargetKind(measure.target_kind), measure.target_min, measure.target_max)


def _outcome_level(flt: OutcomeFilter) -> bool:
    return bool(
        flt.terms
        or flt.statuses
        or flt.schedules
        or flt.date_bases
        or flt.flagged_only
        or flt.search.strip()
        or flt.outcome_ids
    )


def region_of_measure() -> Any:
    """A measure's region: its outcome's or strategy's logic model's, or its own."""
    return func.coalesce(col(LogicModel.region_id), col(Measure.region_id))


def measure_joins(stmt: Any) -> Any:
    """A select over Measure joined to its outcome, strategy, logic model and region
    (outer joins, so a measure of any subject keeps its row) — what `in_scope` reads."""
    return (
        stmt.outerjoin(Outcome, col(Outcome.id) == col(Measure.outcome_id))
        .outerjoin(
            Strategy,
            col(Strategy.id) == func.coalesce(col(Outcome.strategy_id), col(Measure.strategy_id)),
        )
        .outerjoin(LogicModel, col(LogicModel.id) == col(Strategy.logic_model_id))
        .join(Region, col(Region.id) == region_of_measure())
    )


def in_scope(flt: OutcomeFilter) -> Any:
    """The one rule of which measures a filter selects (the module's docstring), as a
    clause over `measure_joins`."""
    of_outcome = and_(col(Measure.outcome_id).is_not(None), *flt.conditions())
    if _outcome_level(flt):
        return of_outcome
    strategy_cond = [
        col(LogicModel.region_id).in_(flt.regions) if flt.regions else None,
        col(Strategy.logic_model_id).in_(flt.logic_models) if flt.logic_models else None,
        col(Strategy.need_id).in_(flt.needs) if flt.needs else None,
        None if flt.include_retired else not_(col(Strategy.retired)),
        (
            col(Strategy.id).in_(organisation_strategy_ids(flt.organisations))
            if flt.organisations
            else None
        ),
    ]
    of_strategy = and_(
        col(Measure.strategy_id).is_not(None), *[c for c in strategy_cond if c is not None]
    )
    if flt.needs or flt.logic_models or flt.organisations:  # a region's measure names none
        return or_(of_outcome, of_strategy)
    of_region = and_(
        col(Measure.region_id).is_not(None),
        *([col(Measure.region_id).in_(flt.regions)] if flt.regions else []),
    )
    return or_(of_outcome, of_strategy, of_region)


def _rows(session: Session, flt: OutcomeFilter) -> list[Any]:
    """(measure, region id, region name, due date, strategy id) per measure."""
    retired = [] if flt.include_retired else [col(Measure.retired).is_(False)]
    # an outcome's measure is due with its outcome; the others by their target date
    due = case(
        (col(Measure.outcome_id).is_not(None), col(Outcome.due_date)), else_=Measure.target_by
    )
    # more columns than select()'s typed overloads take
    columns: list[Any] = [Measure, region_of_measure(), Region.name, due, Strategy.id]
    stmt = measure_joins(select(*columns).select_from(Measure)).where(*retired, in_scope(flt))
    return list(session.exec(stmt).all())


def counted_values(session: Session, measure_ids: Iterable[str]) -> dict[str, list[ValuePoint]]:
    """Each measure's values that count — neither an undo nor undone — by as-of
    date (then by when they were recorded)."""
    ids = list(measure_ids)
    if not ids:
        return {}
    undone = select(MeasureValue.reverts_id).where(col(MeasureValue.reverts_id).is_not(None))
    # columns, not entities: thousands of values load ~3× faster without the ORM
    columns: list[Any] = [
        MeasureValue.measure_id,
        MeasureValue.id,
        MeasureValue.value,
        MeasureValue.as_of,
        MeasureValue.recorded_by,
        MeasureValue.note,
        MeasureValue.evidence_url,
    ]
    entries = session.exec(
        select(*columns)
        .where(
            col(MeasureValue.measure_id).in_(ids),
            col(MeasureValue.reverts_id).is_(None),
            col(MeasureValue.id).not_in(undone),
        )
        .order_by(col(MeasureValue.measure_id), col(MeasureValue.as_of), col(MeasureValue.id))
    ).all()
    out: dict[str, list[ValuePoint]] = defaultdict(list)
    for measure_id, *point in entries:
        out[measure_id].append(ValuePoint(*point))
    return out


def measures(session: Session, flt: OutcomeFilter, *, today: date) -> list[MeasureRow]:
    """The measures the filter selects, in the plan's order, each with its values
    and state."""
    rows = _rows(session, flt)
    values = counted_values(session, (m.id for m, *_ in rows))
    out = []
    for measure, region_id, region_name, by, strategy_id in rows:
        target = target_of(measure)
        points = tuple(values.get(measure.id, ()))
        by = measure.target_by or by
        subject = (
            "outcome" if measure.outcome_id else "strategy" if measure.strategy_id else "region"
        )
        state = measure_state(
            target=target,
            direction=MeasureDirection(measure.direction),
            latest=points[-1].value if points else None,
            by=by,
            today=today,
        )
        scope = (region_id, region_name, strategy_id or "")
        out.append(MeasureRow(measure, *scope, subject, target, by, points, state))
    out.sort(key=lambda r: r.measure.position)
    return out
