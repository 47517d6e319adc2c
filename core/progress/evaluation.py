"""The plan's own evaluation (Appendix A): per region, now and period by period, how
much the tracker is used and whether regions act and collaborate: active leads, status
updates, open outcomes kept fresh, re-baselining, measures reported, days from due date
to Done, organisations contributing. Each figure is one SQL group-by."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import and_, case, func, literal, or_, union_all
from sqlalchemy.orm import aliased
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


class _Query:
    """The figures' shared shape: grouped by region and, when `period` is set, by the
    period of each row's time; only rows since `since` when it is set."""

    def __init__(self, session: Session, period: Period | None, since: datetime | None):
        self.session, self.period, self.since = session, period, since
        self.dialect = session.get_bind().dialect.name

    def keys(self, when: Any, region: Any = _REGION) -> list[Any]:
        keys = [region.label("region_id")]
        period = period_sql(when, self.dialect, self.period) if self.period else literal("")
        return [*keys, period.label("period")]

    def window(self, when: Any) -> list[Any]:
        return [when >= self.since] if self.since else []

    def frame(self, stmt: Any, name: str) -> pd.DataFrame:
        rows = self.session.exec(stmt).all()
        return pd.DataFrame(rows, columns=["region_id", "period", name])


def _updates(q: _Query) -> pd.DataFrame:
    when = col(StatusUpdate.changed_at)
    keys = q.keys(when)
    stmt = (
        _outcomes(*keys, func.count(col(StatusUpdate.id)))
        .join(StatusUpdate, col(StatusUpdate.outcome_id) == col(Outcome.id))
        .where(counted.counts(), *q.window(when))
        .group_by(*keys)
    )
    return q.frame(stmt, "updates")


def _active_leads(q: _Query) -> pd.DataFrame:
    """Distinct people with an assignment in the region (the region, or one of its
    strategies) who recorded a status update on one of its outcomes."""
    when = col(StatusUpdate.changed_at)
    s2, lm2 = aliased(Strategy), aliased(LogicModel)
    theirs = (
        select(s2.id)
        .join(lm2, col(lm2.id) == col(s2.logic_model_id))
        .where(col(lm2.region_id) == _REGION)
    )
    assigned = (
        select(Assignment.id)
        .where(
            col(Assignment.user_id) == col(User.id),
            or_(col(Assignment.region_id) == _REGION, col(Assignment.strategy_id).in_(theirs)),
        )
        .exists()
    )
    keys = q.keys(when)
    stmt = (
        _outcomes(*keys, func.count(func.distinct(col(StatusUpdate.changed_by))))
        .join(StatusUpdate, col(StatusUpdate.outcome_id) == col(Outcome.id))
        .join(User, col(User.username) == col(StatusUpdate.changed_by))
        .where(assigned, *q.window(when))
        .group_by(*keys)
    )
    return q.frame(stmt, "active_leads")


def _leads_assigned(session: Session) -> dict[str, int]:
    region = func.coalesce(col(Assignment.region_id), _REGION)
    stmt = (
        select(region, func.count(func.distinct(col(Assignment.user_id))))
        .select_from(Assignment)
        .join(User, col(User.id) == col(Assignment.user_id))
        .outerjoin(Strategy, col(Strategy.id) == col(Assignment.strategy_id))
        .outerjoin(LogicModel, col(LogicModel.id) == col(Strategy.logic_model_id))
        .where(col(User.active).is_(True))
        .group_by(region)
    )
    return dict(session.exec(stmt).all())


def _open_fresh(session: Session, since: datetime) -> pd.DataFrame:
    recent = select(StatusUpdate.outcome_id).where(col(StatusUpdate.changed_at) >= since)
    fresh = func.sum(case((col(Outcome.id).in_(recent), 1), else_=0))
    stmt = _outcomes(_REGION, func.count(), fresh).where(open_sql()).group_by(_REGION)
    return pd.DataFrame(session.exec(stmt).all(), columns=["region_id", "open_outcomes", "fresh"])


def _rebaselines(q: _Query) -> pd.DataFrame:
    when = col(PlanChange.changed_at)
    keys = q.keys(when)
    stmt = (
        _select([*keys, func.count(), func.max(when)])
        .select_from(PlanChange)
        .join(LogicModel, col(LogicModel.id) == col(PlanChange.subject_id))
        .where(
            col(PlanChange.subject_kind) == "logic_model",
            col(PlanChange.action) == ChangeAction.REBASELINED.value,
            *q.window(when),
        )
        .group_by(*keys)
    )
    rows = q.session.exec(stmt).all()
    return pd.DataFrame(rows, columns=["region_id", "period", "rebaselines", "last_rebaselined"])


def _values(q: _Query) -> pd.DataFrame:
    """Measure values that count (neither an undo nor undone), and the distinct
    measures they belong to."""
    when = col(MeasureValue.recorded_at)
    region = region_of_measure()
    undone = select(MeasureValue.reverts_id).where(col(MeasureValue.reverts_id).is_not(None))
    keys = q.keys(when, region)
    stmt = (
        measure_joins(
            _select([*keys, func.count(), func.count(func.distinct(col(MeasureValue.measure_id)))])
            .select_from(MeasureValue)
            .join(Measure, col(Measure.id) == col(MeasureValue.measure_id))
        )
        .where(
            col(MeasureValue.reverts_id).is_(None),
            col(MeasureValue.id).not_in(undone),
            col(Measure.retired).is_(False),
            *q.window(when),
        )
        .group_by(*keys)
    )
    rows = q.session.exec(stmt).all()
    return pd.DataFrame(
        rows, columns=["region_id", "period", "values_recorded", "measures_reported"]
    )


def _organisations(q: _Query) -> pd.DataFrame:
    """Distinct organisations of the people who wrote status updates (neither an undo
    nor undone), comments (not removed) and measure values (counted ones, of current
    measures) in the region; a merged organisation counts as the one it was merged
    into (history keeps the id it was written under)."""
    parts = []
    for table, when, kept in (
        (StatusUpdate, col(StatusUpdate.changed_at), counted.counts()),
        (Comment, col(Comment.created_at), col(Comment.removed_at).is_(None)),
    ):
        org = col(table.organisation_id)
        parts.append(
            _outcomes(*q.keys(when), org.label("org"))
            .join(table, col(table.outcome_id) == col(Outcome.id))
            .where(org.is_not(None), kept, *q.window(when))
        )
    when = col(MeasureValue.recorded_at)
    undone = select(MeasureValue.reverts_id).where(col(MeasureValue.reverts_id).is_not(None))
    parts.append(
        measure_joins(
            _select(
                [*q.keys(when, region_of_measure()), col(MeasureValue.organisation_id).label("org")]
            )
            .select_from(MeasureValue)
            .join(Measure, col(Measure.id) == col(MeasureValue.measure_id))
        ).where(
            col(MeasureValue.organisation_id).is_not(None),
            col(MeasureValue.reverts_id).is_(None),
            col(MeasureValue.id).not_in(undone),
            col(Measure.retired).is_(False),
            *q.window(when),
        )
    )
    every = union_all(*parts).subquery()
    rows = q.session.exec(select(every.c.region_id, every.c.period, every.c.org).distinct())
    d = pd.DataFrame(rows.all(), columns=["region_id", "period", "org"])
    d["org"] = d["org"].map(survivors(q.session)).fillna(d["org"])
    out = d.groupby(["region_id", "period"])["org"].nunique().rename("organisations")
    return out.reset_index()


def _done(session: Session) -> pd.DataFrame:
    """Each outcome Done now: its region, due date and when it (last) became Done."""
    done = Status.DONE.value
    stmt = (
        _outcomes(_REGION, col(Outcome.due_date), func.max(col(StatusUpdate.changed_at)))
        .join(StatusUpdate, col(StatusUpdate.outcome_id) == col(Outcome.id))
        .where(
            col(Outcome.status) == done,
            col(StatusUpdate.new_status) == done,
            col(StatusUpdate.old_status) != done,
            counted.counts(),  # not an undo, nor a move to Done undone since
        )
        .group_by(col(Outcome.id), _REGION, col(Outcome.due_date))
    )
    d = pd.DataFrame(session.exec(stmt).all(), columns=["region_id", "due_date", "done_at"])
    done_at = pd.to_datetime(d["done_at"], utc=True, format="mixed").dt.tz_localize(None)
    d["done_on"] = done_at.dt.normalize()
    d["days"] = (d["done_on"] - pd.to_datetime(d["due_date"])).dt.days
    return d


def _regions(session: Session) -> list[tuple[str, str]]:
    return list(session.exec(select(Region.id, Region.name).order_by(col(Region.position))).all())


def _by_region(frames: list[pd.DataFrame], keys: list[str], index: pd.Index) -> pd.DataFrame:
    """The figures side by side on `index` (region ids, or region ids × periods); a
    region or period with no rows has zeros."""
    out = pd.DataFrame(index=index)
    for f in frames:
        out = out.join(f.set_index(keys)[[c for c in f.columns if c not in keys]])
    return out


def current(session: Session, today: date) -> pd.DataFrame:
    """One row per region: its figures today (activity over the last FRESH_DAYS days;
    measures, Done and organisations over all time)."""
    since = datetime.combine(today - timedelta(days=FRESH_DAYS), time(), tzinfo=UTC)
    recent, ever = _Query(session, None, since), _Query(session, None, None)
    regions = _regions(session)
    ids = pd.Index([r for r, _ in regions], name="region_id")
    fresh = _open_fresh(session, since)
    fresh["open_fresh_share"] = fresh["fresh"] / fresh["open_outcomes"]
    rebase = _rebaselines(ever).drop(columns=["period", "rebaselines"])
    done = _done(session).groupby("region_id")["days"].agg(["size", "median"])
    done.columns = ["outcomes_done", "median_days_to_done"]
    frames = [
        _active_leads(recent).drop(columns="period"),
        _updates(recent).drop(columns="period"),
        fresh.drop(columns="fresh"),
        rebase,
        _values(ever).drop(columns="period"),
        done.reset_index(),
        _organisations(ever).drop(columns="period"),
    ]
    out = _by_region(frames, ["region_id"], ids)
    counts = ["active_leads", "updates", "open_outcomes", "values_recorded"]
    counts += ["measures_reported", "outcomes_done", "organisations"]
    out[counts] = out[counts].fillna(0).astype(int)
    assigned = _leads_assigned(session)
    out["leads_assigned"] = [assigned.get(r, 0) for r in out.index]
    out["rebaselined"] = out["last_rebaselined"].notna().map({True: "Yes", False: "No"})
    out["last_rebaselined"] = pd.to_datetime(out["last_rebaselined"], format="mixed").dt.date
    out["region"] = [name for _, name in regions]
    return out.reset_index(drop=True)[CURRENT]


def over_time(session: Session, today: date, period: Period = "month") -> pd.DataFrame:
    """One row per region and period (month "2026-12" or quarter "2026-Q4"), from the
    first period with any activity to this one."""
    q = _Query(session, period, None)
    done = _done(session)
    done["period"] = [period_key(d.date(), period) for d in done["done_on"]]
    done = done.groupby(["region_id", "period"])["days"].agg(["size", "median"]).reset_index()
    done.columns = ["region_id", "period", "outcomes_done", "median_days_to_done"]
    frames = [
        _active_leads(q),
        _updates(q),
        _rebaselines(q).drop(columns="last_rebaselined"),
        _values(q).drop(columns="measures_reported"),
        done,
        _organisations(q),
    ]
    periods = _periods({p for f in frames for p in f["period"]}, today, period)
    regions = _regions(session)
    index = pd.MultiIndex.from_product([[r for r, _ in regions], periods])
    index = index.set_names(["region_id", "period"])
    out = _by_region(frames, ["region_id", "period"], index).reset_index()
    counts = [c for c in SERIES if c not in ("region", "period", "median_days_to_done")]
    out[counts] = out[counts].fillna(0).astype(int)
    out["region"] = out["region_id"].map(dict(regions))
    return out[SERIES]


def _periods(seen: set[str], today: date, period: Period) -> list[str]:
    """Every period from the first one `seen` (or this one) to this one."""
    freq = "M" if period == "month" else "Q"
    now = pd.Period(today, freq=freq)
    parsed = [pd.Period(p.replace("-Q", "Q"), freq=freq) for p in seen if p]
    first = min([*parsed, now])
    return [period_key(p.start_time.date(), period) for p in pd.period_range(first, now)]


def with_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with its columns named in words (LABELS)."""
    return frame.rename(columns=LABELS)
