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

from sqlalchemy import and_, func, not_
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
from core.progress.filters import OutcomeFilter


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


def _rows(session: Session, flt: OutcomeFilter) -> list[Any]:
    """(measure, region id, region name, due date, strategy id) per measure."""
    retired = [] if flt.include_retired else [col(Measure.retired).is_(False)]
    # more columns than select()'s typed overloads take
    outcome_columns: list[Any] = [
        Measure,
        LogicModel.region_id,
        Region.name,
        Outcome.due_date,
        Strategy.id,
    ]
    by_outcome = (
        select(*outcome_columns)
        .join(Outcome, col(Outcome.id) == col(Measure.outcome_id))
        .join(Strategy, col(Strategy.id) == col(Outcome.strategy_id))
        .join(LogicModel, col(LogicModel.id) == col(Strategy.logic_model_id))
        .join(Region, col(Region.id) == col(LogicModel.region_id))
        .where(*retired, *flt.conditions())
    )
    rows: list[Any] = list(session.exec(by_outcome).all())
    if _outcome_level(flt):
        return rows
    strategy_cond = [
        col(LogicModel.region_id).in_(flt.regions) if flt.regions else None,
        col(Strategy.logic_model_id).in_(flt.logic_models) if flt.logic_models else None,
        col(Strategy.need_id).in_(flt.needs) if flt.needs else None,
        None if flt.include_retired else not_(col(Strategy.retired)),
    ]
    strategy_columns: list[Any] = [
        Measure,
        LogicModel.region_id,
        Region.name,
        Measure.target_by,
        Strategy.id,
    ]
    by_strategy = (
        select(*strategy_columns)
        .join(Strategy, col(Strategy.id) == col(Measure.strategy_id))
        .join(LogicModel, col(LogicModel.id) == col(Strategy.logic_model_id))
        .join(Region, col(Region.id) == col(LogicModel.region_id))
        .where(*retired, *[c for c in strategy_cond if c is not None])
    )
    rows += session.exec(by_strategy).all()
    if flt.needs or flt.logic_models:
        return rows
    region_cond = [col(Region.id).in_(flt.regions)] if flt.regions else []
    # the last column is None: a region's measure has no strategy
    region_columns: list[Any] = [
        Measure,
        Region.id,
        Region.name,
        Measure.target_by,
        Measure.strategy_id,
    ]
    by_region = (
        select(*region_columns)
        .join(Region, col(Region.id) == col(Measure.region_id))
        .where(and_(*retired, *region_cond))
    )
    return rows + list(session.exec(by_region).all())


def counted_values(session: Session, measure_ids: Iterable[str]) -> dict[str, list[ValuePoint]]:
    """Each measure's values that count — neither an undo nor undone — by as-of
    date (then by when they were recorded)."""
    ids = list(measure_ids)
    if not ids:
        return {}
    undone = select(MeasureValue.reverts_id).where(col(MeasureValue.reverts_id).is_not(None))
    entries = session.exec(
        select(MeasureValue)
        .where(
            col(MeasureValue.measure_id).in_(ids),
            col(MeasureValue.reverts_id).is_(None),
            col(MeasureValue.id).not_in(undone),
        )
        .order_by(col(MeasureValue.measure_id), col(MeasureValue.as_of), col(MeasureValue.id))
    ).all()
    out: dict[str, list[ValuePoint]] = defaultdict(list)
    for e in entries:
        assert e.id is not None
        point = ValuePoint(e.id, e.value, e.as_of, e.recorded_by, e.note, e.evidence_url)
        out[e.measure_id].append(point)
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


def values_stamp(session: Session) -> tuple[Any, ...]:
    """Changes whenever a value is recorded or undone (rows are only ever added)."""
    return tuple(session.exec(select(func.max(MeasureValue.id), func.count())).one())
