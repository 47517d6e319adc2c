"""How a plan item's id is made: one rule for the plan editor and the import.

An id is readable and stable (the ids in `data/` follow the same shape):
- logic model: ``{region}-{title slug}``, e.g. ``southwest-housing``;
- strategy: ``{logic model}.{title slug}``;
- outcome: ``{strategy}.{term}.{number slug}``, e.g. ``southwest.legal-services.short.2a``,
  or ``{strategy}.{term}.n{k}`` (the first free k) for an outcome without a number.
A base that is taken gets ``-2``, ``-3``, … (cut so the result fits its column).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from core.errors import UpdateRejected
from core.models import LogicModel, Outcome, Strategy
from core.plan.changelog import KIND_LABEL
from core.plan.fields import NUMBER_MAX, column_length

Taken = Callable[[str], bool]
PlanModel = type[LogicModel] | type[Strategy] | type[Outcome]


def slug(text: str, limit: int = 40) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s[:limit].strip("-") or "item"


def id_limit(model: PlanModel) -> int:
    return column_length(model, "id")


def free_id(model: PlanModel, base: str, taken: Taken) -> str:
    """`base`, or `base-2`, `base-3`, … : the first that is not taken."""
    base = base[: id_limit(model) - 4].rstrip("-.")  # room for "-NNN"
    candidate, n = base, 1
    while taken(candidate):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def new_logic_model_id(region_id: str, title: str, taken: Taken) -> str:
    return free_id(LogicModel, f"{region_id}-{slug(title, 30)}", taken)


def new_strategy_id(logic_model_id: str, title: str, taken: Taken) -> str:
    return free_id(Strategy, f"{logic_model_id}.{slug(title, 40)}", taken)


def new_outcome_id(strategy_id: str, term: str, number: str | None, taken: Taken) -> str:
    if number:
        return free_id(Outcome, f"{strategy_id}.{term}.{slug(number, NUMBER_MAX)}", taken)
    k = 1
    while taken(f"{strategy_id}.{term}.n{k}"):
        k += 1
    return f"{strategy_id}.{term}.n{k}"


def checked_id(model: PlanModel, item_id: str, kind: str) -> str:
    """A given id, checked against its column (PostgreSQL refuses longer ones)."""
    limit = id_limit(model)
    if not item_id or len(item_id) > limit or "\x00" in item_id:
        raise UpdateRejected(
            f"The {KIND_LABEL[kind]} id {item_id!r} is not valid: use 1 to {limit} characters."
        )
    return item_id
