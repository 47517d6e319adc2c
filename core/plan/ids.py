"""How a plan item's id is made: one rule for the plan editor and the import."""

from __future__ import annotations

import re

from sqlmodel import Session

from core.plan.changelog import KIND_LABEL
from core.progress.updates import UpdateRejected


def slug(text: str, limit: int = 40) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s[:limit].strip("-") or "item"


def unique_id(session: Session, model, base: str) -> str:
    base = base[: id_limit(model) - 4].rstrip("-.")  # room for "-NNN"
    candidate, n = base, 1
    while session.get(model, candidate) is not None:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def id_limit(model) -> int:
    return model.__table__.c.id.type.length


def checked_id(model, item_id: str, kind: str) -> str:
    """A given id, checked against its column (PostgreSQL refuses longer ones)."""
    limit = id_limit(model)
    if not item_id or len(item_id) > limit or "\x00" in item_id:
        raise UpdateRejected(
            f"The {KIND_LABEL[kind]} id {item_id!r} is not valid: use 1 to {limit} characters."
        )
    return item_id
