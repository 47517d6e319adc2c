"""Saved meetings (core.progress.meetings): who may save and remove them, what a title
and a date may be, duplicates refused, newest first; nothing written on a refusal."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from core.errors import UpdateRejected
from core.models import Meeting, Role
from core.people.permissions import ANONYMOUS_VIEWER, Actor, PermissionDenied
from core.progress import meetings
from core.progress.meetings import get_meeting, list_meetings, remove_meeting, save_meeting
from core.store.db import write_session

ADMIN = Actor(user_id=1, username="ada", display_name="Ada", role=Role.ADMIN)
LEAD = Actor(user_id=2, username="sam", display_name="Sam", role=Role.LEAD)
VIEWER = Actor(user_id=3, username="val", display_name="Val", role=Role.VIEWER)
TODAY = date(2026, 12, 1)


def save(engine: Engine, title: str, held_on: date = date(2026, 11, 3), actor: Actor = LEAD):
    with write_session(engine) as s:
        meeting = save_meeting(session=s, actor=actor, held_on=held_on, title=title, today=TODAY)
        assert meeting.id is not None
        return meeting.id


def count(engine: Engine) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(Meeting)).one()


def test_save_meeting_by_a_lead_and_an_admin(engine) -> None:
    save(engine, "  Leadership   meeting ")
    save(engine, "Quarterly review", date(2026, 12, 1), ADMIN)
    with Session(engine) as s:
        found = list_meetings(s)
    assert [(m["held_on"], m["title"], m["created_by"]) for m in found] == [
        (date(2026, 12, 1), "Quarterly review", "ada"),
        (date(2026, 11, 3), "Leadership meeting", "sam"),
    ]


@pytest.mark.parametrize(
    ("actor", "message"),
    [(VIEWER, "Only leads and admins"), (ANONYMOUS_VIEWER, "Sign in")],
)
def test_save_meeting_refused_for_viewers(engine, actor: Actor, message: str) -> None:
    with pytest.raises(PermissionDenied, match=message):
        save(engine, "Leadership meeting", actor=actor)
    assert count(engine) == 0


@pytest.mark.parametrize(
    ("title", "held_on", "message"),
    [
        ("", date(2026, 11, 3), "cannot be empty"),
        ("Board\x1b[31m", date(2026, 11, 3), "control character"),
        ("Board\x00", date(2026, 11, 3), "NUL"),
        ("x" * 201, date(2026, 11, 3), "keep it under 200"),
        ("Board", date(2026, 12, 2), "in the future"),
        ("Board", date(1900, 1, 1), "outside"),
    ],
)
def test_save_meeting_refuses_bad_input(engine, title: str, held_on: date, message: str) -> None:
    with pytest.raises(UpdateRejected, match=message):
        save(engine, title, held_on)
    assert count(engine) == 0


def test_save_meeting_refuses_a_duplicate_in_any_case(engine) -> None:
    save(engine, "Leadership meeting")
    with pytest.raises(UpdateRejected, match="already saved"):
        save(engine, "LEADERSHIP  meeting")
    save(engine, "Leadership meeting", date(2026, 11, 4))  # another day is another meeting
    assert count(engine) == 2


def test_remove_meeting_admins_only(engine) -> None:
    meeting_id = save(engine, "Leadership meeting")
    with pytest.raises(PermissionDenied, match="Only admins"):
        with write_session(engine) as s:
            remove_meeting(session=s, actor=LEAD, meeting_id=meeting_id)
    assert count(engine) == 1
    with write_session(engine) as s:
        remove_meeting(session=s, actor=ADMIN, meeting_id=meeting_id)
    assert count(engine) == 0
    with Session(engine) as s, pytest.raises(UpdateRejected, match="no saved meeting"):
        get_meeting(s, meeting_id)


def test_save_meeting_race_refused_by_the_unique_constraint(engine, monkeypatch) -> None:
    """Two saves at the same moment both pass the look-up; the database refuses one."""
    save(engine, "Leadership meeting")
    monkeypatch.setattr(meetings, "_refuse_duplicate", lambda *args: None)
    with write_session(engine) as s:
        with pytest.raises(UpdateRejected, match="already saved"):
            save_meeting(
                session=s,
                actor=LEAD,
                held_on=date(2026, 11, 3),
                title="Leadership meeting",
                today=TODAY,
            )
        save_meeting(session=s, actor=LEAD, held_on=date(2026, 11, 4), title="Next", today=TODAY)
    assert count(engine) == 2  # the transaction goes on after the refusal
