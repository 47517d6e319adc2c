"""Which status history entries count as activity: neither an undo nor undone. An undo
that was itself undone (a redo) does not count, so the entry it undid counts again.

One rule for every figure read from history (since the last meeting, the evaluation,
partners' activity, an outcome's standing note), in two plans: `counts` looks each entry
up by outcome first (the (outcome_id, changed_at) index), for a few outcomes;
`counts_every` reads the undos once, as a set of ids, for the whole history.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import and_
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from core.models import StatusUpdate


def undone(entry: Any = StatusUpdate) -> Any:
    """EXISTS: an undo reverted `entry` (a StatusUpdate or an alias of it), the undo not
    itself undone."""
    undo, redo = aliased(StatusUpdate), aliased(StatusUpdate)
    redone = (
        select(redo.id)
        .where(col(redo.outcome_id) == col(undo.outcome_id), col(redo.reverts_id) == col(undo.id))
        .exists()
    )
    return (
        select(undo.id)
        .where(
            col(undo.outcome_id) == col(entry.outcome_id),
            col(undo.reverts_id) == col(entry.id),
            ~redone,
        )
        .correlate(entry)
        .exists()
    )


def counts(entry: Any = StatusUpdate) -> Any:
    """`entry` is neither an undo nor undone."""
    return and_(col(entry.reverts_id).is_(None), ~undone(entry))


# Built once: ORM aliases are slow to build, and these subqueries correlate with nothing.
@cache
def _reverted(live: bool) -> Any:
    """The ids reverted by an undo of their own outcome; with `live`, only by an undo
    that is not itself undone (the same outcome match as `undone`)."""
    undo, entry = aliased(StatusUpdate), aliased(StatusUpdate)
    stmt = select(col(undo.reverts_id)).join(
        entry,
        and_(col(entry.id) == col(undo.reverts_id), col(entry.outcome_id) == col(undo.outcome_id)),
    )
    return stmt.where(col(undo.id).not_in(_reverted(False))) if live else stmt


def counts_every(entry: Any = StatusUpdate) -> Any:
    """`counts`, planned for scanning the whole history: the undone ids are read once."""
    return and_(col(entry.reverts_id).is_(None), col(entry.id).not_in(_reverted(True)))
