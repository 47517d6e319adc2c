"""Where a reader of the status-update history stopped, so that what it summed can be
moved on by the entries added since instead of read whole again (core/progress/counts,
burnup, activity keep such sums for every session of a server).

Ids are not commit order on PostgreSQL: a transaction may commit an entry whose id is
below one a reader has already seen. A reader that only took the entries above its
mark would never see that one, so each mark also counts the entries up to it: more of
them later means a late entry, and the sums are read whole again."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.models import StatusUpdate


@dataclass(frozen=True)
class Mark:
    """The newest status update read (0: none yet) and how many there were up to it."""

    last: int = 0
    count: int = 0


def mark(session: Session) -> Mark:
    last, count = session.exec(
        select(func.max(StatusUpdate.id), func.count(col(StatusUpdate.id)))
    ).one()
    return Mark(last or 0, count or 0)


def current(session: Session, seen: Mark | None, given: Mark | None) -> Mark:
    """The mark to move sums kept at `seen` on to: `given` (the caller's, read with its
    data stamp), unless it is older than `seen`. Then another session's run moved the
    sums on since this run read its stamp, and the history's own mark tells whether
    they are still current (the same or later) or the history went back (a restore)."""
    if given is None or (seen is not None and (given.last < seen.last or given.count < seen.count)):
        return mark(session)
    return given


def holds(session: Session, before: Mark, now: Mark) -> bool:
    """Whether the history up to `before` is as it was at `now` (a later mark): no
    entry below it came late (PostgreSQL), none went (a restore of an older copy).
    Counted as `now`'s entries less those after `before` (a range of the key: counting
    every entry again cost 5 ms at 60,000). An entry committed between the two reads
    can make it say no when nothing changed (the caller reads again), or miss one
    below `before` until the next mark (which counts it)."""
    if now.last < before.last or now.count < before.count:
        return False
    since = session.exec(
        select(func.count(col(StatusUpdate.id))).where(
            col(StatusUpdate.id) > before.last, col(StatusUpdate.id) <= now.last
        )
    ).one()
    return now.count - since == before.count


T = TypeVar("T")


class Live(Generic[T]):
    """Sums kept current for every session of a server: each caller gets them as the
    database stands now, built on the first call (`build`) and moved on from the last
    caller's after that (`advance`, given the caller's mark); one at a time, so a save
    is counted once, not by each of the runs that came after it. Keep one per plan
    stamp."""

    def __init__(
        self,
        build: Callable[[Session], T],
        advance: Callable[[Session, T, Mark | None], T],
    ) -> None:
        self._lock = threading.Lock()
        self._build, self._advance = build, advance
        self._kept: T | None = None

    def current(self, session: Session, now: Mark | None = None) -> T:
        """`now`: the history's mark, when the caller has read it."""
        with self._lock:
            if self._kept is None:
                self._kept = self._build(session)
            else:
                self._kept = self._advance(session, self._kept, now)
            return self._kept
