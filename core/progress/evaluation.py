"""The plan's own evaluation (Appendix A): per region, now and period by period, how
much the tracker is used and whether regions act and collaborate: active leads, status
updates, open outcomes kept fresh, re-baselining, measures reported, days from due date
to Done, organisations contributing. The status updates' figures are sums over the
history's rows (core/progress/entries.py, which a server keeps current), the measure
values' are sums a server keeps until a value is added; comments and re-baselines are
one SQL group-by each."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import String, and_, cast, func, literal
from sqlmodel import Session, col, select

from core.measures.queries import measure_joins, region_of_measure
from core.models import (
    Assignment,
    ChangeAction,
    Comment,
    LogicModel,
    Measure,
    MeasureValue,
    Outcome,
    PlanChange,
    Region,
    Status,
    Strategy,
    User,
)
from core.partners.queries import survivors
from core.progress import counts, entries
from core.progress.burnup import Period, period_key, period_sql
from core.progress.filters import OutcomeFilter
from core.progress.schedule import CLOSED

FRESH_DAYS = 90  # "updated in the last 90 days"
APPENDIX_A = (
    "assess whether this tool helps regions implement more comprehensive and effective "
    "anti-trafficking efforts as well as increase collaboration among resources"
)
# Column names in words, for tables and files.
LABELS = {
    "region": "Region",
    "period": "Period",
    "leads_assigned": "Leads assigned",
    "active_leads": "Active leads",
    "updates": "Status updates",
    "open_outcomes": "Open outcomes",
    "open_fresh_share": f"Share of open outcomes updated in the last {FRESH_DAYS} days",
    "rebaselined": "Re-baselined",
    "last_rebaselined": "Last re-baselined",
    "rebaselines": "Logic models re-baselined",
    "measures_reported": "Measures reported",
    "values_recorded": "Measure values recorded",
    "outcomes_done": "Outcomes done",
    "median_days_to_done": "Median days from due date to Done",
    "organisations": "Organisations contributing",
}
CURRENT = [
    "region",
    "leads_assigned",
    "active_leads",
    "updates",
    "open_outcomes",
    "open_fresh_share",
    "rebaselined",
    "last_rebaselined",
    "measures_reported",
    "values_recorded",
    "outcomes_done",
    "median_days_to_done",
    "organisations",
]
SERIES = [
    "region",
    "period",
    "active_leads",
    "updates",
    "rebaselines",
    "values_recorded",
    "outcomes_done",
    "median_days_to_done",
    "organisations",
]
_REGION = col(LogicModel.region_id)


Key = tuple[Any, str]  # (region id, period): the period "" when not by period


def _select(columns: list[Any]) -> Any:
    """select() of a list of columns: more, or less typed, than its overloads take."""
    return select(*columns)


def _outcomes(*columns: Any) -> Any:
    """`columns` over the plan's outcomes (retired ones left out), with their region."""
    return (
        select(*columns)
        .select_from(Outcome)
        .join(Strategy, col(Strategy.id) == col(Outcome.strategy_id))
        .join(LogicModel, col(LogicModel.id) == col(Strategy.logic_model_id))
        .where(and_(True, *OutcomeFilter().conditions()))
    )


def _keys(when: Any, dialect: str, period: Period | None, region: Any = _REGION) -> list[Any]:
    """A row's region and period ("" when not by period), to group by."""
    text = period_sql(when, dialect, period) if period else literal("")
    return [region.label("region_id"), text.label("period")]


@dataclass(frozen=True)
class ValueSums:
    """The measure values' figures per (region id, period): how many values count,
    how many measures they report, and the organisations that recorded them (merges
    followed). `measure_value_sums`."""

    values: Mapping[Key, int]
    measures: Mapping[Key, int]
    organisations: Mapping[Key, frozenset[str]]


def measure_value_sums(session: Session, period: Period | None) -> ValueSums:
    """Measure values that count (neither an undo nor undone) of current measures, per
    region, period, organisation and, when not by period, measure (the distinct
    measures reported). Only a value, an undo or a plan change (organisations merged
    too) moves them: callers may keep them on core/progress/queries.measures_stamp."""
    undone = select(MeasureValue.reverts_id).where(col(MeasureValue.reverts_id).is_not(None))
    counts_ = [col(MeasureValue.reverts_id).is_(None), col(MeasureValue.id).not_in(undone)]
    org = col(MeasureValue.organisation_id)
    if period:
        dialect = session.get_bind().dialect.name
        keys = [
            *_keys(col(MeasureValue.recorded_at), dialect, period, region_of_measure()),
            literal(""),
            org,
        ]
        stmt = (
            measure_joins(
                _select([*keys, func.count()])
                .select_from(MeasureValue)
                .join(Measure, col(Measure.id) == col(MeasureValue.measure_id))
            )
            .where(*counts_, col(Measure.retired).is_(False))
            .group_by(*keys)
        )
    else:
        # Counted per measure first: the joins to its region then run once a measure.
        per = (
            select(col(MeasureValue.measure_id), org, func.count().label("n"))
            .where(*counts_)
            .group_by(col(MeasureValue.measure_id), org)
            .subquery()
        )
        region = region_of_measure()
        stmt = measure_joins(
            _select([region, literal(""), per.c.measure_id, per.c.organisation_id, per.c.n])
            .select_from(per)
            .join(Measure, col(Measure.id) == per.c.measure_id)
        ).where(col(Measure.retired).is_(False))
    merged = survivors(session)
    values: dict[Key, int] = {}
    measures: dict[Key, set[str]] = {}
    organisations: dict[Key, set[str]] = {}
    for region, period_, measure_id, org_id, n in session.exec(stmt):
        key = (region, period_)
        values[key] = values.get(key, 0) + int(n)
        measures.setdefault(key, set()).add(measure_id)
        if org_id:
            organisations.setdefault(key, set()).add(merged.get(org_id, org_id))
    return ValueSums(
        values,
        {k: len(v) for k, v in measures.items()},
        {k: frozenset(v) for k, v in organisations.items()},
    )


class _Figures:
    """Every figure, keyed by (region id, period): the status updates' from one pass
    over the history's rows, the measure values' from their sums, comments and
    re-baselines grouped in SQL. Activity (updates, active leads) only since `since`
    when set; the rest over all time."""

    def __init__(self, session: Session, period: Period | None, since: datetime | None):
        self.session, self.period, self.since = session, period, since
        self.dialect = session.get_bind().dialect.name
        self.orgs = survivors(session)
        self.seen: set[str] = set()  # the periods of every row that makes a figure
        self.updates: dict[Key, int] = {}
        self.active: dict[Key, set[str]] = {}
        self.organisations: dict[Key, set[str]] = {}
        self.values: Mapping[Key, int] = {}
        self.measures: Mapping[Key, int] = {}  # distinct measures reported
        self.rebaselines: dict[Key, int] = {}
        self.last_rebaselined: dict[Any, Any] = {}
        self.done: dict[Key, tuple[int, float]] = {}  # outcomes done, median days

    def keys(self, when: Any, region: Any = _REGION) -> list[Any]:
        return _keys(when, self.dialect, self.period, region)

    def _org(self, key: Key, org: str | None) -> None:
        if org:  # neither None nor the history's "" for none
            self.organisations.setdefault(key, set()).add(self.orgs.get(org, org))
            self.seen.add(key[1])

    def _period_of(self) -> Callable[[str], str]:
        """The period of a month of the history ("2026-12"; "" when not by period)."""
        if not self.period:
            return lambda month: ""
        if self.period == "month":
            return str
        names: dict[str, str] = {}

        def quarter(month: str) -> str:
            if (name := names.get(month)) is None:
                name = names[month] = period_key(date(int(month[:4]), int(month[5:]), 1), "quarter")
            return name

        return quarter

    def history(self, assigned: dict[str, set[Any]], kept: entries.Entries) -> None:
        """Status updates (counted ones; active leads: any entry by someone assigned to
        the region or one of its strategies) and comments (not removed)."""
        since = entries.utc(self.since) if self.since is not None else None
        period_of = self._period_of()
        updates, active = self.updates, self.active
        orgs: set[tuple[Key, str]] = set()
        nobody: set[Any] = set()
        # One pass over some 60,000 rows at 100,000 outcomes: the rows unpacked in the
        # loop (a NamedTuple's attributes cost more), each distinct pair added once.
        for (_, _, region, at, month, who, org, _, _, _), counts_ in kept.counted():
            key = (region, period_of(month))
            if since is not None and at < since:
                if counts_ and org:
                    orgs.add((key, org))
                continue
            if counts_:
                updates[key] = updates.get(key, 0) + 1
                if org:
                    orgs.add((key, org))
            if region in assigned.get(who, nobody):
                active.setdefault(key, set()).add(who)
        for key, org in orgs:
            self._org(key, org)
        self.seen.update(period for _, period in updates)
        self.seen.update(period for _, period in active)
        when = col(Comment.created_at)
        stmt = (
            _outcomes(*self.keys(when), col(Comment.organisation_id))
            .join(Comment, col(Comment.outcome_id) == col(Outcome.id))
            .where(col(Comment.organisation_id).is_not(None), col(Comment.removed_at).is_(None))
            .distinct()
        )
        for region, period, org_id in self.session.exec(stmt):
            self._org((region, period), org_id)

    def measure_values(self, sums: ValueSums) -> None:
        """`measure_value_sums` of this period (by measure when not by period)."""
        self.values, self.measures = sums.values, sums.measures
        for key, orgs in sums.organisations.items():
            self.organisations.setdefault(key, set()).update(orgs)
        self.seen.update(period for _, period in sums.values)

    def rebaselined(self) -> None:
        when = col(PlanChange.changed_at)
        keys = self.keys(when)
        stmt = (
            _select([*keys, func.count(), func.max(when)])
            .select_from(PlanChange)
            .join(LogicModel, col(LogicModel.id) == col(PlanChange.subject_id))
            .where(
                col(PlanChange.subject_kind) == "logic_model",
                col(PlanChange.action) == ChangeAction.REBASELINED.value,
            )
            .group_by(*keys)
        )
        for region, period, n, last in self.session.exec(stmt):
            self.rebaselines[(region, period)] = n
            self.last_rebaselined[region] = last
            self.seen.add(period)

    def outcomes_done(self, done: DoneDays) -> None:
        """`done_days` per region and period: how many, and their median."""
        period_of = self._period_of()
        days: dict[Key, list[int]] = {}
        for region, month, n in done:
            days.setdefault((region, period_of(month)), []).append(n)
        for key, values in days.items():
            self.done[key] = (len(values), float(statistics.median(values)))
            self.seen.add(key[1])


# Outcome id → its status and due date, of every outcome closed now: `closed_outcomes`.
Closed = dict[str, tuple[str, date]]
# (region id, month, days from the due date to Done) of each outcome Done: `done_days`.
DoneDays = list[tuple[Any, str, int]]


def closed_outcomes(session: Session) -> Closed:
    """Every outcome closed now (Done or Dropped: core/progress/schedule.CLOSED), with
    its status and due date; retired ones too (the history's rows leave them out).
    Along the status index, without the plan's joins, the dates read as text: some
    12,000 of 100,000."""
    stmt = select(col(Outcome.id), col(Outcome.status), cast(col(Outcome.due_date), String))
    rows = session.exec(stmt.where(col(Outcome.status).in_(CLOSED))).all()
    return {o: (status, date.fromisoformat(due)) for o, status, due in rows}


def done_days(kept: entries.Entries, closed: Closed) -> DoneDays:
    """Each outcome Done now: its region, the month of the (UTC) day it last became
    Done by an entry that counts (not an undo, nor a move to Done undone since) and the
    days from its due date to that day (below zero: done early)."""
    done = Status.DONE.value
    last: dict[str, entries.Entry] = {}
    for entry, counts_ in kept.counted():
        if counts_ and entry.new == done and entry.old != done:
            known = last.get(entry.outcome)
            if known is None or entry.at > known.at:
                last[entry.outcome] = entry
    out: DoneDays = []
    for outcome_id, entry in last.items():
        status, due = closed.get(outcome_id, ("", None))
        if status == done and due is not None:
            out.append((entry.region, entry.month, (entry.at.date() - due).days))
    return out


def _assignments(session: Session) -> tuple[dict[str, set[Any]], dict[Any, int]]:
    """Each person's regions (assigned to the region, or to one of its strategies), and
    per region the active people assigned to it."""
    stmt = (
        _select(
            [
                col(User.username),
                col(User.id),
                col(User.active).is_(True),
                col(Assignment.region_id),
                col(LogicModel.region_id),
            ]
        )
        .select_from(Assignment)
        .join(User, col(User.id) == col(Assignment.user_id))
        .outerjoin(Strategy, col(Strategy.id) == col(Assignment.strategy_id))
        .outerjoin(LogicModel, col(LogicModel.id) == col(Strategy.logic_model_id))
    )
    regions: dict[str, set[Any]] = {}
    leads: dict[Any, set[int]] = {}
    for username, user_id, active, own, of_strategy in session.exec(stmt):
        regions.setdefault(username, set()).update({own, of_strategy} - {None})
        if active:
            region = own if own is not None else of_strategy
            leads.setdefault(region, set()).add(user_id)
    return regions, {r: len(people) for r, people in leads.items()}


def _open_fresh(
    kept: entries.Entries, since: datetime, rows: counts.Rows, closed: Closed
) -> dict[Any, tuple[int, int]]:
    """Per region with open outcomes: how many (the sum of `rows`, core/progress/counts'
    rows of the whole plan with a day) and how many of them have a status update since
    `since`."""
    opened: dict[Any, int] = {}
    for row in rows:
        opened[row["region_id"]] = opened.get(row["region_id"], 0) + row["open"]
    after = entries.utc(since)
    fresh: dict[str, Any] = {
        e.outcome: e.region for e in kept.rows() if e.at >= after and e.outcome not in closed
    }
    per_region: dict[Any, int] = {}
    for region in fresh.values():
        per_region[region] = per_region.get(region, 0) + 1
    return {r: (n, per_region.get(r, 0)) for r, n in opened.items() if n}


def _regions(session: Session) -> list[tuple[str, str]]:
    return list(session.exec(select(Region.id, Region.name).order_by(col(Region.position))).all())


class _Grid:
    """Each figure's column over every region × period (in that order), from its values
    by (region id, period): the others are `empty`."""

    def __init__(self, regions: list[tuple[str, str]], periods: list[str]) -> None:
        self.regions = {r: i for i, (r, _) in enumerate(regions)}
        self.periods = {p: i for i, p in enumerate(periods)}

    def __call__(self, values: Mapping[Key, Any], empty: float = 0) -> np.ndarray:
        width = len(self.periods)
        out = np.full(len(self.regions) * width, empty, dtype=np.float64)
        for (region, period), value in values.items():
            r, p = self.regions.get(region), self.periods.get(period)
            if r is not None and p is not None:
                out[r * width + p] = value
        return out


def _sizes(values: Mapping[Key, Any]) -> dict[Key, int]:
    return {k: len(v) for k, v in values.items()}


def current(
    session: Session,
    today: date,
    *,
    kept: entries.Entries | None = None,
    values: ValueSums | None = None,
    rows: counts.Rows | None = None,
    closed: Closed | None = None,
    done: DoneDays | None = None,
) -> pd.DataFrame:
    """One row per region: its figures today (activity over the last FRESH_DAYS days;
    measures, Done and organisations over all time). A server passes what it keeps:
    the history's columns (`kept`: core/progress/entries.py), `measure_value_sums`
    (`values`, by measure), the whole plan's counts for `today` (`rows`),
    `closed_outcomes` and their `done_days`; each is read now when not given."""
    since = datetime.combine(today - timedelta(days=FRESH_DAYS), time(), tzinfo=UTC)
    kept = kept if kept is not None else entries.read(session)
    closed = closed if closed is not None else closed_outcomes(session)
    f = _Figures(session, None, since)
    assigned, leads = _assignments(session)
    f.history(assigned, kept)
    f.measure_values(values if values is not None else measure_value_sums(session, None))
    f.rebaselined()
    f.outcomes_done(done if done is not None else done_days(kept, closed))
    if rows is None:
        rows = counts.grouped(session, today=today)
    fresh = _open_fresh(kept, since, rows, closed)
    regions = _regions(session)
    column = _Grid(regions, [""])
    last = pd.Series([f.last_rebaselined.get(r, math.nan) for r, _ in regions], dtype=object)
    columns = {
        "region": pd.Series([name for _, name in regions], dtype="str"),
        "leads_assigned": [leads.get(r, 0) for r, _ in regions],
        "active_leads": column(_sizes(f.active)),
        "updates": column(f.updates),
        "open_outcomes": [fresh.get(r, (0, 0))[0] for r, _ in regions],
        "open_fresh_share": [
            fresh[r][1] / fresh[r][0] if r in fresh else math.nan for r, _ in regions
        ],
        "rebaselined": pd.Series(["No" if pd.isna(x) else "Yes" for x in last], dtype="str"),
        "last_rebaselined": pd.to_datetime(last, format="mixed").dt.date,
        "measures_reported": column(f.measures),
        "values_recorded": column(f.values),
        "outcomes_done": column({k: n for k, (n, _) in f.done.items()}),
        "median_days_to_done": column({k: m for k, (_, m) in f.done.items()}, math.nan),
        "organisations": column(_sizes(f.organisations)),
    }
    return _frame(columns, CURRENT)


def over_time(
    session: Session,
    today: date,
    period: Period = "month",
    *,
    kept: entries.Entries | None = None,
    values: ValueSums | None = None,
    closed: Closed | None = None,
    done: DoneDays | None = None,
) -> pd.DataFrame:
    """One row per region and period (month "2026-12" or quarter "2026-Q4"), from the
    first period with any activity to this one. `kept`, `values`, `closed` and `done`
    as for `current` (`values` by this period)."""
    kept = kept if kept is not None else entries.read(session)
    closed = closed if closed is not None else closed_outcomes(session)
    f = _Figures(session, period, None)
    f.history(_assignments(session)[0], kept)
    f.measure_values(values if values is not None else measure_value_sums(session, period))
    f.rebaselined()
    f.outcomes_done(done if done is not None else done_days(kept, closed))
    periods = _periods(f.seen, today, period)
    regions = _regions(session)
    column = _Grid(regions, periods)
    columns = {
        "region": pd.Series(np.repeat([name for _, name in regions], len(periods)), dtype="str"),
        "period": pd.Series(np.tile(np.array(periods, dtype=object), len(regions)), dtype="str"),
        "active_leads": column(_sizes(f.active)),
        "updates": column(f.updates),
        "rebaselines": column(f.rebaselines),
        "values_recorded": column(f.values),
        "outcomes_done": column({k: n for k, (n, _) in f.done.items()}),
        "median_days_to_done": column({k: m for k, (_, m) in f.done.items()}, math.nan),
        "organisations": column(_sizes(f.organisations)),
    }
    return _frame(columns, SERIES)


_FLOATS = {"open_fresh_share", "median_days_to_done"}


def _frame(columns: dict[str, Any], order: list[str]) -> pd.DataFrame:
    """The one DataFrame: counts as int64, medians and shares as float64."""
    typed = {
        c: np.asarray(v, dtype=np.float64 if c in _FLOATS else np.int64)
        if isinstance(v, list | np.ndarray)
        else v
        for c, v in columns.items()
    }
    return pd.DataFrame({c: typed[c] for c in order})


def _periods(seen: set[str], today: date, period: Period) -> list[str]:
    """Every period from the first one `seen` (or this one) to this one."""
    per_year = 12 if period == "month" else 4
    now = today.year * per_year + (today.month - 1) * per_year // 12
    # "2026-07" → 2026 × 12 + 6; "2026-Q3" → 2026 × 4 + 2
    first = min([now, *(int(p[:4]) * per_year + int(p[-2:].lstrip("Q")) - 1 for p in seen if p)])
    months = 12 // per_year
    return [
        period_key(date(n // per_year, n % per_year * months + 1, 1), period)
        for n in range(first, now + 1)
    ]


def with_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with its columns named in words (LABELS)."""
    return frame.rename(columns=LABELS)
