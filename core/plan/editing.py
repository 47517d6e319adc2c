"""Changing the plan itself: re-baselining timelines, re-dating outcomes, and adding,
editing, retiring and restoring logic models, strategies and outcomes.

The report calls its timelines guidance, to be moved to each community's real start
date, and its logic models living documents. Only admins change the plan; every
change is written to the append-only `plan_change` log (who, when, before, after,
why) in the same transaction. The report's own dates stay as each outcome's
`baseline_due_date`; `due_date` is the current plan.

Functions take keyword-only arguments and a session from `core.store.db.write_session`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from core.errors import UpdateRejected
from core.models import (
    ChangeAction,
    DateBasis,
    LogicModel,
    Need,
    Outcome,
    PlanChange,
    Region,
    Strategy,
)
from core.partners import linking
from core.people.permissions import Actor, require_admin
from core.plan import ids
from core.plan.changelog import EDITABLE, KIND_LABEL, StalePlanEdit, get_item, record, snapshot
from core.plan.fields import (
    DATE_AS_WRITTEN_MAX,
    LABEL_MAX,
    NUMBER_MAX,
    TEXT_MAX,
    TITLE_MAX,
    clean_date,
    clean_items,
    clean_reason,
    clean_term,
    clean_text,
)
from core.plan.ids import checked_id


def _exists(session: Session, model: ids.PlanModel) -> ids.Taken:
    return lambda item_id: session.get(model, item_id) is not None


def create_logic_model(
    *,
    session: Session,
    actor: Actor,
    region_id: str,
    title: str,
    start_date: date,
    reason: str,
    logic_model_id: str | None = None,
) -> LogicModel:
    """A new workgroup's logic model (its strategies and outcomes are added next)."""
    require_admin(actor, "add to the plan")
    reason = clean_reason(reason)
    title = clean_text(title, "The title", TITLE_MAX)
    start_date = clean_date(start_date, "The start date")
    if session.get(Region, region_id) is None:
        raise UpdateRejected(f"There is no region {region_id!r}.")
    lm_id = checked_id(LogicModel, logic_model_id, "logic_model") if logic_model_id else None
    lm_id = lm_id or ids.new_logic_model_id(region_id, title, _exists(session, LogicModel))
    if session.get(LogicModel, lm_id) is not None:
        raise UpdateRejected(f"A logic model {lm_id!r} exists already.")
    last = session.exec(
        select(LogicModel.position).order_by(col(LogicModel.position).desc())
    ).first()
    lm = LogicModel(
        id=lm_id,
        region_id=region_id,
        title=title,
        position=(last or 0) + 1,
        start_date=start_date,
    )
    session.add(lm)
    record(
        session=session,
        actor=actor,
        kind="logic_model",
        subject_id=lm_id,
        action=ChangeAction.CREATED,
        reason=reason,
        after=snapshot(lm),
    )
    session.flush()
    return lm


def create_strategy(
    *,
    session: Session,
    actor: Actor,
    logic_model_id: str,
    need_id: str,
    title: str,
    reason: str,
    label: str | None = None,
    resources: Sequence[str] | str = (),  # a str: one item a line
    tasks: Sequence[str] | str = (),
    ultimate_outcome: str = "",
    strategy_id: str | None = None,
) -> Strategy:
    require_admin(actor, "add to the plan")
    reason = clean_reason(reason)
    lm = get_item(session, "logic_model", logic_model_id)
    if session.get(Need, need_id) is None:
        raise UpdateRejected(f"There is no need {need_id!r}.")
    title = clean_text(title, "The strategy's title", TITLE_MAX)
    st_id = checked_id(Strategy, strategy_id, "strategy") if strategy_id else None
    st_id = st_id or ids.new_strategy_id(lm.id, title, _exists(session, Strategy))
    if session.get(Strategy, st_id) is not None:
        raise UpdateRejected(f"A strategy {st_id!r} exists already.")
    last = session.exec(
        select(Strategy.position)
        .where(Strategy.logic_model_id == lm.id)
        .order_by(col(Strategy.position).desc())
    ).first()
    st = Strategy(
        id=st_id,
        logic_model_id=lm.id,
        need_id=need_id,
        label=clean_text(label, "The label", LABEL_MAX, required=False) or None,
        title=title,
        resources=clean_items(resources, "resource"),
        tasks=clean_items(tasks, "task"),
        ultimate_outcome=clean_text(
            ultimate_outcome, "The ultimate outcome", TEXT_MAX, required=False
        ),
        position=(last or 0) + 1,
    )
    session.add(st)
    record(
        session=session,
        actor=actor,
        kind="strategy",
        subject_id=st_id,
        action=ChangeAction.CREATED,
        reason=reason,
        after=snapshot(st),
    )
    session.flush()
    return st


def create_outcome(
    *,
    session: Session,
    actor: Actor,
    strategy_id: str,
    term: str,
    text: str,
    due_date: date,
    reason: str,
    number: str | None = None,
    date_as_written: str | None = None,
    outcome_id: str | None = None,
) -> Outcome:
    require_admin(actor, "add to the plan")
    reason = clean_reason(reason)
    st = get_item(session, "strategy", strategy_id)
    term = clean_term(term)
    text = clean_text(text, "The outcome's text", TEXT_MAX)
    due_date = clean_date(due_date, "The due date")
    number = clean_text(number, "The number", NUMBER_MAX, required=False) or None
    siblings = session.exec(
        select(Outcome).where(Outcome.strategy_id == st.id, Outcome.term == term)
    ).all()
    oc_id = checked_id(Outcome, outcome_id, "outcome") if outcome_id else None
    oc_id = oc_id or ids.new_outcome_id(st.id, term, number, _exists(session, Outcome))
    if session.get(Outcome, oc_id) is not None:
        raise UpdateRejected(f"An outcome {oc_id!r} exists already.")
    oc = Outcome(
        id=oc_id,
        strategy_id=st.id,
        term=term,
        position=max((o.position for o in siblings), default=0) + 1,
        number=number,
        text=text,
        date_as_written=clean_text(
            date_as_written, "The date as written", DATE_AS_WRITTEN_MAX, required=False
        )
        or f"{due_date.month}/{due_date.day}/{due_date.year}",
        due_date=due_date,
        baseline_due_date=due_date,
        date_basis=DateBasis.AS_WRITTEN.value,
    )
    session.add(oc)
    record(
        session=session,
        actor=actor,
        kind="outcome",
        subject_id=oc_id,
        action=ChangeAction.CREATED,
        reason=reason,
        after=snapshot(oc),
    )
    session.flush()
    return oc


def _clean(session: Session, kind: str, name: str, value: Any) -> Any:
    if name in ("title",):
        return clean_text(value, "The title", TITLE_MAX)
    if name == "label":
        return clean_text(value, "The label", LABEL_MAX, required=False) or None
    if name in ("text",):
        return clean_text(value, "The outcome's text", TEXT_MAX)
    if name == "ultimate_outcome":
        return clean_text(value, "The ultimate outcome", TEXT_MAX, required=False)
    if name in ("resources", "tasks"):
        return clean_items(value, name.rstrip("s"))
    if name == "term":
        return clean_term(value)
    if name == "number":
        return clean_text(value, "The number", NUMBER_MAX, required=False) or None
    if name == "date_as_written":
        return clean_text(value, "The date as written", DATE_AS_WRITTEN_MAX, required=False) or None
    if name == "region_id":
        if session.get(Region, value) is None:
            raise UpdateRejected(f"There is no region {value!r}.")
        return value
    if name == "need_id":
        if session.get(Need, value) is None:
            raise UpdateRejected(f"There is no need {value!r}.")
        return value
    raise UpdateRejected(f"A {KIND_LABEL[kind]}'s {name.replace('_', ' ')} cannot be edited.")


def edit_item(
    *,
    session: Session,
    actor: Actor,
    kind: str,
    item_id: str,
    changes: dict[str, Any],
    reason: str,
    expected: dict[str, Any] | None = None,
) -> PlanChange | None:
    """Edit fields of a logic model, strategy or outcome (see EDITABLE). `expected`
    holds the values the admin saw; if any changed meanwhile nothing is written.
    Returns the log entry, or None when nothing differs."""
    require_admin(actor, "edit the plan")
    reason = clean_reason(reason)
    obj = get_item(session, kind, item_id)
    for name, seen in (expected or {}).items():
        if getattr(obj, name) != seen:
            raise StalePlanEdit(
                f"Someone changed this {KIND_LABEL[kind]}'s {name.replace('_', ' ')} after "
                "you opened the form. Nothing was saved; review and try again."
            )
    allowed = EDITABLE[kind]
    cleaned: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in allowed:
            raise UpdateRejected(
                f"A {KIND_LABEL[kind]}'s {name.replace('_', ' ')} cannot be edited here."
            )
        cleaned[name] = _clean(session, kind, name, value)
    changed = {n: v for n, v in cleaned.items() if getattr(obj, n) != v}
    if not changed:
        return None
    before = {n: getattr(obj, n) for n in changed}
    for name, value in changed.items():
        setattr(obj, name, value)
    if isinstance(obj, Outcome):
        obj.version += 1  # a status form opened on the old wording is refused
    session.add(obj)
    if isinstance(obj, Strategy) and "resources" in changed:
        # organisations stay linked to their items (links point at them by position)
        linking.follow_resources(session, item_id, before["resources"], changed["resources"])
    entry = record(
        session=session,
        actor=actor,
        kind=kind,
        subject_id=item_id,
        action=ChangeAction.EDITED,
        reason=reason,
        before=before,
        after=changed,
    )
    session.flush()
    return entry


def set_retired(
    *,
    session: Session,
    actor: Actor,
    kind: str,
    item_id: str,
    retired: bool,
    reason: str,
) -> PlanChange:
    """Retire (hide from views and rates, keep with its history) or restore an item."""
    require_admin(actor, "retire or restore parts of the plan")
    reason = clean_reason(reason)
    obj = get_item(session, kind, item_id)
    if obj.retired == retired:
        state = "retired" if retired else "in the plan"
        raise UpdateRejected(f"This {KIND_LABEL[kind]} is already {state}.")
    obj.retired = retired
    if isinstance(obj, Outcome):
        obj.version += 1
    session.add(obj)
    entry = record(
        session=session,
        actor=actor,
        kind=kind,
        subject_id=item_id,
        action=ChangeAction.RETIRED if retired else ChangeAction.RESTORED,
        reason=reason,
        before={"retired": not retired},
        after={"retired": retired},
    )
    session.flush()
    return entry
