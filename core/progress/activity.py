"""Activity: status-update history (notes guarded for signed-out readers), each
region's freshness (status updates and comments), and the plan's change log."""

from __future__ import annotations

import threading
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from core.clock import as_utc
from core.models import (
    Comment,
    LogicModel,
    Need,
    NotePublication,
    Outcome,
    PlanChange,
    Region,
    Status,
    StatusUpdate,
    Strategy,
)
from core.progress import marks
from core.progress.comments import counts_as_activity_sql
from core.progress.filters import OutcomeFilter
from core.progress.notes import guard_author, guard_note
from core.progress.schedule import freshness_days


def history(
    session: Session,
    flt: OutcomeFilter | None = None,
    *,
    outcome_id: str | None = None,
    limit: int | None = None,
    done_only: bool = False,
    members: bool = False,
) -> list[dict[str, Any]]:
    """Status-update history (newest first) for the filtered outcomes, or one outcome:
    the latest `limit` entries, or only those that made an outcome Done or undid it.
    Each entry's note and evidence link are None unless `members` or `note_published`
    (`note_hidden` then says one was left out)."""
    flt = flt or OutcomeFilter()
    # More columns than `select()`'s typed overloads take (four), so passed as a list;
    # the statement (and its result) is then untyped, as `joined()`'s are.
    columns: list[Any] = [
        col(StatusUpdate.id),
        col(StatusUpdate.outcome_id),
        col(StatusUpdate.changed_at),
        col(StatusUpdate.changed_by),
        col(StatusUpdate.old_status),
        col(StatusUpdate.new_status),
        col(StatusUpdate.note),
        col(StatusUpdate.evidence_url),
        col(StatusUpdate.reverts_id),
        col(NotePublication.status_update_id).label("note_published"),
        col(Region.name).label("region"),
        col(Outcome.text).label("outcome_text"),
    ]
    stmt = (
        select(*columns)
        .join(Outcome, col(Outcome.id) == col(StatusUpdate.outcome_id))
        .join(Strategy, col(Strategy.id) == col(Outcome.strategy_id))
        .join(LogicModel, col(LogicModel.id) == col(Strategy.logic_model_id))
        .join(Region, col(Region.id) == col(LogicModel.region_id))
        .join(Need, col(Need.id) == col(Strategy.need_id))
        .outerjoin(NotePublication, col(NotePublication.status_update_id) == col(StatusUpdate.id))
        .order_by(col(StatusUpdate.id).desc())
    )
    if outcome_id is not None:
        stmt = stmt.where(StatusUpdate.outcome_id == outcome_id)
    else:
        stmt = stmt.where(and_(True, *flt.conditions()))
    if done_only:
        done = Status.DONE.value
        stmt = stmt.where(
            or_(col(StatusUpdate.old_status) == done, col(StatusUpdate.new_status) == done)
        )
    if limit is not None:
        stmt = stmt.limit(limit)
    result = session.exec(stmt)
    keys = list(result.keys())
    rows = [dict(zip(keys, r, strict=True)) for r in result.all()]
    for row in rows:
        guard_note(row, members, "note", ("note", "evidence_url"))
        guard_author(row, members, "changed_by")
    return rows


def region_freshness(
    session: Session, today: date, status_at: dict[Any, datetime | None] | None = None
) -> list[dict[str, Any]]:
    """Per region: when it was last active (a status update or a comment on any of
    its outcomes) and how many days ago (None: never). `status_at`: each region's
    latest status update, when the caller keeps them (`LatestUpdates`)."""
    if status_at is None:
        status_at = _latest_per_region(session, StatusUpdate.changed_at, StatusUpdate.outcome_id)
    comment_at = _latest_per_region(
        session, Comment.created_at, Comment.outcome_id, counts_as_activity_sql()
    )
    out = []
    for region_id, name in session.exec(
        select(Region.id, Region.name).order_by(col(Region.position))
    ).all():
        times = [t for t in (status_at.get(region_id), comment_at.get(region_id)) if t]
        last_at = max(times) if times else None
        out.append(
            {
                "region_id": region_id,
                "region": name,
                "last_update": last_at,
                "days_since_update": freshness_days(last_at, today),
            }
        )
    return out


class LatestUpdates:
    """Each region's latest status update, kept current for every session of a server:
    the history only grows, so the latest is the later of the one known and those of
    the updates since (not every update read again after each save; comments, which
    can be removed, are read each time). Keep one per plan stamp."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._mark: marks.Mark | None = None  # where it stopped reading (history.py)
        self._latest: dict[Any, datetime | None] = {}

    def per_region(
        self, session: Session, now: marks.Mark | None = None
    ) -> dict[Any, datetime | None]:
        """`now`: the history's mark, when the caller has read it."""
        with self._lock:
            now = marks.current(session, self._mark, now)
            if self._mark not in (None, now) and not marks.holds(session, self._mark, now):
                self._mark, self._latest = None, {}  # an entry came late: read them all
            if now != self._mark:
                after = self._mark.last if self._mark is not None else 0
                since = _latest_per_region(
                    session,
                    StatusUpdate.changed_at,
                    StatusUpdate.outcome_id,
                    col(StatusUpdate.id) > after,
                    col(StatusUpdate.id) <= now.last,
                )
                latest = dict(self._latest)
                for region_id, at in since.items():
                    before = latest.get(region_id)
                    latest[region_id] = at if before is None or (at and at > before) else before
                self._latest, self._mark = latest, now
            return self._latest


def _latest_per_region(session: Session, when: Any, outcome_id: Any, *where: Any) -> dict:
    """The latest `when` per region id, of rows whose `outcome_id` is that region's."""
    stmt = (
        select(LogicModel.region_id, func.max(when))
        .join(Strategy, col(Strategy.logic_model_id) == col(LogicModel.id))
        .join(Outcome, col(Outcome.strategy_id) == col(Strategy.id))
        .join(when.class_, col(outcome_id) == col(Outcome.id))
        .where(*where)
        .group_by(LogicModel.region_id)
    )
    out = {}
    for region_id, last_at in session.exec(stmt).all():
        if isinstance(last_at, str):  # SQLite: an aggregate's time comes back as text
            last_at = datetime.fromisoformat(last_at)
        out[region_id] = as_utc(last_at) if last_at is not None else None
    return out


def plan_changes(
    session: Session,
    *,
    subject_kind: str | None = None,
    subject_id: str | None = None,
    subject_ids: tuple[str, ...] = (),
    limit: int | None = 500,
) -> list[dict[str, Any]]:
    """The plan's change log, newest first: re-baselines, re-dates, edits,
    additions, retirements and restorations."""
    stmt = select(PlanChange).order_by(col(PlanChange.id).desc())
    if subject_kind is not None:
        stmt = stmt.where(PlanChange.subject_kind == subject_kind)
    if subject_id is not None:
        stmt = stmt.where(PlanChange.subject_id == subject_id)
    if subject_ids:
        stmt = stmt.where(col(PlanChange.subject_id).in_(subject_ids))
    if limit is not None:
        stmt = stmt.limit(limit)
    return [c.model_dump() for c in session.exec(stmt).all()]
