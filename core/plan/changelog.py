"""The plan change log: what each kind of plan item is, how a change is recorded
(who, when, before, after, why) and described in words."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from core.clock import utcnow
from core.errors import UpdateRejected
from core.models import (
    ChangeAction,
    LogicModel,
    Outcome,
    PlanChange,
    Strategy,
)
from core.people.permissions import Actor


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


def get_item(session: Session, kind: str, item_id: str):
    if kind not in MODELS:
        raise UpdateRejected(f"“{kind}” is not a part of the plan ({', '.join(KINDS)}).")
    # FOR UPDATE: two admins changing one item queue (PostgreSQL; SQLite's write
    # transaction holds the database's lock), so checks below see the latest row.
    obj = session.get(MODELS[kind], item_id, populate_existing=True, with_for_update=True)
    if obj is None:
        raise UpdateRejected(f"There is no {KIND_LABEL[kind]} {item_id!r}.")
    return obj


def record(
    *,
    session: Session,
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
        changed_at=now or utcnow(),  # the column's default when no time is given
    )
    session.add(entry)
    return entry


SNAPSHOT_FIELDS = {
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


def kind_of(obj) -> str:
    return next(kind for kind, model in MODELS.items() if isinstance(obj, model))


def snapshot(obj) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in SNAPSHOT_FIELDS[kind_of(obj)]}
