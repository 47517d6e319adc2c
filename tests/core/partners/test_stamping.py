"""The author's organisation on what they write: each new status update, check-in,
comment and measure value carries the organisation its author belongs to when it is
written (core/people/permissions.organisation_of); the history chain hashes it, and
a row without one hashes as before it existed. Both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from core.measures.values import record_value, undo_value
from core.models import Comment, MeasureValue, Outcome, Role, StatusUpdate
from core.partners import editing, linking
from core.people import accounts
from core.people.permissions import Actor, actor_for
from core.progress.comments import add_comment
from core.progress.updates import check_in, update_status
from core.store import chain
from core.store.db import write_session

ADMIN = Actor(user_id=None, username="ada", display_name="Ada", role=Role.ADMIN)
OUTCOME = "state-housing.ht-taskforce.short.3"
MEASURE = "state-housing.ht-taskforce.short.3.key-needs"
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def member(engine: Engine) -> Engine:
    """An admin, kim, who belongs to the organisation "Ozark Survivor Network"."""
    with write_session(engine) as s:
        for name in ("Ozark Survivor Network", "Prairie Legal Aid"):
            editing.add_organisation(
                session=s, actor=ADMIN, name=name, kind="service provider", reason="partners"
            )
        kim = accounts.create_user(session=s, username="kim", role="admin", password=None)
        accounts.set_organisation(session=s, user=kim, organisation_id="ozark-survivor-network")
    return engine


def kim(session: Session) -> Actor:
    return actor_for(session, accounts.require_user(session=session, username="kim"))


def version(session: Session) -> int:
    outcome = session.get(Outcome, OUTCOME, populate_existing=True)
    assert outcome is not None
    return outcome.version


def write_all(engine: Engine, status: str = "In progress") -> None:
    """A status update, a check-in, a comment, a value and its undo, by kim."""
    with write_session(engine) as s:
        actor = kim(s)
        update_status(
            session=s,
            actor=actor,
            outcome_id=OUTCOME,
            expected_version=version(s),
            new_status=status,
            now=NOW,
        )
        check_in(session=s, actor=actor, outcome_id=OUTCOME, expected_version=version(s), now=NOW)
        add_comment(session=s, actor=actor, outcome_id=OUTCOME, body="On it", now=NOW)
        value = record_value(
            session=s,
            actor=actor,
            measure_id=MEASURE,
            value=3,
            as_of=date(2026, 11, 30),
            today=date(2026, 12, 1),
            now=NOW,
        )
        assert value.id is not None
        undo_value(session=s, actor=actor, value_id=value.id, now=NOW)


def stamps(engine: Engine) -> dict[str, list[str | None]]:
    with Session(engine) as s:
        return {
            m.__tablename__: [r.organisation_id for r in s.exec(select(m).order_by(m.id)).all()]
            for m in (StatusUpdate, Comment, MeasureValue)
        }


def test_every_write_carries_the_authors_organisation(member):
    with Session(member) as s:
        assert kim(s).organisation_id == "ozark-survivor-network"
    write_all(member)
    ozark = "ozark-survivor-network"
    assert stamps(member) == {
        "status_update": [ozark, ozark],
        "comment": [ozark],
        "measure_value": [ozark, ozark],
    }
    assert chain.verify(member).ok


def test_a_person_without_an_organisation_writes_none(member):
    with write_session(member) as s:
        user = accounts.require_user(session=s, username="kim")
        accounts.set_organisation(session=s, user=user, organisation_id=None)
    write_all(member)
    assert stamps(member) == {
        "status_update": [None, None],
        "comment": [None],
        "measure_value": [None, None],
    }


def test_after_a_merge_old_rows_keep_their_id_and_new_ones_carry_the_survivor(member):
    write_all(member)
    with write_session(member) as s:
        linking.merge(
            session=s,
            actor=ADMIN,
            organisation_id="ozark-survivor-network",
            into_id="prairie-legal-aid",
            reason="one organisation",
        )
    write_all(member, status="Not started")
    ozark, prairie = "ozark-survivor-network", "prairie-legal-aid"
    assert stamps(member) == {
        "status_update": [ozark, ozark, prairie, prairie],
        "comment": [ozark, prairie],
        "measure_value": [ozark, ozark, prairie, prairie],
    }
    assert chain.verify(member).ok


def _drop_status_update_guard(engine: Engine) -> None:
    statements = {
        "sqlite": ["DROP TRIGGER status_update_no_update", "DROP TRIGGER status_update_no_delete"],
        "postgresql": [
            "DROP TRIGGER status_update_append_only ON status_update",
            "DROP TRIGGER status_update_no_truncate ON status_update",
        ],
    }[engine.dialect.name]
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


def test_changed_organisation_of_a_status_update_fails_verify(member):
    write_all(member)
    with Session(member) as s:
        first = s.exec(select(StatusUpdate).order_by(StatusUpdate.id)).first()
        assert first is not None and first.organisation_id == "ozark-survivor-network"
    _drop_status_update_guard(member)
    with member.begin() as connection:
        connection.execute(
            text("UPDATE status_update SET organisation_id = 'prairie-legal-aid' WHERE id = :id"),
            {"id": first.id},
        )
    report = chain.verify(member)
    assert str(report.problems[0]).startswith(f"status_update row {first.id}: does not match")


def test_a_row_without_an_organisation_hashes_as_before_the_column():
    row = {
        "id": 7,
        "outcome_id": OUTCOME,
        "changed_at": NOW,
        "changed_by": "ada",
        "old_status": "Not started",
        "new_status": "In progress",
        "note": "",
        "chain_hash": None,
    }
    before_the_column = chain.entry_hash(row, "abc")
    assert chain.entry_hash(row | {"organisation_id": None}, "abc") == before_the_column
    assert chain.entry_hash(row | {"organisation_id": "ozark"}, "abc") != before_the_column
