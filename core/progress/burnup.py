"""Progress against plan over time (the burn-up): by month, outcomes Done so far against
outcomes due so far, on current dates and on the report's dates; statewide, per region
or per need. Two SQL group-bys; Python runs the sums over the few rows they return
(a pandas reshape of them cost more than the queries)."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any, Literal

import pandas as pd
from sqlalchemy import Integer, String, and_, case, cast, func, literal
from sqlmodel import Session, col, select

from core.models import LogicModel, Need, Outcome, Region, Status, StatusUpdate, Strategy
from core.progress import marks
from core.progress.filters import OutcomeFilter

Period = Literal["month", "quarter"]
Group = Literal["region", "need"] | None
COLUMNS = ["key", "label", "order", "month", "done", "due_current", "due_report"]
STATEWIDE = "All outcomes"

_GROUP_COLUMNS: dict[str, Any] = {
    "region": col(LogicModel.region_id),
    "need": col(Strategy.need_id),
}


def period_sql(expr: Any, dialect: str, period: Period = "month") -> Any:
    """A date or time as the text of its period: "2026-12" (month) or "2026-Q4"."""
    if dialect == "postgresql":
        return func.to_char(expr, "YYYY-MM" if period == "month" else 'YYYY-"Q"Q')
    # SQLite keeps dates and times as ISO text ("2026-12-01 10:00:00.000000"): the
    # period is a prefix, which substr reads at a fraction of strftime's cost per row
    # (the burn-up and Evaluation group tens of thousands of rows by it).
    if period == "month":
        return func.substr(expr, 1, 7)
    quarter = (cast(func.substr(expr, 6, 2), Integer) + 2) // 3
    return func.substr(expr, 1, 4).concat("-Q").concat(cast(quarter, String))


def period_key(day: date, period: Period = "month") -> str:
    """`period_sql` in Python, for one day."""
    if period == "month":
        return f"{day:%Y-%m}"
    return f"{day.year}-Q{(day.month + 2) // 3}"


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _from_outcomes(columns: list[Any]) -> Any:
    return (
        select(*columns)
        .select_from(Outcome)
        .join(Strategy, col(Strategy.id) == col(Outcome.strategy_id))
        .join(LogicModel, col(LogicModel.id) == col(Strategy.logic_model_id))
    )


def _group(by: Group) -> Any:
    return _GROUP_COLUMNS[by] if by else literal("").label("key")


def _done_net(
    session: Session, flt: OutcomeFilter, by: Group, after: int = 0, upto: int | None = None
) -> Iterable[tuple[str, str, int]]:
    """Per group and month: outcomes that became Done minus outcomes that left Done
    (an undo of a Done is a step away from Done, so it counts -1), over the status
    updates numbered after `after` and up to `upto`. A sum over the history, which only grows:
    the sums of later updates add to those of earlier ones (`LiveSteps`)."""
    done = Status.DONE.value
    became = and_(col(StatusUpdate.new_status) == done, col(StatusUpdate.old_status) != done)
    left = and_(col(StatusUpdate.old_status) == done, col(StatusUpdate.new_status) != done)
    net = func.sum(case((became, 1), (left, -1), else_=0))
    key = _group(by).label("key")
    month = period_sql(col(StatusUpdate.changed_at), _dialect(session)).label("month")
    stmt = (
        _from_outcomes([key, month, net.label("n")])
        .join(StatusUpdate, col(StatusUpdate.outcome_id) == col(Outcome.id))
        .where(and_(True, *flt.conditions()), became | left, col(StatusUpdate.id) > after)
        .group_by(key, month)
    )
    if upto is not None:
        stmt = stmt.where(col(StatusUpdate.id) <= upto)
    return session.exec(stmt).all()


Which = Literal["kept", "dropped", "every"]


def _due(
    session: Session, flt: OutcomeFilter, by: Group, which: Which = "kept"
) -> Iterable[tuple[str, str, str, int]]:
    """Per group and pair of months: outcomes due in the current date's month and the
    report's, one scan grouped by both months at once; of the outcomes not Dropped
    (`kept`), the Dropped ones alone, or `every` one (kept = every - dropped: the
    plan's part is read once, a save moves only the few Dropped)."""
    key = _group(by).label("key")
    dialect = _dialect(session)
    current = period_sql(col(Outcome.due_date), dialect).label("current")
    report = period_sql(col(Outcome.baseline_due_date), dialect).label("report")
    stmt = (
        _from_outcomes([key, current, report, func.count().label("n")])
        .where(and_(True, *flt.conditions()), *_dropped_or_not(which))
        .group_by(key, current, report)
    )
    return session.exec(stmt).all()


def _dropped_or_not(which: Which) -> list[Any]:
    dropped = col(Outcome.status) == Status.DROPPED.value
    return {"kept": [~dropped], "dropped": [dropped], "every": []}[which]


Steps = dict[tuple[str, str], list[int]]  # (group, month) → [done, due now, due in report]


def steps_of(session: Session, flt: OutcomeFilter, by: Group) -> Steps:
    """What each group's figures change by in each month, from the whole history."""
    steps: Steps = defaultdict(lambda: [0, 0, 0])
    for key, month, n in _done_net(session, flt, by):
        steps[str(key), month][0] += int(n)
    for key, current, report, n in _due(session, flt, by):
        steps[str(key), current][1] += int(n)
        steps[str(key), report][2] += int(n)
    return steps


class LiveSteps:
    """`steps_of` for one filter and grouping, kept current for every session of a
    server: the Done steps of the status updates since the last call are added to
    those counted before (the history only grows), and the due counts are the plan's
    (read once) less the Dropped outcomes' (a few, read along the status index). Keep
    one per plan stamp; a filter that picks outcomes by status is read whole."""

    def __init__(self, flt: OutcomeFilter, by: Group) -> None:
        self._lock = threading.Lock()
        self._flt, self._by = flt, by
        self._mark: marks.Mark | None = None  # where the Done steps stopped reading
        self._done: dict[tuple[str, str], int] = {}
        self._every: list[tuple[str, str, str, int]] | None = None

    def steps(self, session: Session, now: marks.Mark | None = None) -> Steps:
        """`now`: the history's mark, when the caller has read it."""
        flt, by = self._flt, self._by
        if flt.picks_by_status():
            return steps_of(session, flt, by)
        with self._lock:
            now = marks.current(session, self._mark, now)
            if self._mark not in (None, now) and not marks.holds(session, self._mark, now):
                self._mark, self._done = None, {}  # an entry came late: count them all again
            if self._every is None:
                self._every = [tuple(r) for r in _due(session, flt, by, "every")]  # type: ignore[misc]
            if now != self._mark:
                after = self._mark.last if self._mark is not None else 0
                done = dict(self._done)
                for key, month, n in _done_net(session, flt, by, after=after, upto=now.last):
                    done[str(key), month] = done.get((str(key), month), 0) + int(n)
                self._done, self._mark = done, now
            done_steps, every = self._done, self._every
        steps: Steps = defaultdict(lambda: [0, 0, 0])
        for (key, month), n in done_steps.items():
            steps[key, month][0] += n
        kept = {(str(k), c, r): int(n) for k, c, r, n in every}
        for key, current, report, n in _due(session, flt, by, "dropped"):
            kept[str(key), current, report] = kept.get((str(key), current, report), 0) - int(n)
        for (key, current, report), n in kept.items():
            if n > 0:  # as `_due` of the kept outcomes gives: no row for none
                steps[key, current][1] += n
                steps[key, report][2] += n
        return steps


def _month_range(first: str, last: str) -> list[str]:
    """Every month from `first` to `last` ("2026-12"), both included."""
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while (key := f"{year:04d}-{month:02d}") <= last:
        months.append(key)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _labels(session: Session, by: Group) -> dict[str, str]:
    """Each group's name in the plan's order (regions by position, needs by position)."""
    if by == "region":
        rows = session.exec(select(Region.id, Region.name).order_by(col(Region.position))).all()
    elif by == "need":
        rows = session.exec(select(Need.id, Need.label).order_by(col(Need.position))).all()
    else:
        rows = [("", STATEWIDE)]
    return {key: label for key, label in rows}


def burnup(
    session: Session,
    flt: OutcomeFilter | None = None,
    *,
    today: date,
    by: Group = None,
    limit: int | None = None,
    steps: Steps | None = None,
) -> pd.DataFrame:
    """One row per group (`key`, `label`, `order`) and month (first day, a Timestamp):
    `done` (outcomes Done at the month's end; null after this month), `due_current`
    and `due_report` (outcomes not Dropped due by the month's end, on current and on
    the report's dates). Months run from the first event to the last due date (or
    this month, if later); groups with no outcomes are left out, and only the first
    `limit` groups are kept (`attrs["groups"]` counts them all). `steps`: those of
    `steps_of` for the same filter and grouping, when the caller keeps them
    (`LiveSteps`)."""
    flt = flt or OutcomeFilter()
    if steps is None:
        steps = steps_of(session, flt, by)
    if not steps:
        return pd.DataFrame(columns=COLUMNS)
    labels = _labels(session, by)
    present = {key for key, _ in steps}
    keys = [k for k in labels if k in present]
    groups, keys = len(keys), keys[:limit]
    now = period_key(today)
    kept = set(keys)
    seen = [month for key, month in steps if key in kept]
    months = _month_range(min([*seen, now]), max([*seen, now]))
    starts = list(pd.to_datetime([f"{m}-01" for m in months]))
    columns: dict[str, list[Any]] = {name: [] for name in COLUMNS}
    for order, key in enumerate(keys):
        done = due_current = due_report = 0
        for month, start in zip(months, starts, strict=True):
            step = steps.get((key, month))
            if step:
                done, due_current, due_report = (
                    done + step[0],
                    due_current + step[1],
                    due_report + step[2],
                )
            for name, value in zip(
                COLUMNS,
                (
                    key,
                    labels[key],
                    order,
                    start,
                    done if month <= now else None,
                    due_current,
                    due_report,
                ),
                strict=True,
            ):
                columns[name].append(value)
    out = pd.DataFrame(columns)
    out["done"] = pd.array(columns["done"], dtype="Int64")
    out.attrs["groups"] = groups
    return out


def standing(frame: pd.DataFrame, today: date) -> pd.DataFrame:
    """Each group's row for this month: the figures "by now"."""
    if frame.empty:
        return frame
    month = pd.Timestamp(today).to_period("M").start_time
    return frame[frame["month"] == month].reset_index(drop=True)
