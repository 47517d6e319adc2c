"""Saved meetings: a date and a title, so leadership reviews the same window of "what
changed since the last meeting" (core.progress.since).

Admins and leads save meetings; viewers and signed-out visitors read them. A meeting
is a bookmark, not history: the changes it points at stay in their own append-only
histories, so an admin may remove one outright. The removal is written to the
server's log (who, which meeting) rather than to the plan's change log, which records
changes to the plan itself.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.clock import as_utc
from core.errors import UpdateRejected
from core.models import Meeting
from core.people.permissions import Actor, PermissionDenied, require_admin
from core.plan.fields import clean_date, clean_text, column_length

TITLE_MAX = column_length(Meeting, "title")
log = logging.getLogger(__name__)


def can_save(actor: Actor) -> bool:
    """Admins and leads save meetings."""
    return actor.signed_in and (actor.is_admin or actor.is_lead)


def save_meeting(
    *,
    session: Session,
    actor: Actor,
    held_on: date,
    title: str,
    today: date,
    now: datetime | None = None,
) -> Meeting:
    """Save a meeting held on `held_on` (not after `today`). A second meeting with the
    same date and title (in any letter case) is refused; nothing is written then."""
    if not can_save(actor):
        if not actor.signed_in:
            raise PermissionDenied("Sign in to save a meeting.")
        raise PermissionDenied("Only leads and admins can save meetings.")
    title = clean_text(title, "The meeting's title", TITLE_MAX)
    held_on = clean_date(held_on, "The meeting's date")
    if held_on > today:
        raise UpdateRejected(
            f"The meeting's date {held_on:%m/%d/%Y} is in the future; save it on the day "
            "it is held, or pick an earlier date."
        )
    _refuse_duplicate(session, held_on, title)
    meeting = Meeting(
        held_on=held_on, title=title, created_by=actor.username, created_at=as_utc(now)
    )
    try:
        with session.begin_nested():  # someone saving the same meeting at the same moment
            session.add(meeting)
    except IntegrityError:
        raise _duplicate(held_on, title) from None
    return meeting


def _refuse_duplicate(session: Session, held_on: date, title: str) -> None:
    same_day = session.exec(select(Meeting.title).where(Meeting.held_on == held_on)).all()
    if any(t.casefold() == title.casefold() for t in same_day):
        raise _duplicate(held_on, title)


def _duplicate(held_on: date, title: str) -> UpdateRejected:
    return UpdateRejected(
        f"A meeting “{title}” on {held_on:%m/%d/%Y} is already saved; pick it from the "
        "list, or give this one another title."
    )


def list_meetings(session: Session) -> list[dict[str, Any]]:
    """Every saved meeting, newest first (then by title)."""
    found = session.exec(
        select(Meeting).order_by(col(Meeting.held_on).desc(), col(Meeting.title), col(Meeting.id))
    ).all()
    return [m.model_dump() for m in found]


def get_meeting(session: Session, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise UpdateRejected(
            f"There is no saved meeting #{meeting_id}; it may have been removed. Pick "
            "another meeting or a date."
        )
    return meeting


def remove_meeting(*, session: Session, actor: Actor, meeting_id: int) -> None:
    """Remove a saved meeting (admins only); the changes it pointed at stay."""
    require_admin(actor, "remove a saved meeting")
    meeting = get_meeting(session, meeting_id)
    log.info(
        "meeting #%s (%s, %r) removed by %s",
        meeting.id,
        meeting.held_on,
        meeting.title,
        actor.username,
    )
    session.delete(meeting)
    session.flush()
