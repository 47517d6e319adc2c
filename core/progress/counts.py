"""Every count the pages show, from one scan: outcomes per region, need and logic model,
by status, with open, overdue and due-soon counts (`grouped`). Completion (statewide,
by region, by need, region × need), outcomes per status, the schedule counts and the
report-dates banner's (core/progress/baseline.py) are sums of its rows in Python, so a
page that shows all of them reads the outcomes once (the Overview read them six times:
issue 15). A server keeps that scan as a tally (`Tally`, `LiveTally`) and moves it on
by the outcomes each save changed (`advance`) instead of scanning again.

Completion is done ÷ active, active being all but dropped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, case, func, literal
from sqlmodel import Session, col, select

from core.models import LogicModel, Need, Outcome, Region, Status, StatusUpdate, Strategy
from core.progress import marks
from core.progress.filters import OutcomeFilter
from core.progress.schedule import Schedule, open_sql, schedule_sql

Rows = Sequence[dict[str, Any]]
_DIMS = {"region": ("region_id", "region"), "need": ("need_id", "need")}
_ORDER = {"region": "region_position", "need": "need_position"}
_SCHEDULE = ("open", "overdue", "due_soon")


def grouped(
    session: Session,
    flt: OutcomeFilter | None = None,
    *,
    today: date | None = None,
    soon_days: int = 0,
) -> list[dict[str, Any]]:
    """One row per region, need and logic model with outcomes: each status's count
    (keys are the statuses' words), their `total` and, given `today`, `open`,
    `overdue` and `due_soon`."""
    return list(tally(session, flt, today=today, soon_days=soon_days).rows)


# What one outcome adds to its row: its status's word and, given a day, whether it is
# open, overdue and due soon, as the bits of one number (by the SQL rules of
# core/progress/schedule).
Part = tuple[str, int]
_OPEN, _OVERDUE, _DUE_SOON = 4, 2, 1
Key = tuple[str, str, str]  # region, need and logic model ids: a row of `grouped`


@dataclass(frozen=True)
class Tally:
    """`grouped`'s rows for one filter, day and window as of `mark` (where they stopped
    reading the history: core/progress/marks.py), with what each outcome adds to
    them. A status save moves one outcome: `advance` moves its row, instead of scanning
    every outcome again (400 ms at 100,000 outcomes, on every page's first run after
    any save)."""

    flt: OutcomeFilter
    today: date | None
    soon_days: int
    mark: marks.Mark
    rows: tuple[dict[str, Any], ...]
    # outcome id → (its row's index, its strategy, its part); none when picked by status
    parts: Mapping[str, tuple[int, str, Part]]
    totals: Mapping[str, int]  # the rows' sums (`totals_of`), moved on with them
    # strategy id → its outcomes per status (every status), moved on with the rows: the
    # Timeline's strategy bars of a large plan. Empty when picked by status.
    strategies: Mapping[str, Mapping[str, int]]

    @property
    def figures(self) -> Figures:
        """What the pages read of it, without the parts (which stay with the live tally)."""
        return Figures(self.rows, self.totals, self.strategies)


@dataclass(frozen=True)
class Figures:
    """A tally's rows, their sums and each strategy's outcomes per status: what a page
    reads. Kept per data stamp by the views, so the parts are left out (each stamp's
    copy of them would hold some 15 MB at 100,000 outcomes)."""

    rows: tuple[dict[str, Any], ...]
    totals: Mapping[str, int]
    strategies: Mapping[str, Mapping[str, int]]


# More outcomes updated since than this share of the tally: scanning them all is cheaper.
ADVANCE_MAX_SHARE = 0.05


def tally(
    session: Session,
    flt: OutcomeFilter | None = None,
    *,
    today: date | None = None,
    soon_days: int = 0,
) -> Tally:
    """Every outcome the filter picks, summed per region, need and logic model."""
    flt = (flt or OutcomeFilter()).dated()
    mark = marks.mark(session)
    regions = {r[0]: r for r in session.exec(select(Region.id, Region.name, Region.position))}
    needs = {n[0]: n for n in session.exec(select(Need.id, Need.label, Need.position))}
    rows: list[dict[str, Any]] = []
    if flt.picks_by_status():
        # A save moves outcomes in or out, so this tally is never moved on: its sums
        # come from SQL, without a part per outcome (half the time at 100,000).
        for region_id, need_id, model_id, *sums in session.connection().execute(
            _sums_statement(flt, today, soon_days)
        ):
            row = _row((region_id, need_id, model_id), regions[region_id], needs[need_id], today)
            for name, value in zip(_SUMS, sums, strict=False):
                row[name] = int(value or 0)
            row["total"] = sum(row[word] for word in _STATUS_WORDS)
            rows.append(row)
        return Tally(flt, today, soon_days, mark, tuple(rows), {}, totals_of(rows), {})
    found = session.connection().execute(_parts_statement(flt, today, soon_days)).all()
    index: dict[Key, int] = {}
    parts: dict[str, tuple[int, str, Part]] = {}
    strategies: dict[str, dict[str, int]] = {}
    for outcome_id, region_id, need_id, model_id, strategy_id, status, code in sorted(
        found, key=_by_key
    ):
        key = (region_id, need_id, model_id)
        if (at := index.get(key)) is None:
            at = index[key] = len(rows)
            rows.append(_row(key, regions[region_id], needs[need_id], today))
        parts[outcome_id] = (at, strategy_id, _add(rows[at], (status, code), 1))
        if (per := strategies.get(strategy_id)) is None:
            per = strategies[strategy_id] = dict.fromkeys(_STATUS_WORDS, 0)
        if status in per:
            per[status] += 1
    totals = totals_of(rows)
    return Tally(flt, today, soon_days, mark, tuple(rows), parts, totals, strategies)


def _by_key(found: Any) -> Any:
    return found[1:4]


def advance(session: Session, base: Tally, now: marks.Mark | None = None) -> Tally:
    """`base` as the database stands now: the rows of the outcomes updated since its
    newest status update moved by their new parts (other rows shared with `base`,
    which is left as it was). The plan must be the one `base` was counted on (every
    other change to an outcome leaves a status update): callers key a tally on the
    plan stamp. Scanned again instead when the filter picks outcomes by status (a save
    moves them in or out), when many outcomes were updated, or when the history up to
    the tally's mark changed (an entry committed late, or a restore). `now`: the
    history's mark now, when the caller has read it (ui/data.py: from the data stamp)."""
    now = marks.current(session, base.mark, now)
    if now == base.mark:
        return base
    if base.flt.picks_by_status() or not marks.holds(session, base.mark, now):
        return _again(session, base)
    touched = set(
        session.exec(
            select(col(StatusUpdate.outcome_id))
            .where(col(StatusUpdate.id) > base.mark.last, col(StatusUpdate.id) <= now.last)
            .distinct()
        ).all()
    )
    if base.flt.outcome_ids:
        touched &= set(base.flt.outcome_ids)
    if len(touched) > max(1, ADVANCE_MAX_SHARE * len(base.parts)):
        return _again(session, base)
    if not touched:
        return replace(base, mark=now)
    found = (
        session.connection()
        .execute(
            _parts_statement(base.flt, base.today, base.soon_days).where(
                col(Outcome.id).in_(sorted(touched))
            )
        )
        .all()
    )
    if {r[0] for r in found} != touched & base.parts.keys():
        return _again(session, base)  # an outcome came into or left the filter
    rows = list(base.rows)
    parts = dict(base.parts)
    strategies = dict(base.strategies)
    moved: dict[int, dict[str, Any]] = {}
    for outcome_id, region_id, need_id, model_id, strategy_id, status, code in found:
        at, strategy_was, old = parts[outcome_id]
        if (region_id, need_id, model_id) != _key(rows[at]) or strategy_id != strategy_was:
            return _again(session, base)  # the plan moved it (its caller keys on the plan)
        new: Part = (status, code)
        if new == old:
            continue
        row = moved.get(at) or moved.setdefault(at, dict(rows[at]))
        _add(row, old, -1)
        parts[outcome_id] = (at, strategy_id, _add(row, new, 1))
        per = strategies[strategy_id] = dict(strategies[strategy_id])
        for word, step in ((old[0], -1), (status, 1)):
            if word in per:
                per[word] += step
    totals = dict(base.totals)
    for at, row in moved.items():
        for key in totals:
            totals[key] += row.get(key, 0) - base.rows[at].get(key, 0)
        rows[at] = row
    return replace(
        base,
        mark=now,
        rows=tuple(rows),
        parts=parts,
        totals=totals,
        strategies=strategies,
    )


def with_strategy_counts(
    spans: Sequence[dict[str, Any]], base: Tally | Figures
) -> list[dict[str, Any]] | None:
    """Strategy spans (`queries.strategy_spans` of the tally's filter, read when the plan
    was last changed: their dates and outcomes do not move with a save) given the
    tally's outcomes per status. None when the tally has no such counts (its filter
    picks by status) or they are not the spans' outcomes: then read them again."""
    out = []
    for span in spans:
        per = base.strategies.get(span["strategy_id"])
        if per is None or sum(per.values()) != span["outcomes"]:
            return None
        out.append({**span, **per})
    return out


class LiveTally(marks.Live[Tally]):
    """A tally kept current for one filter, day and window, shared by every session of
    a server (core/progress/marks.Live): each caller gets the rows as the database
    stands now, moved on from the last caller's by `advance`. Keep one per plan stamp."""

    def __init__(self, flt: OutcomeFilter, *, today: date | None, soon_days: int) -> None:
        def build(session: Session) -> Tally:
            return tally(session, flt, today=today, soon_days=soon_days)

        super().__init__(build, advance)


def _again(session: Session, base: Tally) -> Tally:
    return tally(session, base.flt, today=base.today, soon_days=base.soon_days)


def _key(row: dict[str, Any]) -> Key:
    return row["region_id"], row["need_id"], row["logic_model_id"]


def _row(key: Key, region: Any, need: Any, today: date | None) -> dict[str, Any]:
    region_id, need_id, model_id = key
    row: dict[str, Any] = {
        "region_id": region_id,
        "need_id": need_id,
        "logic_model_id": model_id,
        "region": region[1],
        "region_position": region[2],
        "need": need[1],
        "need_position": need[2],
    }
    row.update(dict.fromkeys(_STATUS_WORDS, 0), total=0)
    if today is not None:
        row.update(dict.fromkeys(_SCHEDULE, 0))
    return row


def _add(row: dict[str, Any], part: Part, sign: int) -> Part:
    """Count (sign 1) or uncount (-1) one outcome's part in its row; returns the part.
    As the SQL sums are: a status that is none of Status counts only as open."""
    status, code = part
    if status in _STATUSES:
        row[status] += sign
        row["total"] += sign
    if "open" in row:
        row["open"] += sign * (code & _OPEN > 0)
        row["overdue"] += sign * (code & _OVERDUE > 0)
        row["due_soon"] += sign * (code & _DUE_SOON > 0)
    return part


_STATUS_WORDS = tuple(s.value for s in Status)
_STATUSES = frozenset(_STATUS_WORDS)


# Built once per filter, day and window (its conditions and sums are a function of them
# alone): building them cost more than running them on the real plan. Statements are
# immutable, so threads share them (an advance adds the ids of the outcomes it reads
# again to its filter's). The ids of a row come from the tables the filter needs;
# the names and positions from the small region and need tables (joining them
# doubled the scan).
@lru_cache(maxsize=256)
def _parts_statement(flt: OutcomeFilter, today: date | None, soon_days: int) -> Any:
    """Each outcome's id, row, strategy, status and schedule bits."""
    open_, overdue, due_soon = _schedule_flags(today, soon_days)
    code = open_ * _OPEN + overdue * _OVERDUE + due_soon * _DUE_SOON
    columns = [col(Outcome.id), *_KEY_COLUMNS, col(Outcome.strategy_id), col(Outcome.status), code]
    return _over_outcomes(columns, flt)


@lru_cache(maxsize=256)
def _sums_statement(flt: OutcomeFilter, today: date | None, soon_days: int) -> Any:
    """Each row's outcomes per status (in Status's order) and, given a day, open,
    overdue and due soon: `_parts_statement`'s parts, summed by SQL."""
    statuses = [_flag(col(Outcome.status) == st.value) for st in Status]
    flags = list(_schedule_flags(today, soon_days)) if today is not None else []
    sums = [func.sum(flag) for flag in statuses + flags]
    return _over_outcomes([*_KEY_COLUMNS, *sums], flt).group_by(*_KEY_COLUMNS)


_KEY_COLUMNS = (col(LogicModel.region_id), col(Strategy.need_id), col(LogicModel.id))
_SUMS = (*_STATUS_WORDS, *_SCHEDULE)  # the sums statement's columns, in order


def _schedule_flags(today: date | None, soon_days: int) -> tuple[Any, Any, Any]:
    """Open, overdue and due soon as 0 or 1 (0 without a day)."""
    if today is None:
        return literal(0), literal(0), literal(0)
    return (
        _flag(open_sql()),
        _flag(schedule_sql(Schedule.OVERDUE, today, soon_days)),
        _flag(schedule_sql(Schedule.DUE_SOON, today, soon_days)),
    )


def _over_outcomes(columns: list[Any], flt: OutcomeFilter) -> Any:
    return (
        select(*columns)
        .select_from(Outcome)
        .join(Strategy, col(Strategy.id) == col(Outcome.strategy_id))
        .join(LogicModel, col(LogicModel.id) == col(Strategy.logic_model_id))
        .where(and_(True, *flt.conditions()))
    )


def _flag(test: Any) -> Any:
    return case((test, 1), else_=0)


def completion_of(rows: Rows, by: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Completion per group of `by` ("region", "need", both, or none: one statewide
    row, zeros when nothing matches), groups in the plan's order (then in the rows'):
    each with its names, `done`, `dropped`, `total`, `active` and `rate` (None with no
    active outcome)."""
    if not by:
        return [overall_in(totals_of(rows))]
    groups: dict[tuple, dict[str, Any]] = {}
    order: dict[tuple, tuple] = {}
    names = [k for d in by for k in _DIMS[d]]
    positions = [_ORDER[d] for d in by]
    done, dropped = Status.DONE.value, Status.DROPPED.value
    for r in rows:
        key = tuple(r[k] for k in names)
        if (row := groups.get(key)) is None:
            row = groups[key] = {k: r[k] for k in names} | {"done": 0, "dropped": 0, "total": 0}
            order[key] = (*(r[p] for p in positions), len(order))
        row["done"] += r[done]
        row["dropped"] += r[dropped]
        row["total"] += r["total"]
    for row in groups.values():
        _rate(row)
    return [groups[key] for key in sorted(groups, key=order.__getitem__)]


def _rate(row: dict[str, Any]) -> dict[str, Any]:
    row["active"] = row["total"] - row["dropped"]
    row["rate"] = row["done"] / row["active"] if row["active"] else None
    return row


# What the statewide figures sum: every status, the total and the schedule counts.
_COUNTED = (*(s.value for s in Status), "total", *_SCHEDULE)


def totals_of(rows: Rows) -> dict[str, int]:
    """Every count of the rows summed (the schedule counts 0 when they have none): the
    statewide figures are made of these (`status_counts_in`, `schedule_counts_in`,
    `overall_in`)."""
    out = dict.fromkeys(_COUNTED, 0)
    keys = [k for k in _COUNTED if rows and k in rows[0]]
    for r in rows:
        for k in keys:
            out[k] += r[k]
    return out


def status_counts_of(rows: Rows) -> dict[str, int]:
    """Outcomes per status, every status present, in the statuses' order."""
    return status_counts_in(totals_of(rows))


def status_counts_in(totals: Mapping[str, int]) -> dict[str, int]:
    return {s.value: totals[s.value] for s in Status}


def schedule_counts_of(rows: Rows) -> dict[str, int]:
    """Open, overdue, due-soon and blocked outcomes (rows of `grouped` given `today`)."""
    return schedule_counts_in(totals_of(rows))


def schedule_counts_in(totals: Mapping[str, int]) -> dict[str, int]:
    return {key: totals[key] for key in _SCHEDULE} | {"blocked": totals[Status.BLOCKED.value]}


def overall_in(totals: Mapping[str, int]) -> dict[str, Any]:
    """Completion of everything counted: `done`, `dropped`, `total`, `active`, `rate`."""
    done, dropped = totals[Status.DONE.value], totals[Status.DROPPED.value]
    return _rate({"done": done, "dropped": dropped, "total": totals["total"]})


def completion(
    session: Session, flt: OutcomeFilter | None = None, by: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    return completion_of(grouped(session, flt), by)


def status_counts(session: Session, flt: OutcomeFilter | None = None) -> dict[str, int]:
    return status_counts_of(grouped(session, flt))


def schedule_counts(
    session: Session, today: date, soon_days: int, flt: OutcomeFilter | None = None
) -> dict[str, int]:
    """Open, overdue and due-soon counts."""
    return schedule_counts_of(grouped(session, flt, today=today, soon_days=soon_days))
