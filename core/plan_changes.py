"""Changing the plan itself: re-baselining timelines, re-dating outcomes, and adding,
editing, retiring and restoring logic models, strategies and outcomes.

The report calls its timelines guidance, to be moved to each community's real start
date, and its logic models living documents. Only admins change the plan; every
change is written to the append-only `plan_change` log (who, when, before, after,
why) in the same transaction. The report's own dates stay as each outcome's
`baseline_due_date`; `due_date` is the current plan.

Functions take keyword-only arguments and a session from `core.db.write_session`.
"""

from __future__ import annotations

import calendar
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlmodel import Session, select

from core.models import (
    ChangeAction,
    DateBasis,
    LogicModel,
    Need,
    Outcome,
    PlanChange,
    Region,
    Strategy,
    Term,
)
from core.permissions import Actor, require_admin
from core.services import UpdateRejected

REASON_MAX = 2_000
TEXT_MAX = 2_000  # an outcome's sentence; the report's longest is ~400 characters
TITLE_MAX = 300
LABEL_MAX = 200
ITEM_MAX = 1_000  # one resource or task
EARLIEST, LATEST = date(1990, 1, 1), date(2100, 12, 31)
NUMBER_MAX = Outcome.__table__.c.number.type.length  # "1", "2a"
DATE_AS_WRITTEN_MAX = Outcome.__table__.c.date_as_written.type.length


class StalePlanEdit(UpdateRejected):
    """Someone changed the item after the form was opened; nothing was written."""


MODELS: dict[str, type[LogicModel] | type[Strategy] | type[Outcome]] = {
    "logic_model": LogicModel,
    "strategy": Strategy,
    "outcome": Outcome,
}
KINDS = tuple(MODELS)
# What an edit may change, per kind (dates move through re-dating, status through
# status updates, retirement through retire/restore).
EDITABLE: dict[str, tuple[str, ...]] = {
    "logic_model": ("title", "region_id"),
    "strategy": ("label", "title", "need_id", "resources", "tasks", "ultimate_outcome"),
    "outcome": ("text", "term", "number", "date_as_written"),
}
KIND_LABEL = {"logic_model": "logic model", "strategy": "strategy", "outcome": "outcome"}


# ---- date arithmetic ------------------------------------------------------------


def is_month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def start_offset(old_start: date, new_start: date) -> relativedelta:
    """The calendar offset (years, months, days) that moves `old_start` to `new_start`."""
    return relativedelta(new_start, old_start)


def shift_date(day: date, offset: relativedelta) -> date:
    """`day` moved by `offset`; a month-end date (the report's "by 6/2020") stays a
    month-end date: it becomes the last day of the month the move lands in."""
    moved = day + offset
    return month_end(moved) if is_month_end(day) else moved


def describe_offset(offset: relativedelta) -> str:
    parts = [
        f"{abs(n)} {unit}{'' if abs(n) == 1 else 's'}"
        for n, unit in (
            (offset.years, "year"),
            (offset.months, "month"),
            (offset.days, "day"),
        )
        if n
    ]
    if not parts:
        return "no change"
    later = (offset.years, offset.months, offset.days) > (0, 0, 0)
    return ", ".join(parts) + (" later" if later else " earlier")


# ---- validation -----------------------------------------------------------------


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise UpdateRejected("Give a reason for this change; it goes into the plan's history.")
    return _text(reason, "The reason", REASON_MAX)


def _text(value: Any, what: str, limit: int, *, required: bool = True) -> str:
    text = " ".join(str(value or "").split()) if value is not None else ""
    if "\x00" in text:
        raise UpdateRejected(f"{what} contains a NUL character; please remove it.")
    if required and not text:
        raise UpdateRejected(f"{what} cannot be empty.")
    if len(text) > limit:
        raise UpdateRejected(f"{what} is {len(text):,} characters; keep it under {limit:,}.")
    return text


def _date(value: Any, what: str) -> date:
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        raise UpdateRejected(f"{what} must be a date.")
    if not EARLIEST <= value <= LATEST:
        raise UpdateRejected(
            f"{what} {value:%m/%d/%Y} is outside {EARLIEST.year}–{LATEST.year}; check the year."
        )
    return value


def _items(values: Any, what: str) -> list[str]:
    if isinstance(values, str):
        values = values.splitlines()
    out = [_text(v, f"Each {what}", ITEM_MAX) for v in values or [] if str(v or "").strip()]
    return out


def jsonable(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """A before/after mapping as JSON-ready values (dates as ISO text)."""
    if values is None:
        return None
    return {k: v.isoformat() if isinstance(v, date | datetime) else v for k, v in values.items()}


def describe_change(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    """A log entry's before → after in words: "due date 2020-02-29 → 2025-10-31"."""
    before, after = before or {}, after or {}

    def show(value: Any) -> str:
        if isinstance(value, list):
            value = "; ".join(map(str, value))
        text = "(empty)" if value in (None, "") else str(value)
        return text if len(text) <= 80 else text[:79] + "…"

    if set(after) == {"retired"}:
        return "hidden from views and rates, kept" if after["retired"] else "back in the plan"
    if not before and after:
        return "added" + (f" “{show(after['text'])}”" if "text" in after else "")
    parts = []
    for name in [*before, *(k for k in after if k not in before)]:
        label = name.replace("_id", "").replace("_", " ")
        if name in before and name in after:
            parts.append(f"{label} {show(before[name])} → {show(after[name])}")
        elif name in after:
            parts.append(f"{label} {show(after[name])}")
    return "; ".join(parts) or "no fields"


def slug(text: str, limit: int = 40) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s[:limit].strip("-") or "item"


# ---- reading --------------------------------------------------------------------


def _get(session: Session, kind: str, item_id: str):
    if kind not in MODELS:
        raise UpdateRejected(f"“{kind}” is not a part of the plan ({', '.join(KINDS)}).")
    # FOR UPDATE: two admins changing one item queue (PostgreSQL; SQLite's write
    # transaction holds the database's lock), so checks below see the latest row.
    obj = session.get(MODELS[kind], item_id, populate_existing=True, with_for_update=True)
    if obj is None:
        raise UpdateRejected(f"There is no {KIND_LABEL[kind]} {item_id!r}.")
    return obj


def _outcomes_of(session: Session, logic_model_id: str) -> list[Outcome]:
    return list(
        session.exec(
            select(Outcome)
            .join(Strategy, Strategy.id == Outcome.strategy_id)
            .where(Strategy.logic_model_id == logic_model_id, Outcome.retired.is_(False))
            .order_by(Strategy.position, Outcome.term, Outcome.position)
            .with_for_update(of=Outcome)
            .execution_options(populate_existing=True)
        ).all()
    )


# ---- the log ----------------------------------------------------------------------


def record(
    session: Session,
    *,
    actor: Actor,
    kind: str,
    subject_id: str,
    action: ChangeAction,
    reason: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    batch: str | None = None,
    now: datetime | None = None,
) -> PlanChange:
    entry = PlanChange(
        changed_by=actor.username,
        subject_kind=kind,
        subject_id=subject_id,
        action=action.value,
        before=jsonable(before),
        after=jsonable(after),
        reason=reason,
        batch=batch,
        **({"changed_at": now} if now else {}),
    )
    session.add(entry)
    return entry


# ---- re-baselining and re-dating ------------------------------------------------


@dataclass(frozen=True)
class DateMove:
    """One outcome's due date before and after a re-baseline (also its preview)."""

    outcome_id: str
    logic_model_id: str
    text: str
    before: date
    after: date


def preview_rebaseline(
    session: Session,
    *,
    start_date: date,
    logic_model_id: str | None = None,
    region_id: str | None = None,
) -> list[DateMove]:
    """What `rebaseline` would do, without doing it."""
    start_date = _date(start_date, "The start date")
    moves: list[DateMove] = []
    for lm in _logic_models(session, logic_model_id, region_id):
        offset = start_offset(lm.start_date, start_date)
        for oc in _outcomes_of(session, lm.id):
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
        lm = _get(session, "logic_model", logic_model_id)
        if lm.retired:
            raise UpdateRejected("This logic model is retired; restore it first.")
        return [lm]
    if session.get(Region, region_id) is None:
        raise UpdateRejected(f"There is no region {region_id!r}.")
    found = list(
        session.exec(
            select(LogicModel)
            .where(LogicModel.region_id == region_id, LogicModel.retired.is_(False))
            .order_by(LogicModel.position)
        ).all()
    )
    if not found:
        raise UpdateRejected("This region has no logic model to re-baseline.")
    return found


def rebaseline(
    session: Session,
    *,
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
    reason = _reason(reason)
    start_date = _date(start_date, "The start date")
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
            session,
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
        for oc in _outcomes_of(session, lm.id):
            new_due = shift_date(oc.due_date, offset)
            moves.append(DateMove(oc.id, lm.id, oc.text, oc.due_date, new_due))
            record(
                session,
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
    session: Session,
    *,
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
    reason = _reason(reason)
    due_date = _date(due_date, "The new due date")
    oc = _get(session, "outcome", outcome_id)
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
        session,
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


# ---- adding -----------------------------------------------------------------------


def _unique_id(session: Session, model, base: str) -> str:
    base = base[: id_limit(model) - 4].rstrip("-.")  # room for "-NNN"
    candidate, n = base, 1
    while session.get(model, candidate) is not None:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def id_limit(model) -> int:
    return model.__table__.c.id.type.length


def _new_id(model, item_id: str, kind: str) -> str:
    """A given id, checked against its column (PostgreSQL refuses longer ones)."""
    limit = id_limit(model)
    if not item_id or len(item_id) > limit or "\x00" in item_id:
        raise UpdateRejected(
            f"The {KIND_LABEL[kind]} id {item_id!r} is not valid: use 1 to {limit} characters."
        )
    return item_id


def create_logic_model(
    session: Session,
    *,
    actor: Actor,
    region_id: str,
    title: str,
    start_date: date,
    reason: str,
    logic_model_id: str | None = None,
) -> LogicModel:
    """A new workgroup's logic model (its strategies and outcomes are added next)."""
    require_admin(actor, "add to the plan")
    reason = _reason(reason)
    title = _text(title, "The title", TITLE_MAX)
    start_date = _date(start_date, "The start date")
    if session.get(Region, region_id) is None:
        raise UpdateRejected(f"There is no region {region_id!r}.")
    lm_id = _new_id(LogicModel, logic_model_id, "logic_model") if logic_model_id else None
    lm_id = lm_id or _unique_id(session, LogicModel, f"{region_id}-{slug(title, 30)}")
    if session.get(LogicModel, lm_id) is not None:
        raise UpdateRejected(f"A logic model {lm_id!r} exists already.")
    last = session.exec(select(LogicModel.position).order_by(LogicModel.position.desc())).first()
    lm = LogicModel(
        id=lm_id,
        region_id=region_id,
        title=title,
        position=(last or 0) + 1,
        start_date=start_date,
    )
    session.add(lm)
    record(
        session,
        actor=actor,
        kind="logic_model",
        subject_id=lm_id,
        action=ChangeAction.CREATED,
        reason=reason,
        after=_snapshot(lm),
    )
    session.flush()
    return lm


def create_strategy(
    session: Session,
    *,
    actor: Actor,
    logic_model_id: str,
    need_id: str,
    title: str,
    reason: str,
    label: str | None = None,
    resources: list[str] | str = (),
    tasks: list[str] | str = (),
    ultimate_outcome: str = "",
    strategy_id: str | None = None,
) -> Strategy:
    require_admin(actor, "add to the plan")
    reason = _reason(reason)
    lm = _get(session, "logic_model", logic_model_id)
    if session.get(Need, need_id) is None:
        raise UpdateRejected(f"There is no need {need_id!r}.")
    title = _text(title, "The strategy's title", TITLE_MAX)
    st_id = _new_id(Strategy, strategy_id, "strategy") if strategy_id else None
    st_id = st_id or _unique_id(session, Strategy, f"{lm.id}.{slug(title, 40)}")
    if session.get(Strategy, st_id) is not None:
        raise UpdateRejected(f"A strategy {st_id!r} exists already.")
    last = session.exec(
        select(Strategy.position)
        .where(Strategy.logic_model_id == lm.id)
        .order_by(Strategy.position.desc())
    ).first()
    st = Strategy(
        id=st_id,
        logic_model_id=lm.id,
        need_id=need_id,
        label=_text(label, "The label", LABEL_MAX, required=False) or None,
        title=title,
        resources=_items(resources, "resource"),
        tasks=_items(tasks, "task"),
        ultimate_outcome=_text(ultimate_outcome, "The ultimate outcome", TEXT_MAX, required=False),
        position=(last or 0) + 1,
    )
    session.add(st)
    record(
        session,
        actor=actor,
        kind="strategy",
        subject_id=st_id,
        action=ChangeAction.CREATED,
        reason=reason,
        after=_snapshot(st),
    )
    session.flush()
    return st


def create_outcome(
    session: Session,
    *,
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
    reason = _reason(reason)
    st = _get(session, "strategy", strategy_id)
    term = _term(term)
    text = _text(text, "The outcome's text", TEXT_MAX)
    due_date = _date(due_date, "The due date")
    number = _text(number, "The number", NUMBER_MAX, required=False) or None
    siblings = session.exec(
        select(Outcome).where(Outcome.strategy_id == st.id, Outcome.term == term)
    ).all()
    oc_id = _new_id(Outcome, outcome_id, "outcome") if outcome_id else None
    oc_id = oc_id or _unique_id(
        session, Outcome, f"{st.id}.{term}.{number or f'n{len(siblings) + 1}'}"
    )
    if session.get(Outcome, oc_id) is not None:
        raise UpdateRejected(f"An outcome {oc_id!r} exists already.")
    oc = Outcome(
        id=oc_id,
        strategy_id=st.id,
        term=term,
        position=max((o.position for o in siblings), default=0) + 1,
        number=number,
        text=text,
        date_as_written=_text(
            date_as_written, "The date as written", DATE_AS_WRITTEN_MAX, required=False
        )
        or f"{due_date.month}/{due_date.day}/{due_date.year}",
        due_date=due_date,
        baseline_due_date=due_date,
        date_basis=DateBasis.AS_WRITTEN.value,
    )
    session.add(oc)
    record(
        session,
        actor=actor,
        kind="outcome",
        subject_id=oc_id,
        action=ChangeAction.CREATED,
        reason=reason,
        after=_snapshot(oc),
    )
    session.flush()
    return oc


def _term(term: str) -> str:
    try:
        return Term(str(term).strip().lower()).value
    except ValueError:
        raise UpdateRejected(
            f"“{term}” is not a term; use one of {', '.join(t.value for t in Term)}."
        ) from None


# ---- editing, retiring, restoring ------------------------------------------------

_SNAPSHOT_FIELDS = {
    "logic_model": ("region_id", "title", "start_date", "retired"),
    "strategy": (
        "logic_model_id",
        "need_id",
        "label",
        "title",
        "resources",
        "tasks",
        "ultimate_outcome",
        "retired",
    ),
    "outcome": (
        "strategy_id",
        "term",
        "number",
        "text",
        "date_as_written",
        "due_date",
        "retired",
    ),
}


def _kind_of(obj) -> str:
    return next(kind for kind, model in MODELS.items() if isinstance(obj, model))


def _snapshot(obj) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in _SNAPSHOT_FIELDS[_kind_of(obj)]}


def _clean(session: Session, kind: str, name: str, value: Any) -> Any:
    if name in ("title",):
        return _text(value, "The title", TITLE_MAX)
    if name == "label":
        return _text(value, "The label", LABEL_MAX, required=False) or None
    if name in ("text",):
        return _text(value, "The outcome's text", TEXT_MAX)
    if name == "ultimate_outcome":
        return _text(value, "The ultimate outcome", TEXT_MAX, required=False)
    if name in ("resources", "tasks"):
        return _items(value, name.rstrip("s"))
    if name == "term":
        return _term(value)
    if name == "number":
        return _text(value, "The number", NUMBER_MAX, required=False) or None
    if name == "date_as_written":
        return _text(value, "The date as written", DATE_AS_WRITTEN_MAX, required=False) or None
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
    session: Session,
    *,
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
    reason = _reason(reason)
    obj = _get(session, kind, item_id)
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
    entry = record(
        session,
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
    session: Session,
    *,
    actor: Actor,
    kind: str,
    item_id: str,
    retired: bool,
    reason: str,
) -> PlanChange:
    """Retire (hide from views and rates, keep with its history) or restore an item."""
    require_admin(actor, "retire or restore parts of the plan")
    reason = _reason(reason)
    obj = _get(session, kind, item_id)
    if obj.retired == retired:
        state = "retired" if retired else "in the plan"
        raise UpdateRejected(f"This {KIND_LABEL[kind]} is already {state}.")
    obj.retired = retired
    if isinstance(obj, Outcome):
        obj.version += 1
    session.add(obj)
    entry = record(
        session,
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
