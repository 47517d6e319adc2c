"""The plan's own evaluation (Appendix A): per region, now and period by period, how
much the tracker is used and whether regions act and collaborate: active leads, status
updates, open outcomes kept fresh, re-baselining, measures reported, days from due date
to Done, organisations contributing. Each figure is one SQL group-by."""

from __future__ import annotations

import math
import statistics
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, func, literal
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
    StatusUpdate,
    Strategy,
    User,
)
from core.partners.queries import survivors
from core.progress import counted
from core.progress.burnup import Period, period_key, period_sql
from core.progress.filters import OutcomeFilter
from core.progress.schedule import open_sql

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


def _flag(condition: Any) -> Any:
    """1 when `condition` holds, else 0: summed, the rows where it holds."""
    return case((condition, 1), else_=0)


class _Figures:
    """Every figure, keyed by (region id, period): one scan per table, grouped in SQL by
    region, period and whatever a distinct count needs (people, organisations,
    measures); Python adds the small groups up. Activity (updates, active leads) only
    since `since` when set; the rest over all time."""

    def __init__(self, session: Session, period: Period | None, since: datetime | None):
        self.session, self.period, self.since = session, period, since
        self.dialect = session.get_bind().dialect.name
        self.orgs = survivors(session)
        self.seen: set[str] = set()  # the periods of every row that makes a figure
        self.updates: dict[Key, int] = {}
        self.active: dict[Key, set[str]] = {}
        self.organisations: dict[Key, set[str]] = {}
        self.values: dict[Key, int] = {}
        self.measures: dict[Key, set[str]] = {}
        self.rebaselines: dict[Key, int] = {}
        self.last_rebaselined: dict[Any, Any] = {}
        self.done: dict[Key, list[int]] = {}

    def keys(self, when: Any, region: Any = _REGION) -> list[Any]:
        period = period_sql(when, self.dialect, self.period) if self.period else literal("")
        return [region.label("region_id"), period.label("period")]

    def _org(self, key: Key, org: str | None) -> None:
        if org is not None:
            self.organisations.setdefault(key, set()).add(self.orgs.get(org, org))
            self.seen.add(key[1])

    def history(self, assigned: dict[str, set[Any]]) -> None:
        """Status updates (counted ones; active leads: any entry by someone assigned to
        the region or one of its strategies) and comments (not removed)."""
        when = col(StatusUpdate.changed_at)
        recent = when >= self.since if self.since is not None else literal(True)
        counts = counted.counts_every()
        by, org = col(StatusUpdate.changed_by), col(StatusUpdate.organisation_id)
        keys = [*self.keys(when), by, org]
        sums = [
            func.sum(_flag(and_(counts, recent))),
            func.sum(_flag(recent)),
            func.sum(_flag(counts)),
        ]
        stmt = (
            _outcomes(*keys, *sums)
            .join(StatusUpdate, col(StatusUpdate.outcome_id) == col(Outcome.id))
            .group_by(*keys)
        )
        for region, period, who, org_id, kept_recent, any_recent, kept in self.session.exec(stmt):
            key = (region, period)
            if kept_recent:
                self.updates[key] = self.updates.get(key, 0) + kept_recent
                self.seen.add(period)
            if any_recent and region in assigned.get(who, ()):
                self.active.setdefault(key, set()).add(who)
                self.seen.add(period)
            if kept:
                self._org(key, org_id)
        when = col(Comment.created_at)
        stmt = (
            _outcomes(*self.keys(when), col(Comment.organisation_id))
            .join(Comment, col(Comment.outcome_id) == col(Outcome.id))
            .where(col(Comment.organisation_id).is_not(None), col(Comment.removed_at).is_(None))
            .distinct()
        )
        for region, period, org_id in self.session.exec(stmt):
            self._org((region, period), org_id)

    def measure_values(self) -> None:
        """Measure values that count (neither an undo nor undone) of current measures;
        by measure only when not by period (the distinct measures reported)."""
        undone = select(MeasureValue.reverts_id).where(col(MeasureValue.reverts_id).is_not(None))
        counts = [col(MeasureValue.reverts_id).is_(None), col(MeasureValue.id).not_in(undone)]
        org = col(MeasureValue.organisation_id)
        if self.period:
            keys = [
                *self.keys(col(MeasureValue.recorded_at), region_of_measure()),
                literal(""),
                org,
            ]
            stmt = (
                measure_joins(
                    _select([*keys, func.count()])
                    .select_from(MeasureValue)
                    .join(Measure, col(Measure.id) == col(MeasureValue.measure_id))
                )
                .where(*counts, col(Measure.retired).is_(False))
                .group_by(*keys)
            )
        else:
            # Counted per measure first: the joins to its region then run once a measure.
            per = (
                select(col(MeasureValue.measure_id), org, func.count().label("n"))
                .where(*counts)
                .group_by(col(MeasureValue.measure_id), org)
                .subquery()
            )
            region = region_of_measure()
            stmt = measure_joins(
                _select([region, literal(""), per.c.measure_id, per.c.organisation_id, per.c.n])
                .select_from(per)
                .join(Measure, col(Measure.id) == per.c.measure_id)
            ).where(col(Measure.retired).is_(False))
        for region, period, measure_id, org_id, n in self.session.exec(stmt):
            key = (region, period)
            self.values[key] = self.values.get(key, 0) + n
            self.measures.setdefault(key, set()).add(measure_id)
            self.seen.add(period)
            self._org(key, org_id)

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

    def outcomes_done(self) -> None:
        """Each outcome Done now: days from its due date to the (UTC) day it (last)
        became Done, in the period of that day."""
        done = Status.DONE.value
        stmt = (
            _outcomes(_REGION, col(Outcome.due_date), func.max(col(StatusUpdate.changed_at)))
            .join(StatusUpdate, col(StatusUpdate.outcome_id) == col(Outcome.id))
            .where(
                col(Outcome.status) == done,
                col(StatusUpdate.new_status) == done,
                col(StatusUpdate.old_status) != done,
                counted.counts_every(),  # not an undo, nor a move to Done undone since
            )
            .group_by(col(Outcome.id), _REGION, col(Outcome.due_date))
        )
        for region, due, done_at in self.session.exec(stmt):
            day = _utc_day(done_at)
            period = period_key(day, self.period) if self.period else ""
            self.done.setdefault((region, period), []).append((day - due).days)
            self.seen.add(period)


def _utc_day(when: datetime | str) -> date:
    """The UTC day of a time as the database returns it (naive times are UTC)."""
    moment = datetime.fromisoformat(when) if isinstance(when, str) else when
    return moment.astimezone(UTC).date() if moment.tzinfo else moment.date()


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


def _open_fresh(session: Session, since: datetime) -> dict[Any, tuple[int, int]]:
    recent = select(StatusUpdate.outcome_id).where(col(StatusUpdate.changed_at) >= since)
    fresh = func.sum(case((col(Outcome.id).in_(recent), 1), else_=0))
    stmt = _outcomes(_REGION, func.count(), fresh).where(open_sql()).group_by(_REGION)
    return {region: (n, f) for region, n, f in session.exec(stmt)}


def _regions(session: Session) -> list[tuple[str, str]]:
    return list(session.exec(select(Region.id, Region.name).order_by(col(Region.position))).all())


def _median(days: list[int]) -> float:
    return float(statistics.median(days)) if days else math.nan


def current(session: Session, today: date) -> pd.DataFrame:
    """One row per region: its figures today (activity over the last FRESH_DAYS days;
    measures, Done and organisations over all time)."""
    since = datetime.combine(today - timedelta(days=FRESH_DAYS), time(), tzinfo=UTC)
    f = _Figures(session, None, since)
    assigned, leads = _assignments(session)
    f.history(assigned)
    f.measure_values()
    f.rebaselined()
    f.outcomes_done()
    fresh = _open_fresh(session, since)
    regions = _regions(session)
    keys = [(r, "") for r, _ in regions]
    last = pd.Series([f.last_rebaselined.get(r, math.nan) for r, _ in regions], dtype=object)
    columns = {
        "region": pd.Series([name for _, name in regions], dtype="str"),
        "leads_assigned": [leads.get(r, 0) for r, _ in regions],
        "active_leads": [len(f.active.get(k, ())) for k in keys],
        "updates": [f.updates.get(k, 0) for k in keys],
        "open_outcomes": [fresh.get(r, (0, 0))[0] for r, _ in regions],
        "open_fresh_share": [
            fresh[r][1] / fresh[r][0] if r in fresh else math.nan for r, _ in regions
        ],
        "rebaselined": pd.Series(["No" if pd.isna(x) else "Yes" for x in last], dtype="str"),
        "last_rebaselined": pd.to_datetime(last, format="mixed").dt.date,
        "measures_reported": [len(f.measures.get(k, ())) for k in keys],
        "values_recorded": [f.values.get(k, 0) for k in keys],
        "outcomes_done": [len(f.done.get(k, ())) for k in keys],
        "median_days_to_done": [_median(f.done.get(k, [])) for k in keys],
        "organisations": [len(f.organisations.get(k, ())) for k in keys],
    }
    return _frame(columns, CURRENT)


def over_time(session: Session, today: date, period: Period = "month") -> pd.DataFrame:
    """One row per region and period (month "2026-12" or quarter "2026-Q4"), from the
    first period with any activity to this one."""
    f = _Figures(session, period, None)
    f.history(_assignments(session)[0])
    f.measure_values()
    f.rebaselined()
    f.outcomes_done()
    periods = _periods(f.seen, today, period)
    regions = _regions(session)
    keys = [(r, p) for r, _ in regions for p in periods]
    columns = {
        "region": pd.Series([name for _, name in regions for _ in periods], dtype="str"),
        "period": pd.Series([p for _, p in keys], dtype="str"),
        "active_leads": [len(f.active.get(k, ())) for k in keys],
        "updates": [f.updates.get(k, 0) for k in keys],
        "rebaselines": [f.rebaselines.get(k, 0) for k in keys],
        "values_recorded": [f.values.get(k, 0) for k in keys],
        "outcomes_done": [len(f.done.get(k, ())) for k in keys],
        "median_days_to_done": [_median(f.done.get(k, [])) for k in keys],
        "organisations": [len(f.organisations.get(k, ())) for k in keys],
    }
    return _frame(columns, SERIES)


_FLOATS = {"open_fresh_share", "median_days_to_done"}


def _frame(columns: dict[str, Any], order: list[str]) -> pd.DataFrame:
    """The one DataFrame: counts as int64, medians and shares as float64."""
    typed = {
        c: np.array(v, dtype=np.float64 if c in _FLOATS else np.int64) if isinstance(v, list) else v
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
