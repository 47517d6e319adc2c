"""The status-update history as rows: every entry of the plan's outcomes (retired ones
left out) with its region, time, month, author, organisation, statuses and whether it
counts (core/progress/counted.py). The Evaluation's figures sum all of it, period by
period; a server keeps these rows (`LiveEntries`) and moves them on by the entries
added since (`advance`) instead of reading some 60,000 entries again after each save.
Plain Python: a pass over 60,000 rows takes some 20 ms, as pandas' group-bys do, and
a few hundred take microseconds where pandas takes milliseconds.

An entry added later can change whether earlier ones count: an undo stops the entry it
reverts from counting, and an undo of an undo makes the first entry count again. So an
advance reads the new entries, then asks the counted rule again for the entries they
revert and for those these revert (the rule reads one redo deep)."""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from itertools import islice
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, case
from sqlmodel import Session, col, select

from core.models import LogicModel, Outcome, StatusUpdate, Strategy
from core.progress import counted, marks
from core.progress.filters import OutcomeFilter

# More entries added since than this share of those kept: reading them all is cheaper.
ADVANCE_MAX_SHARE = 0.05


class Entry(NamedTuple):
    id: int
    outcome: str
    region: str
    at: datetime  # naive, in UTC
    month: str  # "2026-12", of `at`
    who: str
    org: str  # "" for none
    old: str
    new: str
    reverts: int  # 0 for none (ids start at 1)


@dataclass(frozen=True)
class Entries:
    """Every entry up to `mark` (core/progress/marks.py), in id order, and whether each
    counts. Read-only to its callers. The rows are the first `size` of a list that
    later advances append to (so an advance copies no row); `counts` is its own."""

    mark: marks.Mark
    _rows: list[Entry]
    size: int
    counts: list[bool]

    def __len__(self) -> int:
        return self.size

    def rows(self) -> Iterator[Entry]:
        return islice(self._rows, self.size)

    def counted(self) -> Iterator[tuple[Entry, bool]]:
        """Each entry and whether it counts."""
        return zip(self.rows(), self.counts, strict=True)


@cache
def _statement(every: bool) -> Any:
    """The entries with ids in (:after, :upto], whether each counts by the counted
    rule's plan for the whole history (`every`) or for a few entries. Built once: the
    rule's aliases are slow to build, and a statement built again is compiled again."""
    rule = counted.counts_every() if every else counted.counts()
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
        .where(
            and_(True, *OutcomeFilter().conditions()),
            col(StatusUpdate.id) > bindparam("after"),
            col(StatusUpdate.id) <= bindparam("upto"),
        )
        .order_by(col(StatusUpdate.id))
    )


@cache
def _flags_statement() -> Any:
    """Whether each of the entries :ids counts (the rule's plan for a few entries)."""
    return select(col(StatusUpdate.id), case((counted.counts(), True), else_=False)).where(
        col(StatusUpdate.id).in_(bindparam("ids", expanding=True))
    )


def _read(session: Session, every: bool, after: int, upto: int) -> tuple[list[Entry], list[bool]]:
    """The entries in (after, upto] and whether each counts. Repeated words (outcome
    ids, regions, authors, statuses, months) are kept once: the driver makes a string
    per row."""
    result = session.connection().execute(_statement(every), {"after": after, "upto": upto})
    rows, flags = [], []
    seen: dict[str, str] = {}
    once = seen.setdefault
    for entry_id, outcome, region, at, who, org, old, new, reverts, counts in result:
        moment = utc(at)
        rows.append(
            Entry(
                entry_id,
                once(outcome, outcome),
                once(region, region),
                moment,
                once(month := f"{moment:%Y-%m}", month),
                once(who, who),
                once(org, org) if org else "",
                once(old, old),
                once(new, new),
                reverts or 0,
            )
        )
        flags.append(bool(counts))
    return rows, flags


def utc(moment: datetime | str) -> datetime:
    """A time as the database returns it, as a naive time in UTC (naive ones are)."""
    moment = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def read(session: Session) -> Entries:
    """Every entry, read now (the undone ids read once: `counted.counts_every`)."""
    mark = marks.mark(session)
    rows, flags = _read(session, True, 0, mark.last)
    return Entries(mark, rows, len(rows), flags)


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
    new_rows, new_flags = _read(session, False, base.mark.last, now.last)
    rows = base._rows if len(base._rows) == base.size else base._rows[: base.size]
    # What the new entries revert, and what those revert: whether each counts can change.
    first = [p for p in (_position(rows, base.size, r.reverts) for r in new_rows) if p is not None]
    second = [_position(rows, base.size, rows[p].reverts) for p in first]
    again = sorted({*first, *(p for p in second if p is not None)})
    counts = list(base.counts)
    if again:
        wanted = {"ids": [rows[p].id for p in again]}
        flags = dict(session.connection().execute(_flags_statement(), wanted).all())
        for p in again:
            counts[p] = bool(flags.get(rows[p].id, False))
    rows.extend(new_rows)  # after the shared rows' end: no reader of them sees these
    return Entries(now, rows, base.size + len(new_rows), counts + new_flags)


def _position(rows: list[Entry], size: int, entry_id: int) -> int | None:
    """Where the entry `entry_id` is among the first `size` rows (in id order)."""
    if not entry_id:
        return None
    at = bisect.bisect_left(rows, entry_id, 0, size, key=lambda row: row.id)
    return at if at < size and rows[at].id == entry_id else None


class LiveEntries(marks.Live[Entries]):
    """The entries kept current for every session of a server (core/progress/marks.Live):
    read on the first call, moved on by `advance` after that. Keep one per plan stamp."""

    def __init__(self) -> None:
        super().__init__(read, advance)
