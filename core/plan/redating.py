"""Moving dates: re-baselining a logic model (or a region's) to its real start date, and
re-dating one outcome; each with a reason, in the change log."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from core.errors import UpdateRejected
from core.models import (
    ChangeAction,
    LogicModel,
    Outcome,
    PlanChange,
    Region,
    Strategy,
)
from core.people.permissions import Actor, require_admin
from core.plan.changelog import StalePlanEdit, get_item, record
from core.plan.dates import describe_offset, shift_date, start_offset
from core.plan.fields import clean_date, clean_reason


def outcomes_of(session: Session, logic_model_id: str) -> list[Outcome]:
    return list(
        session.exec(
            select(Outcome)
            .join(Strategy, col(Strategy.id) == Outcome.strategy_id)
            .where(Strategy.logic_model_id == logic_model_id, col(Outcome.retired).is_(False))
            .order_by(col(Strategy.position), col(Outcome.term), col(Outcome.position))
            .with_for_update(of=Outcome)
            .execution_options(populate_existing=True)
        ).all()
    )


@dataclass(frozen=True)
class DateMove:
    """One outcome's due date before and after a re-baseline (also its preview)."""

    outcome_id: str
    logic_model_id: str
    text: str
    before: date
    after: date


def preview_rebaseline(
    *,
    session: Session,
    start_date: date,
    logic_model_id: str | None = None,
    region_id: str | None = None,
) -> list[DateMove]:
    """What `rebaseline` would do, without doing it."""
    start_date = clean_date(start_date, "The start date")
    moves: list[DateMove] = []
    for lm in _logic_models(session, logic_model_id, region_id):
        offset = start_offset(lm.start_date, start_date)
        for oc in outcomes_of(session, lm.id):
            moves.append(
                DateMove(oc.id, lm.id, oc.text, oc.due_date, shift_date(oc.due_date, offset))
            )
    return moves


def _logic_models(
    session: Session, logic_model_id: str | None, region_id: str | None
) -> list[LogicModel]:
    if (logic_model_id is None) == (region_id is None):
        raise UpdateRejected("Choose either one logic model or one region to re-baseline.")
    if logic_model_id is not None:
        lm = get_item(session, "logic_model", logic_model_id)
        if lm.retired:
            raise UpdateRejected("This logic model is retired; restore it first.")
        return [lm]
    if session.get(Region, region_id) is None:
        raise UpdateRejected(f"There is no region {region_id!r}.")
    found = list(
        session.exec(
            select(LogicModel)
            .where(LogicModel.region_id == region_id, col(LogicModel.retired).is_(False))
            .order_by(col(LogicModel.position))
        ).all()
    )
    if not found:
        raise UpdateRejected("This region has no logic model to re-baseline.")
    return found


def rebaseline(
    *,
    session: Session,
    actor: Actor,
    start_date: date,
    reason: str,
    logic_model_id: str | None = None,
    region_id: str | None = None,
    now: datetime | None = None,
) -> list[DateMove]:
    """Move a logic model's (or every logic model of a region's) start to the
    community's real start date: each due date shifts by the same calendar offset,
    keeping the report's gaps. Returns the moves made."""
    require_admin(actor, "re-baseline the plan")
    reason = clean_reason(reason)
    start_date = clean_date(start_date, "The start date")
    models = _logic_models(session, logic_model_id, region_id)
    if all(lm.start_date == start_date for lm in models):
        raise UpdateRejected(f"It already starts on {start_date:%m/%d/%Y}; nothing to move.")
    batch = uuid.uuid4().hex
    moves: list[DateMove] = []
    for lm in models:
        if lm.start_date == start_date:
            continue
        offset = start_offset(lm.start_date, start_date)
        record(
            session=session,
            actor=actor,
            kind="logic_model",
            subject_id=lm.id,
            action=ChangeAction.REBASELINED,
            reason=reason,
            before={"start_date": lm.start_date},
            after={"start_date": start_date, "offset": describe_offset(offset)},
            batch=batch,
            now=now,
        )
        lm.start_date = start_date
        session.add(lm)
        for oc in outcomes_of(session, lm.id):
            new_due = shift_date(oc.due_date, offset)
            moves.append(DateMove(oc.id, lm.id, oc.text, oc.due_date, new_due))
            record(
                session=session,
                actor=actor,
                kind="outcome",
                subject_id=oc.id,
                action=ChangeAction.REBASELINED,
                reason=reason,
                before={"due_date": oc.due_date},
                after={"due_date": new_due},
                batch=batch,
                now=now,
            )
            oc.due_date = new_due
            oc.redate_count += 1
            session.add(oc)
    session.flush()
    return moves


def redate_outcome(
    *,
    session: Session,
    actor: Actor,
    outcome_id: str,
    due_date: date,
    reason: str,
    expected_due_date: date | None = None,
    now: datetime | None = None,
) -> PlanChange:
    """Move one outcome's due date. `expected_due_date` is the date the admin saw;
    if someone moved it meanwhile, nothing is written."""
    require_admin(actor, "re-date outcomes")
    reason = clean_reason(reason)
    due_date = clean_date(due_date, "The new due date")
    oc = get_item(session, "outcome", outcome_id)
    if oc.retired:
        raise UpdateRejected("This outcome is retired; restore it first.")
    if expected_due_date is not None and oc.due_date != expected_due_date:
        raise StalePlanEdit(
            f"Someone moved this outcome's due date to {oc.due_date:%m/%d/%Y} after you "
            "opened the form. Nothing was saved; review and try again."
        )
    if oc.due_date == due_date:
        raise UpdateRejected(f"The outcome is already due on {due_date:%m/%d/%Y}.")
    entry = record(
        session=session,
        actor=actor,
        kind="outcome",
        subject_id=oc.id,
        action=ChangeAction.REDATED,
        reason=reason,
        before={"due_date": oc.due_date},
        after={"due_date": due_date},
        now=now,
    )
    oc.due_date = due_date
    oc.redate_count += 1
    session.add(oc)
    session.flush()
    return entry
