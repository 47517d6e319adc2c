"""Read-side queries: the outcome table with its context, filters, and aggregates.

Everything returns plain dicts/lists (or DataFrames built from them by callers),
never live ORM objects, so results can be cached by the views.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, case, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, SQLModel, col, select

from core.clock import as_utc
from core.io.columns import EXPORT_COLUMNS
from core.models import (
    AppendixItem,
    Comment,
    Flag,
    LogicModel,
    MeasureValue,
    Need,
    NotePublication,
    OrganisationName,
    Outcome,
    Plan,
    PlanChange,
    Region,
    Status,
    StatusUpdate,
    Strategy,
    StrategyOrganisation,
)
from core.progress import counted, marks
from core.progress.comments import latest_comment_sql

# The counts live in core/progress/counts.py (one scan); callers keep queries.completion.
from core.progress.counts import completion as completion
from core.progress.counts import schedule_counts as schedule_counts
from core.progress.counts import status_counts as status_counts
from core.progress.filters import OutcomeFilter, joined
from core.progress.notes import guard_author, guard_note
from core.progress.schedule import (
    Schedule,
    schedule_of,
    term_rank_sql,
)


def outcome_rows(
    session: Session, flt: OutcomeFilter | None = None, *, members: bool = False
) -> list[dict[str, Any]]:
    """Every outcome matching the filter with its region, logic model, need and flags,
    in the report's order, with each outcome's latest note. The note and evidence link
    are None unless `members` (the reader is signed in) or the note is published;
    `last_note_hidden` then says one was left out."""
    result = session.exec(_outcome_statement((flt or OutcomeFilter()).dated()))
    keys = list(result.keys())
    rows = [dict(zip(keys, r, strict=True)) for r in result.all()]
    for row in rows:
        guard_note(row, members, "last_note", ("last_note", "last_evidence_url"))
        guard_author(row, members, "last_updated_by")
        _last_activity(row)
    if not rows:
        return rows
    subjects = None
    if len(rows) <= FLAG_LOOKUP_MAX:
        subjects = {r[k] for r in rows for k in ("outcome_id", "strategy_id", "logic_model_id")}
    flags = flags_by_subject(session, subjects)
    for row in rows:
        own = (
            flags.get(("outcome", row["outcome_id"]), [])
            + flags.get(("strategy", row["strategy_id"]), [])
            + flags.get(("logic_model", row["logic_model_id"]), [])
        )
        row["slip_days"] = (row["due_date"] - row["baseline_due_date"]).days
        row["flags"] = "; ".join(code for code, _ in own)
        row["flag_reasons"] = [f"{code.replace('_', ' ')}: {reason}" for code, reason in own]
        if row["date_flag"]:
            row["flag_reasons"].insert(0, f"{row['date_flag']}: {row['date_note']}")
    return rows


# Built once per filter (its conditions are a function of the filter alone, `today`
# included): the aliased subqueries and their columns cost more to build than the query
# of a region's outcomes takes to run (a schedule filter's day is fixed first: `dated`).
# Statements are immutable, so threads share them.
@lru_cache(maxsize=512)
def _outcome_statement(flt: OutcomeFilter) -> Any:
    newest = standing_update_id()
    last = aliased(StatusUpdate)
    stmt = (
        joined(
            [
                col(Outcome.id).label("outcome_id"),
                col(Region.id).label("region_id"),
                col(Region.name).label("region"),
                col(LogicModel.id).label("logic_model_id"),
                col(LogicModel.title).label("logic_model"),
                col(LogicModel.start_date).label("logic_model_start"),
                col(Need.id).label("need_id"),
                col(Need.label).label("need"),
                col(Strategy.id).label("strategy_id"),
                col(Strategy.title).label("strategy"),
                Outcome.term,
                Outcome.number,
                Outcome.text,
                Outcome.date_as_written,
                Outcome.due_date,
                Outcome.baseline_due_date,
                Outcome.redate_count,
                Outcome.date_basis,
                Outcome.date_flag,
                Outcome.date_note,
                Outcome.status,
                Outcome.version,
                Outcome.last_updated,
                Outcome.last_updated_by,
                latest_comment_sql().label("last_comment_at"),
                col(last.note).label("last_note"),
                col(last.evidence_url).label("last_evidence_url"),
                col(NotePublication.status_update_id).label("last_note_published"),
                Outcome.position,
                col(Region.position).label("region_position"),
                col(LogicModel.position).label("logic_model_position"),
                col(Strategy.position).label("strategy_position"),
            ]
        )
        .outerjoin(last, col(last.id) == newest)
        .outerjoin(NotePublication, col(NotePublication.status_update_id) == col(last.id))
        .where(and_(True, *flt.conditions()))
    )
    if flt.limit is None:
        return _ordered(stmt, flt)
    # The first outcomes picked by their ids alone, then read whole: sorting every
    # outcome with its latest note and comment read those for all of them, not for the
    # few kept (2,000 of 100,000 in the Plan browser's order: 265 → 110 ms).
    picked = _ordered(joined([col(Outcome.id)]).where(and_(True, *flt.conditions())), flt)
    return _ordered(stmt.where(col(Outcome.id).in_(picked)), replace(flt, limit=None))


def _ordered(stmt: Any, flt: OutcomeFilter) -> Any:
    """The filter's order (the report's, or earliest due first) and limit."""
    plan_order = (
        col(Region.position),
        col(LogicModel.position),
        col(Strategy.position),
        term_rank_sql(),
        col(Outcome.position),
    )
    if flt.order == "due":
        stmt = stmt.order_by(col(Outcome.due_date), *plan_order)
    else:
        stmt = stmt.order_by(*plan_order)
    if flt.limit is not None:
        stmt = stmt.limit(flt.limit)
    return stmt


def outcome_statuses(session: Session, flt: OutcomeFilter | None = None) -> dict[str, str]:
    """Each outcome matching the filter → its status: all that a status save changes of
    a view whose rows are otherwise the plan's (the Timeline's tree)."""
    return dict(session.exec(_status_statement((flt or OutcomeFilter()).dated())).all())


@lru_cache(maxsize=128)
def _status_statement(flt: OutcomeFilter) -> Any:
    stmt = joined([col(Outcome.id), col(Outcome.status)]).where(and_(True, *flt.conditions()))
    return stmt if flt.limit is None else _ordered(stmt, flt)  # what outcome_rows picks


def _last_activity(row: dict[str, Any]) -> None:
    """`last_updated` becomes the outcome's latest activity, what freshness counts: its
    latest status update (a check-in too) or comment. `last_status_update` keeps when
    the status or note last changed (by `last_updated_by`)."""
    status_at = row["last_status_update"] = row["last_updated"]
    comment_at = row["last_comment_at"] = _utc(row["last_comment_at"])
    if comment_at is not None and (status_at is None or comment_at > as_utc(status_at)):
        row["last_updated"] = comment_at


def _utc(value: datetime | str | None) -> datetime | None:
    # SQLite gives an aggregate of a DateTime column back as text, without a zone.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return None if value is None else as_utc(value)


def standing_update_id():
    """Each outcome's standing status update (its note is the outcome's latest note,
    the Blocked or Dropped reason): the newest entry that is neither an undo nor
    undone nor a check-in without a note. An undo that was itself undone (a redo)
    does not count, so the entry it undid stands again. Only the latest entry can be
    undone, so this covers every history but an undo of a redo of an undo.

    Looked up per outcome through the (outcome_id, changed_at) index: a grouped
    subquery over the whole history would be built for every query, even one for a
    single outcome (the update dialog)."""
    entry = aliased(StatusUpdate)
    # A check-in without a note (core/progress/updates.check_in) leaves the standing
    # note as it was: it is the only entry with the same status and no note or link.
    bare_check_in = and_(
        col(entry.old_status) == col(entry.new_status),
        col(entry.note) == "",
        col(entry.evidence_url).is_(None),
    )
    return (
        select(func.max(entry.id))
        .where(
            col(entry.outcome_id) == Outcome.id,
            counted.counts(entry),
            ~bare_check_in,
        )
        .correlate(Outcome)
        .scalar_subquery()
    )


# Up to this many rows, flags are looked up for just those rows' subjects.
FLAG_LOOKUP_MAX = 5_000


def flags_by_subject(
    session: Session, subject_ids: set[str] | None = None
) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """Editorial flags per (kind, id): every flag, or those of `subject_ids`."""
    out: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    stmt = select(Flag).order_by(Flag.subject_kind, Flag.subject_id, Flag.code)
    if subject_ids is not None:
        stmt = stmt.where(col(Flag.subject_id).in_(sorted(subject_ids)))
    for f in session.exec(stmt).all():
        out[(f.subject_kind, f.subject_id)].append((f.code, f.reason))
    return dict(out)


def export_rows(
    session: Session, flt: OutcomeFilter | None = None, *, members: bool = False
) -> list[dict[str, Any]]:
    """The export's shape: one dict per outcome with EXPORT_COLUMNS, values as text
    (dates ISO; a strategy's resources and tasks one per line). Notes only as
    `outcome_rows` gives them to this reader (`members`)."""
    rows = outcome_rows(session, flt, members=members)
    wanted = {row["strategy_id"] for row in rows}
    strategies = {
        s.id: s for s in session.exec(select(Strategy).where(col(Strategy.id).in_(wanted))).all()
    }
    out = []
    for row in rows:
        strategy = strategies[row["strategy_id"]]
        item = {name: row.get(name) for name in EXPORT_COLUMNS}
        item["strategy_label"] = strategy.label
        item["ultimate_outcome"] = strategy.ultimate_outcome
        item["resources"] = "\n".join(strategy.resources)
        item["tasks"] = "\n".join(strategy.tasks)
        for name in ("logic_model_start", "due_date", "baseline_due_date"):
            item[name] = _iso(row[name])
        item["last_updated"] = _iso(row["last_status_update"])  # when the status last changed
        _reason_columns(item, row, flt or OutcomeFilter())
        out.append(item)
    return out


def _reason_columns(item: dict[str, Any], row: dict[str, Any], flt: OutcomeFilter) -> None:
    """The export's read-only standing reason (the latest note as this reader may see
    it), schedule and days overdue (empty unless overdue), as of the filter's day."""
    today = flt.today or date.today()
    item["latest_note"] = row["last_note"] or None
    item["evidence_url"] = row["last_evidence_url"]
    item["schedule"] = schedule_of(row["status"], row["due_date"], today, flt.soon_days).value
    late = (today - row["due_date"]).days
    item["days_overdue"] = late if item["schedule"] == Schedule.OVERDUE.value else None


def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat(sep=" ")
    return value.isoformat()


def plan_info(session: Session) -> Plan | None:
    plan = session.get(Plan, 1)
    return plan.model_copy() if plan else None


def regions(session: Session) -> list[dict[str, Any]]:
    return [
        r.model_dump() for r in session.exec(select(Region).order_by(col(Region.position))).all()
    ]


def needs(session: Session) -> list[dict[str, Any]]:
    return [n.model_dump() for n in session.exec(select(Need).order_by(col(Need.position))).all()]


def logic_models(session: Session) -> list[dict[str, Any]]:
    stmt = (
        select(LogicModel)
        .where(col(LogicModel.retired).is_(False))
        .order_by(col(LogicModel.position))
    )
    return [m.model_dump() for m in session.exec(stmt).all()]


def strategies(session: Session, logic_model_id: str) -> list[dict[str, Any]]:
    stmt = (
        select(Strategy)
        .where(Strategy.logic_model_id == logic_model_id, col(Strategy.retired).is_(False))
        .order_by(col(Strategy.position))
    )
    return [s.model_dump() for s in session.exec(stmt).all()]


def plan_items(
    session: Session, kind: str, *, parent_id: str | None = None
) -> list[dict[str, Any]]:
    """Logic models, strategies of a logic model, or outcomes of a strategy, retired
    ones included (marked), in the report's order: what the plan editor lists."""
    items: Sequence[SQLModel]
    if kind == "logic_model":
        logic_model_stmt = select(LogicModel).order_by(col(LogicModel.position))
        items = session.exec(logic_model_stmt).all()
    elif kind == "strategy":
        strategy_stmt = select(Strategy).where(Strategy.logic_model_id == parent_id)
        strategy_stmt = strategy_stmt.order_by(col(Strategy.position))
        items = session.exec(strategy_stmt).all()
    elif kind == "outcome":
        outcome_stmt = select(Outcome).where(Outcome.strategy_id == parent_id)
        outcome_stmt = outcome_stmt.order_by(term_rank_sql(), col(Outcome.position))
        items = session.exec(outcome_stmt).all()
    else:
        raise ValueError(f"unknown kind {kind!r}")
    return [item.model_dump() for item in items]


def appendix(session: Session) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"future_research": [], "provider_suggestions": []}
    for item in session.exec(
        select(AppendixItem).order_by(col(AppendixItem.section), col(AppendixItem.position))
    ):
        out.setdefault(item.section, []).append(item.text)
    return out


def strategy_spans(session: Session, flt: OutcomeFilter | None = None) -> list[dict[str, Any]]:
    """One row per strategy, computed in SQL: its span (its logic model's start, or an
    earlier due date, to its latest due date) and its outcomes per status, in the
    report's order. What the Timeline draws for plans too large to show one bar per
    outcome, without loading the outcomes."""
    flt = flt or OutcomeFilter()
    per_status = [
        func.sum(case((col(Outcome.status) == s.value, 1), else_=0)).label(s.value) for s in Status
    ]
    stmt = (
        joined(
            [
                col(Strategy.id).label("strategy_id"),
                col(Strategy.title).label("strategy"),
                col(Region.name).label("region"),
                func.min(LogicModel.start_date).label("start_date"),
                func.min(Outcome.due_date).label("first_due"),
                func.max(Outcome.due_date).label("due_date"),
                func.count(col(Outcome.id)).label("outcomes"),
                *per_status,
            ]
        )
        .where(and_(True, *flt.conditions()))
        .group_by(Strategy.id, Strategy.title, Region.name, Region.position)
        .group_by(LogicModel.position, Strategy.position)
        .order_by(Region.position, LogicModel.position, Strategy.position)
    )
    out = []
    for r in session.exec(stmt).all():
        row = dict(r._mapping)
        row["start_date"] = min(row.pop("start_date"), row.pop("first_due"))
        for s in Status:
            row[s.value] = int(row[s.value] or 0)
        out.append(row)
    return out


def _stamp_parts() -> list[Any]:
    """What `data_stamp` reads, in its order."""
    return [
        func.max(StatusUpdate.id),
        func.count(col(StatusUpdate.id)),
        func.count(col(Outcome.id)),
        func.max(PlanChange.id),
        func.count(col(Flag.id)),
        # Publishing inserts a row and unpublishing deletes one: count, ids and time change.
        func.count(col(NotePublication.status_update_id)),
        func.sum(NotePublication.status_update_id),
        func.max(NotePublication.published_at),
        # Posting adds a row; editing, removing and (un)publishing change these.
        func.max(Comment.id),
        func.max(Comment.edited_at),
        func.count(col(Comment.removed_at)),
        func.count(col(Comment.published_at)),
        func.max(Comment.published_at),
        # Values and undos only add rows. Organisation links and names are replaced by
        # a reload of data/ (the admins' changes also move the plan change log).
        func.max(MeasureValue.id),
        func.count(col(StrategyOrganisation.id)),
        func.max(StrategyOrganisation.id),
        func.max(OrganisationName.id),
    ]


# One statement of scalar subqueries (one round trip, compiled once): every page run
# reads the stamp.
_STAMP = select(*(select(part).scalar_subquery() for part in _stamp_parts()))


def data_stamp(session: Session) -> tuple[Any, ...]:
    """Changes whenever anything a view shows changes: cached results are keyed on it.
    Every page run reads it, so it reads indexes only, in one statement: every change
    to an outcome leaves a status update or a plan change row (its version and time
    were summed over every outcome, 15 ms a run at 100,000 outcomes)."""
    return tuple(session.exec(_STAMP).one())


# Where data_stamp holds what only a change of the plan moves: the number of outcomes,
# the latest plan change, the number of flags and the organisation links and names (a
# status save moves none of them).
_PLAN_PARTS = (2, 3, 4, 14, 15, 16)


# Where data_stamp holds the measure values' part (a value or an undo adds a row).
_VALUES_PART = 13


def measures_stamp(stamp: tuple[Any, ...]) -> tuple[Any, ...]:
    """The part of a `data_stamp` that a measure, its values or its state can move: the
    plan's and the values'. A status save moves neither (unless a filter picks outcomes
    by their status, which its caller keys on the whole stamp)."""
    return (*plan_stamp(stamp), stamp[_VALUES_PART])


def history_mark(stamp: tuple[Any, ...]) -> marks.Mark:
    """The status-update history's mark (core/progress/marks.py) in a `data_stamp`: its
    newest entry and how many there are (the stamp reads both)."""
    return marks.Mark(stamp[0] or 0, stamp[1] or 0)


def plan_stamp(stamp: tuple[Any, ...]) -> tuple[Any, ...]:
    """The part of a `data_stamp` that changes with the plan (regions, needs, logic
    models, strategies, flags), not with status updates, notes or comments: reference
    data keyed on it is not rebuilt after every save."""
    return tuple(stamp[i] for i in _PLAN_PARTS)
