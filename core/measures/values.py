"""Write-side services for measure values: record one, undo one (a compensating
entry; values are never edited or deleted).

Keyword-only arguments and an open session (`core.store.db.write_session`); nothing
here commits. Permissions are a status update's: a lead records values of the
measures in their scope (an outcome's or strategy's region or strategy; a region's
region), admins of every measure.
"""

from __future__ import annotations

import math
from datetime import date, datetime

from sqlmodel import Session, col, select

from core.clock import as_utc
from core.errors import UpdateRejected
from core.models import LogicModel, Measure, MeasureKind, MeasureValue, Outcome, Strategy
from core.people.permissions import Actor, organisation_of, outcome_scope, require_update_outcome
from core.progress.updates import NOTE_MAX, validate_evidence_url

EARLIEST = date(1990, 1, 1)
# What each kind of measure accepts: (lowest, highest, whole numbers only).
_BOUNDS: dict[MeasureKind, tuple[float, float | None, bool]] = {
    MeasureKind.COUNT: (0, None, True),
    MeasureKind.PERCENTAGE: (0, 100, False),
    MeasureKind.YES_NO: (0, 1, True),
    MeasureKind.MONEY: (0, None, False),
}


def validate_value(kind: MeasureKind, value: object, unit: str = "") -> float:
    """`value` as the number stored, or UpdateRejected naming the field."""
    if isinstance(value, int | float):  # bool too: True is 1
        number = float(value)
    elif isinstance(value, str) and value.strip():
        try:
            number = float(value.strip().replace(",", ""))
        except ValueError:
            raise UpdateRejected(f"value: “{value.strip()[:40]}” is not a number.") from None
    else:
        raise UpdateRejected("value: enter a number.")
    if not math.isfinite(number):
        raise UpdateRejected("value: enter a finite number.")
    low, high, whole = _BOUNDS[kind]
    what = f" ({unit})" if unit else ""
    if whole and number != int(number):
        raise UpdateRejected(f"value: a {kind} measure takes whole numbers{what}, not {number:g}.")
    if kind == MeasureKind.YES_NO and number not in (0, 1):
        raise UpdateRejected("value: a yes/no measure takes 1 (yes) or 0 (no).")
    if number < low or (high is not None and number > high):
        span = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        raise UpdateRejected(f"value: a {kind} measure takes values {span}, not {number:g}.")
    return number


def validate_as_of(as_of: object, today: date) -> date:
    if not isinstance(as_of, date) or isinstance(as_of, datetime):
        raise UpdateRejected("as-of date: choose the date the value was true on.")
    if as_of > today:
        raise UpdateRejected(f"as-of date: {as_of:%Y-%m-%d} is in the future.")
    if as_of < EARLIEST:
        raise UpdateRejected(f"as-of date: {as_of:%Y-%m-%d} is before {EARLIEST.year}.")
    return as_of


def validate_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise UpdateRejected(f"note: {len(note):,} characters; keep it under {NOTE_MAX:,}.")
    if "\x00" in note:
        raise UpdateRejected("note: it contains a NUL character; please remove it.")
    return note


def require_record(session: Session, actor: Actor, measure: Measure) -> None:
    """PermissionDenied unless `actor` may record values of `measure`; UpdateRejected
    when the measure or its outcome is retired."""
    if measure.retired:
        raise UpdateRejected("This measure has been retired from the plan.")
    if measure.outcome_id is not None:
        outcome = session.get(Outcome, measure.outcome_id)
        scope = outcome_scope(session, outcome_id=measure.outcome_id)
        if outcome is None or scope is None or outcome.retired:
            raise UpdateRejected("This measure's outcome has been retired from the plan.")
        region_id, strategy_id = scope
    elif measure.strategy_id is not None:
        region_id = session.exec(
            select(LogicModel.region_id)
            .join(Strategy, col(Strategy.logic_model_id) == LogicModel.id)
            .where(Strategy.id == measure.strategy_id)
        ).one()
        strategy_id = measure.strategy_id
    else:
        region_id, strategy_id = measure.region_id or "", ""
    require_update_outcome(actor, region_id=region_id, strategy_id=strategy_id)


def _measure(session: Session, measure_id: str) -> Measure:
    measure = session.get(Measure, measure_id)
    if measure is None:
        raise UpdateRejected(f"There is no measure {measure_id!r}.")
    return measure


def record_value(
    *,
    session: Session,
    actor: Actor,
    measure_id: str,
    value: object,
    as_of: date,
    today: date,
    note: str = "",
    evidence_url: str | None = None,
    now: datetime | None = None,
) -> MeasureValue:
    """Append one actual value of a measure (checked for its kind, its date, the
    actor's scope), flushed, not committed."""
    measure = _measure(session, measure_id)
    number = validate_value(MeasureKind(measure.kind), value, measure.unit)
    as_of = validate_as_of(as_of, today)
    note = validate_note(note)
    evidence_url = validate_evidence_url(evidence_url)
    require_record(session, actor, measure)
    entry = MeasureValue(
        measure_id=measure.id,
        value=number,
        as_of=as_of,
        recorded_by=actor.username,
        organisation_id=organisation_of(session, actor),
        recorded_at=as_utc(now),
        note=note,
        evidence_url=evidence_url,
    )
    session.add(entry)
    session.flush()
    return entry


def undo_value(
    *, session: Session, actor: Actor, value_id: int, now: datetime | None = None
) -> MeasureValue:
    """Undo a recorded value with a compensating entry (same value and date,
    `reverts_id` set): the value no longer counts. An undo cannot itself be undone;
    record the value again instead."""
    target = session.get(MeasureValue, value_id)
    if target is None:
        raise UpdateRejected(f"There is no recorded value #{value_id}.")
    if target.reverts_id is not None:
        raise UpdateRejected("This entry is an undo; record the value again instead.")
    undone = session.exec(
        select(MeasureValue.id).where(MeasureValue.reverts_id == value_id)
    ).first()
    if undone is not None:
        raise UpdateRejected(f"Value #{value_id} has already been undone (entry #{undone}).")
    require_record(session, actor, _measure(session, target.measure_id))
    entry = MeasureValue(
        measure_id=target.measure_id,
        value=target.value,
        as_of=target.as_of,
        recorded_by=actor.username,
        organisation_id=organisation_of(session, actor),
        recorded_at=as_utc(now),
        note=f"Undo of value #{target.id} ({target.value:g} as of {target.as_of:%Y-%m-%d}).",
        reverts_id=target.id,
    )
    session.add(entry)
    session.flush()
    return entry
