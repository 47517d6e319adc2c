"""Cached access to core queries. The engine is built once per process; query results
are cached per data stamp, so any saved change (here or in another session) shows at once.

The stamp parameter is named `stamp_`, not `_stamp`: Streamlit's caches, and `shared`,
leave parameters whose names start with an underscore out of the cache key. Reads that
return notes are keyed on the reader's kind too (`members`): signed-out visitors get
published notes only."""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from dataclasses import astuple
from datetime import date
from typing import Any, TypeVar, cast

import cachetools
import cachetools.keys
import pandas as pd
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from core.charts import plan_timeline
from core.config import get_settings
from core.models import PlanChange
from core.progress import activity, baseline, counts, derived, notes, queries, schedule
from core.progress.filters import OutcomeFilter
from core.store.bootstrap import init_db
from core.store.db import DatabaseUnavailable, describe_db_error, make_engine


@st.cache_resource(show_spinner="Opening the plan database…")
def engine():
    eng = make_engine()
    init_db(eng)
    return eng


def today() -> date:
    return get_settings().today()


_STAMP = "_data_stamp"
F = TypeVar("F", bound=Callable[..., Any])


def refresh() -> tuple:
    """Read the data stamp; dashboard.py calls it at the top of every run. Every write
    is followed by a rerun (callbacks run before it), so one read per run is enough."""
    try:
        with Session(engine()) as session:
            st.session_state[_STAMP] = queries.data_stamp(session)
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(describe_db_error(exc, engine())) from exc
    return st.session_state[_STAMP]


def stamp() -> tuple:
    return st.session_state[_STAMP] if _STAMP in st.session_state else refresh()


def plan_stamp() -> tuple:
    """The part of the stamp only a change of the plan moves (queries.plan_stamp)."""
    return queries.plan_stamp(stamp())


_SHARED: list[Any] = []


def shared(*, ttl: float | None, max_entries: int) -> Callable[[F], F]:
    """A cache for results read-only to their callers and keyed on a stamp: shared by
    every session of the process (st.cache_data would unpickle a fresh copy on each
    hit), and forgotten with the rest when the database is replaced (`forget_cached`).

    cachetools, not st.cache_resource: the arguments are stamps, filter tuples, dates
    and flags, hashable as they are, while Streamlit hashes each argument's value
    through its own hasher (bench/RESULTS.md, seventh round: 8 % of a loaded server's
    CPU went to cache keys). The condition makes a session that asks for a result
    another is computing wait for it rather than compute it again."""

    def wrap(func: F) -> F:
        # As Streamlit's caches do, a parameter named with a leading underscore is
        # left out of the key (`_timeline_tree` is given the stamp it was first asked
        # for, and keeps its tree for the plan's).
        names = list(inspect.signature(func).parameters)
        skip = frozenset(i for i, name in enumerate(names) if name.startswith("_"))

        def key(*args: Any, **kwargs: Any) -> tuple:
            if skip:
                args = tuple(a for i, a in enumerate(args) if i not in skip)
                kwargs = {k: v for k, v in kwargs.items() if not k.startswith("_")}
            return cachetools.keys.hashkey(*args, **kwargs)

        cache: cachetools.Cache = (
            cachetools.LRUCache(maxsize=max_entries)
            if ttl is None
            else cachetools.TTLCache(maxsize=max_entries, ttl=ttl)
        )
        cached = cachetools.cached(cache, key=key, condition=threading.Condition())(func)
        _SHARED.append(cached)
        return cast(F, cached)

    return wrap


def forget_cached() -> None:
    """After a restore: every cached read goes, the shared ones too (a restored
    database may come back to a stamp seen before)."""
    st.cache_data.clear()
    for cached in _SHARED:
        cached.cache_clear()


def _flt(key: tuple) -> OutcomeFilter:
    return OutcomeFilter(*key)


def members() -> bool:
    """Whether this session's reader reads every note (signed in), as
    `core.progress.notes.is_member` decides."""
    from ui import auth  # imported here: ui.auth imports this module

    return notes.is_member(auth.actor())


# Where a note this reader may not read would be shown.
MEMBERS_ONLY_TEXT = f"({notes.MEMBERS_ONLY})"


# Shared, not copied per hit: every lead's save moves the stamp, so under load most
# runs miss, and a hit's unpickling of the frame cost as much as the query. Callers get
# a shallow copy (pandas' copy-on-write: what they change is theirs alone).
@shared(ttl=600, max_entries=64)
def _outcomes(
    stamp_: tuple, flt_key: tuple, day: date, soon_days: int, members: bool
) -> pd.DataFrame:
    flt = _flt(flt_key)
    with Session(engine()) as session:
        rows = queries.outcome_rows(session, flt, members=members)
        strategies = {r["strategy_id"] for r in rows}
        summaries = derived.term_summaries(session, day, strategies if rows else set())
    derived.annotate(rows, summaries, day, soon_days)
    for row in rows:
        if row["last_note_hidden"]:
            row["last_note"] = MEMBERS_ONLY_TEXT
    if not rows:
        return pd.DataFrame()
    return pd.DataFrame({key: [row[key] for row in rows] for key in rows[0]})  # by column: faster


def outcomes(flt: OutcomeFilter, soon_days: int = schedule.DEFAULT_SOON_DAYS) -> pd.DataFrame:
    """Outcomes matching the filter, annotated with schedule, chain and Gantt start;
    latest notes as this reader may read them."""
    return _outcomes(stamp(), astuple(flt), today(), soon_days, members()).copy(deep=False)


@shared(ttl=600, max_entries=16)
def _timeline_rows(
    stamp_: tuple, flt_key: tuple, day: date, soon_days: int, members: bool
) -> pd.DataFrame:
    if not _flt(flt_key).picks_by_status():  # the same outcomes until the plan changes
        tree = _timeline_tree(queries.plan_stamp(stamp_), flt_key, stamp_, day, soon_days, members)
        with Session(engine()) as session:
            statuses = queries.outcome_statuses(session, _flt(flt_key))
        rows = plan_timeline.with_statuses(tree, statuses)
        if rows is not None:
            return rows
    frame = _outcomes(stamp_, flt_key, day, soon_days, members).copy(deep=False)
    return plan_timeline.timeline_rows(frame, all_open=True)


# Keyed on the plan alone (the arguments named with "_" are not part of the key): built
# from the outcomes as they are when it is first asked for, then given each stamp's
# statuses by `with_statuses`. The tree's spans, words and order are the plan's.
@shared(ttl=3600, max_entries=16)
def _timeline_tree(
    plan_stamp_: tuple, flt_key: tuple, _stamp: tuple, _day: date, _soon_days: int, _members: bool
) -> pd.DataFrame:
    frame = _outcomes(_stamp, flt_key, _day, _soon_days, _members).copy(deep=False)
    return plan_timeline.timeline_rows(frame, all_open=True)


def timeline_rows(flt: OutcomeFilter, soon_days: int) -> pd.DataFrame:
    """The Timeline's rows with every strategy open (core/charts/plan_timeline), kept
    with the outcomes they are built from: opening a strategy or moving the window
    does not build them again. Unless the filter picks outcomes by status, the tree is
    built once per plan and a status save only sets its statuses again. Shared as the
    outcomes are (a shallow copy each)."""
    return _timeline_rows(stamp(), astuple(flt), today(), soon_days, members()).copy(deep=False)


# Shared read-only (every figure is a sum of them): at 100,000 outcomes the rows are
# some 12,000, and a cache_data hit unpickled them for every figure of every run.
@shared(ttl=600, max_entries=64)
def _tally(stamp_: tuple, flt_key: tuple, day: date, soon_days: int) -> counts.Figures:
    live = _live_counts(queries.plan_stamp(stamp_), flt_key, day, soon_days)
    with Session(engine()) as session:
        return live.current(session, queries.history_mark(stamp_)).figures


def _counts(stamp_: tuple, flt_key: tuple, day: date, soon_days: int) -> counts.Rows:
    return _tally(stamp_, flt_key, day, soon_days).rows


# One tally per plan, filter, day and window, moved on by each stamp's saves instead of
# counting every outcome again (core/progress/counts.LiveTally). A tally holds a part per
# outcome (some 20 MB at 100,000 outcomes): few are kept.
@shared(ttl=3600, max_entries=16)
def _live_counts(plan_stamp_: tuple, flt_key: tuple, day: date, soon_days: int) -> counts.LiveTally:
    return counts.LiveTally(_flt(flt_key), today=day, soon_days=soon_days)


def plan_counts(stamp_: tuple, day: date, soon_days: int) -> counts.Rows:
    """The whole plan's counts at a stamp, read-only (the Overview's, kept and moved on
    the same way): for views that sum them their own way (the Evaluation)."""
    return _counts(stamp_, astuple(OutcomeFilter()), day, soon_days)


def _counts_key(flt: OutcomeFilter, soon_days: int | None = None) -> tuple:
    """The cache key of `_counts` for a filter (due soon: within the reader's window
    unless `soon_days` is given)."""
    if soon_days is None:
        from ui import filters  # imported here: ui.filters imports this module

        soon_days = filters.soon_days()
    return stamp(), astuple(flt), today(), soon_days


# Outcomes per region, need and status with the schedule counts: one scan a filter
# (`_counts`), summed for each figure (core/progress/counts.py), the sums cached too.
# The frames here are shared like the outcomes (a shallow copy to each caller): a
# cache_data hit unpickles a frame, which cost more than the sums.
@shared(ttl=600, max_entries=128)
def _completion(key: tuple, by: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(counts.completion_of(_counts(*key), by))


def _totals(key: tuple) -> tuple[dict, dict, dict]:
    """The statewide figures: sums the tally keeps as it moves on (no pass over its
    rows: 9,676 of them at 100,000 outcomes)."""
    totals = _tally(*key).totals
    return (
        counts.status_counts_in(totals),
        counts.schedule_counts_in(totals),
        counts.overall_in(totals),
    )


@shared(ttl=3600, max_entries=16)
def _starts(plan_stamp_: tuple) -> tuple[dict, date | None]:
    with Session(engine()) as session:
        return baseline.starts(session)


@shared(ttl=600, max_entries=64)  # a frozen dataclass: shared as it is
def _report_dates(key: tuple, plan_stamp_: tuple) -> baseline.ReportDates:
    return baseline.report_dates_of(_counts(*key), *_starts(plan_stamp_))


def report_dates(flt: OutcomeFilter) -> baseline.ReportDates:
    """The report-dates banner's counts: sums of the counts scan's rows (due soon within
    the reader's window) by whether each logic model still starts on the report's
    start (core/progress/baseline.py), no scan of their own."""
    return _report_dates(_counts_key(flt), plan_stamp())


def completion(flt: OutcomeFilter, by: tuple[str, ...]) -> pd.DataFrame:
    """Completion per region, need or both (a row per group: counts and rate)."""
    return _completion(_counts_key(flt), by).copy(deep=False)


def overall(flt: OutcomeFilter) -> dict:
    """Completion of everything the filter picks: `done`, `dropped`, `total`, `active`
    and `rate` (None when nothing is active), a mapping (a one-row frame cost more to
    build than the sums)."""
    return _totals(_counts_key(flt))[2]


def schedule_counts(flt: OutcomeFilter, soon_days: int | None = None) -> dict:
    return _totals(_counts_key(flt, soon_days))[1]


def status_counts(flt: OutcomeFilter) -> dict:
    return _totals(_counts_key(flt))[0]


@shared(ttl=600, max_entries=64)
def _history(
    stamp_: tuple,
    flt_key: tuple,
    outcome_id: str | None,
    limit: int | None,
    done_only: bool,
    members: bool,
) -> pd.DataFrame:
    with Session(engine()) as session:
        rows = activity.history(
            session,
            _flt(flt_key),
            outcome_id=outcome_id,
            limit=limit,
            done_only=done_only,
            members=members,
        )
    return pd.DataFrame(
        rows,
        columns=[
            "id",
            "outcome_id",
            "changed_at",
            "changed_by",
            "old_status",
            "new_status",
            "note",
            "evidence_url",
            "reverts_id",
            "note_published",
            "note_hidden",
            "region",
            "outcome_text",
        ],
    )


def history(
    flt: OutcomeFilter | None = None,
    outcome_id: str | None = None,
    *,
    limit: int | None = None,
    done_only: bool = False,
) -> pd.DataFrame:
    """Status updates, newest first; notes and evidence as this reader may read them
    (None, with `note_hidden`, where not)."""
    key = astuple(flt or OutcomeFilter())
    return _history(stamp(), key, outcome_id, limit, done_only, members()).copy(deep=False)


@shared(ttl=600, max_entries=64)
def _freshness(stamp_: tuple, day: date) -> pd.DataFrame:
    latest = _latest_updates(queries.plan_stamp(stamp_))
    with Session(engine()) as session:
        kept = latest.per_region(session, queries.history_mark(stamp_))
        return pd.DataFrame(activity.region_freshness(session, day, kept))


# One per plan (which outcome is whose region): moved on by each save's updates.
@shared(ttl=3600, max_entries=4)
def _latest_updates(plan_stamp_: tuple) -> activity.LatestUpdates:
    return activity.LatestUpdates()


def freshness() -> pd.DataFrame:
    return _freshness(stamp(), today()).copy(deep=False)


# Keyed on the plan stamp: a status save does not rebuild regions, needs and models.
@shared(ttl=3600, max_entries=16)
def _reference(plan_stamp_: tuple) -> dict:
    with Session(engine()) as session:
        plan = queries.plan_info(session)
        return {
            "plan": plan.model_dump() if plan else {},
            "regions": queries.regions(session),
            "needs": queries.needs(session),
            "logic_models": queries.logic_models(session),
            "appendix": queries.appendix(session),
        }


def reference() -> dict:
    """Regions, needs, logic models, plan metadata and Appendix A."""
    return _reference(plan_stamp())


@shared(ttl=3600, max_entries=16)
def _strategies(plan_stamp_: tuple, logic_model_id: str) -> list[dict]:
    with Session(engine()) as session:
        return queries.strategies(session, logic_model_id)


def strategies(logic_model_id: str) -> list[dict]:
    return _strategies(plan_stamp(), logic_model_id)


def flags() -> dict[tuple[str, str], list[tuple[str, str]]]:
    """The report's flags by subject, (kind, id) → [(code, reason)]: one cache lookup
    for a page that shows many subjects' flags."""
    return _flags(plan_stamp())


@shared(ttl=3600, max_entries=16)
def _flags(plan_stamp_: tuple) -> dict:
    with Session(engine()) as session:
        return queries.flags_by_subject(session)


@st.cache_data(ttl=3600, show_spinner=False, max_entries=16)
def _plan_items(stamp_: tuple, kind: str, parent_id: str | None) -> list[dict]:
    with Session(engine()) as session:
        return queries.plan_items(session, kind, parent_id=parent_id)


def plan_items(kind: str, parent_id: str | None = None) -> list[dict]:
    """Logic models / a logic model's strategies / a strategy's outcomes, retired included."""
    return _plan_items(stamp(), kind, parent_id)


@st.cache_data(ttl=600, show_spinner=False, max_entries=64)
def _plan_changes(stamp_: tuple, subject_kind: str | None, subject_id: str | None) -> pd.DataFrame:
    with Session(engine()) as session:
        rows = activity.plan_changes(session, subject_kind=subject_kind, subject_id=subject_id)
    return pd.DataFrame(rows, columns=list(PlanChange.model_fields))


def plan_changes(subject_kind: str | None = None, subject_id: str | None = None) -> pd.DataFrame:
    """The plan's change log (newest first, latest 500)."""
    return _plan_changes(stamp(), subject_kind, subject_id)


@st.cache_data(ttl=600, show_spinner=False, max_entries=64)
def _strategy_spans(stamp_: tuple, flt_key: tuple) -> list[dict]:
    with Session(engine()) as session:
        return queries.strategy_spans(session, _flt(flt_key))


# Keyed on the plan: a strategy's span and outcomes do not move with a save.
@shared(ttl=3600, max_entries=16)
def _plan_spans(plan_stamp_: tuple, flt_key: tuple) -> list[dict]:
    with Session(engine()) as session:
        return queries.strategy_spans(session, _flt(flt_key))


def strategy_spans(flt: OutcomeFilter) -> list[dict]:
    """Per strategy: span and outcomes per status. The spans are read once per plan
    and the counts taken from the tally of the page's counts (core/progress/counts.py,
    moved on by each save), unless the filter picks outcomes by status: then both come
    from SQL on every stamp."""
    if not flt.picks_by_status():
        spans = _plan_spans(plan_stamp(), astuple(flt))
        given = counts.with_strategy_counts(spans, _tally(*_counts_key(flt)))
        if given is not None:
            return given
    return _strategy_spans(stamp(), astuple(flt))
