"""Which status history entries count as activity: neither an undo nor undone. An undo
that was itself undone (a redo) does not count, so the entry it undid counts again.

One rule for every figure read from history (since the last meeting, the evaluation,
partners' activity, an outcome's standing note). Each look-up goes by outcome first, so
it uses the (outcome_id, changed_at) index.
"""

from __future__ import annotations

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
