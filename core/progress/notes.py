"""Who may read a status update's note and evidence, and publishing them.

Notes and evidence links are for signed-in members: a note can name a person or a
place. The author of a status update, or an admin, may publish its note, and then
signed-out visitors read it too. Everything else a visitor is shown (statuses, dates,
counts) is public. The read side (core.progress.queries) passes every note and
evidence link it returns through `guard_note`.

Publishing writes a `NotePublication` row and unpublishing deletes it: publication is
a setting of the note, not part of the append-only history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from core.clock import as_utc
from core.errors import UpdateRejected
from core.models import NotePublication, StatusUpdate
from core.people.permissions import Actor, PermissionDenied

# What a signed-out visitor is shown where a note they may not read would be.
MEMBERS_ONLY = "note for members"
# ... and where the name of the member who made an update would be: a username can
# name a person, so signed-out visitors see statuses, dates and counts, not people.
A_MEMBER = "a member"


def is_member(reader: Actor) -> bool:
    """Whether `reader` reads every note: anyone signed in. The command line, run by
    the operator of the database, reads as a member too."""
    return reader.signed_in


def may_read_note(*, members: bool, published: bool) -> bool:
    """The one rule: members read every note and evidence link; others only published ones."""
    return members or published


def guard_author(row: dict[str, Any], members: bool, field: str) -> None:
    """Who made an update, for members; "a member" for everyone else."""
    if not members and row.get(field):
        row[field] = A_MEMBER


def guard_note(row: dict[str, Any], members: bool, prefix: str, fields: tuple[str, ...]) -> None:
    """Apply `may_read_note` to one query row in place: `<prefix>_published` (the
    publication's id, or None) becomes a bool; the note and evidence `fields` become
    None when the reader may not read them, and `<prefix>_hidden` says whether anything
    was left out."""
    published = row[f"{prefix}_published"] = row[f"{prefix}_published"] is not None
    hidden = not may_read_note(members=members, published=published)
    row[f"{prefix}_hidden"] = hidden and any(row[f] for f in fields)
    if hidden:
        for f in fields:
            row[f] = None


def can_publish(actor: Actor, *, author: str) -> bool:
    """The author of a status update (its `changed_by`) or an admin."""
    return actor.signed_in and (actor.is_admin or actor.username == author)


def _entry(session: Session, actor: Actor, status_update_id: int, verb: str) -> StatusUpdate:
    entry = session.get(StatusUpdate, status_update_id)
    if entry is None:
        raise UpdateRejected(f"There is no status update #{status_update_id}.")
    if not actor.signed_in:
        raise PermissionDenied(f"Sign in to {verb} notes.")
    if not can_publish(actor, author=entry.changed_by):
        raise PermissionDenied(
            f"Only the author of this update ({entry.changed_by}) or an admin can {verb} its note."
        )
    return entry


def publish_note(
    *, session: Session, actor: Actor, status_update_id: int, now: datetime | None = None
) -> NotePublication:
    """Let signed-out visitors read this status update's note and evidence link.
    Publishing a published note changes nothing."""
    entry = _entry(session, actor, status_update_id, "publish")
    if not (entry.note or "").strip() and not entry.evidence_url:
        raise UpdateRejected(
            "This update has no note or evidence link: there is nothing to publish."
        )
    existing = session.get(NotePublication, status_update_id)
    if existing is not None:
        return existing
    publication = NotePublication(
        status_update_id=status_update_id, published_by=actor.username, published_at=as_utc(now)
    )
    session.add(publication)
    session.flush()
    return publication


def unpublish_note(*, session: Session, actor: Actor, status_update_id: int) -> None:
    """Make this status update's note for members only again (it is so already when
    it was never published)."""
    _entry(session, actor, status_update_id, "unpublish")
    existing = session.get(NotePublication, status_update_id)
    if existing is not None:
        session.delete(existing)
        session.flush()
