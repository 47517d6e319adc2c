"""The status-update history as columns: every entry of the plan's outcomes (retired
ones left out) with its region, time, month, author, organisation, statuses and whether
it counts (core/progress/counted.py). The Evaluation's figures sum all of it, period by
period; a server keeps these columns (`LiveEntries`) and moves them on by the entries
added since (`advance`) instead of reading some 60,000 entries again after each save.

An entry added later can change whether earlier ones count: an undo stops the entry it
reverts from counting, and an undo of an undo makes the first entry count again. So an
advance reads the new entries, then asks the counted rule again for the entries they
revert and for those these revert (the rule reads one redo deep)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import and_, case
from sqlmodel import Session, col, select

from core.models import LogicModel, Outcome, StatusUpdate, Strategy
from core.progress import counted, marks
from core.progress.filters import OutcomeFilter

COLUMNS = ["id", "outcome", "region", "at", "month", "who", "org", "old", "new", "reverts"]
# `org` is "" for none; `reverts` 0 for none (ids start at 1); `at` in UTC; `month`
# "2026-12" (of `at`, in UTC).

# More entries added since than this share of those kept: reading them all is cheaper.
ADVANCE_MAX_SHARE = 0.05


@dataclass(frozen=True)
class Entries:
    """Every entry up to `mark` (core/progress/marks.py), in id order, and whether each
    counts (aligned with `frame`'s rows). Read-only to its callers."""

    mark: marks.Mark
    frame: pd.DataFrame
    counts: np.ndarray  # of bool

    def __len__(self) -> int:
        return len(self.frame)


def _statement(rule: Any, *where: Any) -> Any:
    columns: list[Any] = [
        col(StatusUpdate.id),
        col(StatusUpdate.outcome_id),
        col(LogicModel.region_id),
        col(StatusUpdate.changed_at),
        col(StatusUpdate.changed_by),
        col(StatusUpdate.organisation_id),
        col(StatusUpdate.old_status),
        col(StatusUpdate.new_status),
        col(StatusUpdate.reverts_id),
        case((rule, True), else_=False),
    ]
    return (
        select(*columns)
        .select_from(StatusUpdate)
        .join(Outcome, col(Outcome.id) == col(StatusUpdate.outcome_id))
        .join(Strategy, col(Strategy.id) == col(Outcome.strategy_id))
        .join(LogicModel, col(LogicModel.id) == col(Strategy.logic_model_id))
        .where(and_(True, *OutcomeFilter().conditions()), *where)
        .order_by(col(StatusUpdate.id))
    )


def _columns(rows: list[Any]) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows of `_statement` as the frame's columns and the counted flags."""
    ids, outcomes, regions, times, who, orgs, old, new, reverts, flags = (
        (list(c) for c in zip(*rows, strict=True)) if rows else ([] for _ in range(10))
    )
    at = pd.to_datetime(pd.Series(times, dtype=object), utc=True)
    frame = pd.DataFrame(
        {
            "id": np.array(ids, dtype=np.int64),
            "outcome": pd.Series(outcomes, dtype=object),
            "region": pd.Series(regions, dtype=object),
            "at": at.astype("datetime64[us, UTC]"),
            "month": months(at),
            "who": pd.Series(who, dtype=object),
            "org": pd.Series([o or "" for o in orgs], dtype=object),
            "old": pd.Series(old, dtype=object),
            "new": pd.Series(new, dtype=object),
            "reverts": np.array([r or 0 for r in reverts], dtype=np.int64),
        }
    )
    return frame, np.array([bool(f) for f in flags], dtype=bool)


def months(at: pd.Series) -> pd.Series:
    """Each time's month, "2026-12" (0-based index)."""
    if at.empty:
        return pd.Series([], dtype=object)
    keys = at.dt.year * 100 + at.dt.month
    names = {k: f"{k // 100:04d}-{k % 100:02d}" for k in keys.unique()}
    return pd.Series(keys.map(names).to_numpy(dtype=object), dtype=object)


def read(session: Session) -> Entries:
    """Every entry, read now (the undone ids read once: `counted.counts_every`)."""
    mark = marks.mark(session)
    rows = session.exec(_statement(counted.counts_every(), col(StatusUpdate.id) <= mark.last)).all()
    frame, counts = _columns(list(rows))
    return Entries(mark, frame, counts)


def advance(session: Session, base: Entries, now: marks.Mark | None = None) -> Entries:
    """`base` as the database stands now: the entries added since its mark appended,
    and the counted flags of those they revert read again (`base` is left as it was).
    The plan must be the one `base` was read on: callers key it on the plan stamp.
    Read whole instead when many entries were added, or when the history up to the
    mark changed (an entry committed late, or a restore)."""
    now = marks.current(session, base.mark, now)
    if now == base.mark:
        return base
    added = now.count - base.mark.count
    if not marks.holds(session, base.mark, now) or added > max(1, ADVANCE_MAX_SHARE * len(base)):
        return read(session)
    rule = counted.counts()
    rows = session.exec(
        _statement(rule, col(StatusUpdate.id) > base.mark.last, col(StatusUpdate.id) <= now.last)
    ).all()
    new_frame, new_counts = _columns(list(rows))
    # What the new entries revert, and what those revert: whether each counts can change.
    ids, reverts = base.frame["id"].to_numpy(), base.frame["reverts"].to_numpy()
    first = _positions(ids, set(new_frame["reverts"].tolist()) - {0})
    again = np.union1d(first, _positions(ids, set(reverts[first].tolist()) - {0}))
    counts = base.counts.copy()
    if len(again):
        flags = dict(
            session.exec(
                select(col(StatusUpdate.id), case((rule, True), else_=False)).where(
                    col(StatusUpdate.id).in_([int(i) for i in ids[again]])
                )
            ).all()
        )
        counts[again] = [bool(flags.get(int(i), False)) for i in ids[again]]
    if new_frame.empty:
        return Entries(now, base.frame, counts)
    frame = pd.concat([base.frame, new_frame], ignore_index=True)
    return Entries(now, frame, np.concatenate([counts, new_counts]))


def _positions(ids: np.ndarray, wanted: set[int]) -> np.ndarray:
    """Where the ids `wanted` are in `ids` (sorted), those that are there."""
    keys = np.array(sorted(wanted), dtype=np.int64)
    at = np.searchsorted(ids, keys)
    there = at < len(ids)
    there[there] = ids[at[there]] == keys[there]
    return at[there]


class LiveEntries:
    """The entries kept current for every session of a server: each caller gets them
    as the database stands now, moved on from the last caller's (one at a time). Keep
    one per plan stamp."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: Entries | None = None

    def current(self, session: Session, now: marks.Mark | None = None) -> Entries:
        """`now`: the history's mark, when the caller has read it."""
        with self._lock:
            if self._entries is None:
                self._entries = read(session)
            else:
                self._entries = advance(session, self._entries, now)
            return self._entries
