"""Progress: an outcome's append-only status history, published notes, comments
and saved meetings.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utcnow


# Append-only history of an outcome's status; never updated or deleted.
class StatusUpdate(SQLModel, table=True):
    __tablename__ = "status_update"
    __table_args__ = (
        Index("ix_status_update_outcome_time", "outcome_id", "changed_at"),
        CheckConstraint(
            "old_status IN ('Not started', 'In progress', 'Done', 'Blocked', 'Dropped')",
            name="ck_status_update_old_status",
        ),
        CheckConstraint(
            "new_status IN ('Not started', 'In progress', 'Done', 'Blocked', 'Dropped')",
            name="ck_status_update_new_status",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    outcome_id: str = Field(foreign_key="outcome.id", max_length=160)
    changed_at: datetime = Field(default_factory=utcnow, index=True)
    changed_by: str = Field(max_length=120)
    old_status: str = Field(max_length=20)
    new_status: str = Field(max_length=20)
    note: str = Field(default="", sa_type=Text)
    evidence_url: str | None = Field(default=None, max_length=2000)
    reverts_id: int | None = Field(default=None, foreign_key="status_update.id")
    # the author's organisation when they wrote it (not part of the chain hash)
    organisation_id: str | None = Field(
        default=None, foreign_key="organisation.id", index=True, max_length=80
    )
    # sha256 of this entry's content and the previous entry's chain_hash (core/store/chain.py)
    chain_hash: str | None = Field(default=None, max_length=64)


# A note that its author or an admin published: signed-out visitors may read it.
# Notes, comments and evidence are for signed-in members otherwise.
class NotePublication(SQLModel, table=True):
    __tablename__ = "note_publication"

    status_update_id: int = Field(foreign_key="status_update.id", primary_key=True)
    published_by: str = Field(max_length=120)
    published_at: datetime = Field(default_factory=utcnow)


# A comment on an outcome: a thread beside its status history. Editable by its
# author for a short while; an admin's removal leaves a tombstone (body emptied).
class Comment(SQLModel, table=True):
    __table_args__ = (Index("ix_comment_outcome_time", "outcome_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    outcome_id: str = Field(foreign_key="outcome.id", max_length=160)
    author: str = Field(max_length=120)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    body: str = Field(default="", sa_type=Text)
    edited_at: datetime | None = None
    removed_at: datetime | None = None
    removed_by: str | None = Field(default=None, max_length=120)
    published_at: datetime | None = None
    published_by: str | None = Field(default=None, max_length=120)
    organisation_id: str | None = Field(
        default=None, foreign_key="organisation.id", index=True, max_length=80
    )


# A saved meeting (a date and a title), so leadership reviews the same window of
# "what changed since the last meeting".
class Meeting(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("held_on", "title", name="uq_meeting_held_on_title"),)

    id: int | None = Field(default=None, primary_key=True)
    held_on: date = Field(index=True)
    title: str = Field(max_length=200)
    created_by: str = Field(max_length=120)
    created_at: datetime = Field(default_factory=utcnow)
