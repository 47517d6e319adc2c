"""Notes and evidence are for signed-in members unless published (core.progress.notes):
what a signed-out reader gets from every read that leaves the database, and who may
publish."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from core.cli.main import main
from core.io import exports
from core.io.report import progress_report_html
from core.models import NotePublication, Outcome, Role, Status
from core.people.permissions import ANONYMOUS_VIEWER, Actor, PermissionDenied
from core.progress import activity, notes, queries
from core.progress.filters import OutcomeFilter
from core.progress.updates import UpdateRejected, update_status
from core.store.bootstrap import init_db
from core.store.db import make_engine, write_session

TODAY = date(2021, 6, 1)  # the Southwest outcomes below are overdue then
ADMIN = Actor(user_id=1, username="ada", display_name="Ada", role=Role.ADMIN)
AUTHOR = Actor(
    user_id=2,
    username="sam",
    display_name="Sam",
    role=Role.LEAD,
    region_ids=frozenset({"southwest"}),
)
OTHER_LEAD = Actor(
    user_id=3,
    username="kim",
    display_name="Kim",
    role=Role.LEAD,
    region_ids=frozenset({"southwest"}),
)
VIEWER = Actor(user_id=4, username="val", display_name="Val", role=Role.VIEWER)
PRIVATE = "Met Officer Jane Doe at the Elm Street safe house."
PUBLIC = "Training for court clerks held in Springfield."
PRIVATE_URL = "https://example.org/minutes/private-meeting"
BLOCKED = "southwest.legal-services.short.2"
STARTED = "southwest.legal-services.short.3"
SW = OutcomeFilter(regions=("southwest",))


def record(engine: Engine, outcome_id: str, status: str, note: str = "", url=None) -> int:
    with Session(engine) as s:
        version = s.get(Outcome, outcome_id).version
    with write_session(engine) as s:
        entry = update_status(
            session=s,
            actor=AUTHOR,
            outcome_id=outcome_id,
            expected_version=version,
            new_status=status,
            note=note,
            evidence_url=url,
            now=datetime(2021, 5, 5, 15, 30, tzinfo=UTC),
        )
        assert entry.id is not None
        return entry.id


def publish(engine: Engine, actor: Actor, update_id: int) -> None:
    with write_session(engine) as s:
        notes.publish_note(session=s, actor=actor, status_update_id=update_id)


def unpublish(engine: Engine, actor: Actor, update_id: int) -> None:
    with write_session(engine) as s:
        notes.unpublish_note(session=s, actor=actor, status_update_id=update_id)


def published_ids(engine: Engine) -> set[int]:
    with Session(engine) as s:
        return {p.status_update_id for p in s.exec(select(NotePublication)).all()}


@pytest.fixture
def noted(engine: Engine) -> dict[str, int]:
    """Two Southwest outcomes with a note by the lead "sam": one Blocked (note and
    evidence, unpublished), one In progress (note, published by sam)."""
    ids = {
        "private": record(engine, BLOCKED, Status.BLOCKED.value, PRIVATE, PRIVATE_URL),
        "public": record(engine, STARTED, Status.IN_PROGRESS.value, PUBLIC),
    }
    publish(engine, AUTHOR, ids["public"])
    return ids


def rows_by_id(engine: Engine, *, members: bool) -> dict[str, dict]:
    with Session(engine) as s:
        return {r["outcome_id"]: r for r in queries.outcome_rows(s, SW, members=members)}


def test_rule_members_read_every_note_others_only_published() -> None:
    assert notes.may_read_note(members=True, published=False)
    assert notes.may_read_note(members=True, published=True)
    assert notes.may_read_note(members=False, published=True)
    assert not notes.may_read_note(members=False, published=False)
    assert notes.is_member(VIEWER) and not notes.is_member(ANONYMOUS_VIEWER)


def test_outcome_rows_hide_unpublished_note_from_signed_out_reader(engine, noted) -> None:
    rows = rows_by_id(engine, members=False)
    blocked, started = rows[BLOCKED], rows[STARTED]
    assert (blocked["last_note"], blocked["last_evidence_url"]) == (None, None)
    assert (blocked["last_note_hidden"], blocked["last_note_published"]) == (True, False)
    assert blocked["status"] == Status.BLOCKED.value  # statuses and dates stay public
    assert blocked["last_updated"] is not None
    assert (started["last_note"], started["last_note_hidden"]) == (PUBLIC, False)
    assert started["last_note_published"] is True
    assert all(PRIVATE not in str(r.values()) for r in rows.values())


def test_outcome_rows_give_members_every_note(engine, noted) -> None:
    rows = rows_by_id(engine, members=True)
    assert (rows[BLOCKED]["last_note"], rows[BLOCKED]["last_evidence_url"]) == (
        PRIVATE,
        PRIVATE_URL,
    )
    assert rows[BLOCKED]["last_note_hidden"] is False
    assert rows[STARTED]["last_note"] == PUBLIC


def test_outcome_rows_default_to_the_signed_out_reader(engine, noted) -> None:
    with Session(engine) as s:
        row = queries.outcome_rows(s, OutcomeFilter(outcome_ids=(BLOCKED,)))[0]
    assert row["last_note"] is None and row["last_note_hidden"]


def test_history_hides_unpublished_note_and_evidence(engine, noted) -> None:
    with Session(engine) as s:
        public = {h["id"]: h for h in activity.history(s, SW)}
        member = {h["id"]: h for h in activity.history(s, SW, members=True)}
    private = public[noted["private"]]
    assert (private["note"], private["evidence_url"], private["note_hidden"]) == (None, None, True)
    assert private["new_status"] == Status.BLOCKED.value
    assert (public[noted["public"]]["note"], public[noted["public"]]["note_published"]) == (
        PUBLIC,
        True,
    )
    assert member[noted["private"]]["note"] == PRIVATE
    assert member[noted["private"]]["evidence_url"] == PRIVATE_URL
    assert member[noted["private"]]["note_hidden"] is False


def test_export_rows_and_files_carry_no_unpublished_note(engine, noted) -> None:
    with Session(engine) as s:
        rows = queries.export_rows(s, SW)
    files = [
        exports.to_csv(rows),
        exports.to_xlsx(rows, sheet_name="Southwest"),
        exports.to_ics(rows, calendar_name="Southwest"),
    ]
    for name in ("Jane Doe", "private-meeting"):
        assert all(name not in str(r.values()) for r in rows)
        assert not any(name.encode() in f for f in files)
    assert {r["status"] for r in rows} >= {Status.BLOCKED.value, Status.IN_PROGRESS.value}


def report(engine: Engine, *, members: bool) -> str:
    with Session(engine) as s:
        return progress_report_html(s, today=TODAY, flt=SW, members=members)


def test_report_for_signed_out_reader_shows_published_notes_only(engine, noted) -> None:
    html = report(engine, members=False)
    assert "Jane Doe" not in html and "private-meeting" not in html
    assert PUBLIC in html
    assert "Note for members" in html
    members = report(engine, members=True)
    assert "Jane Doe" in members and "Note for members" not in members


@pytest.mark.parametrize("actor", [AUTHOR, ADMIN], ids=["author", "admin"])
def test_author_or_admin_publishes_and_unpublishes(engine, noted, actor) -> None:
    publish(engine, actor, noted["private"])
    assert noted["private"] in published_ids(engine)
    assert rows_by_id(engine, members=False)[BLOCKED]["last_note"] == PRIVATE
    publish(engine, actor, noted["private"])  # again: changes nothing
    unpublish(engine, actor, noted["private"])
    assert noted["private"] not in published_ids(engine)
    assert rows_by_id(engine, members=False)[BLOCKED]["last_note"] is None


@pytest.mark.parametrize(
    ("actor", "message"),
    [
        (OTHER_LEAD, r"Only the author of this update \(sam\) or an admin"),
        (VIEWER, r"Only the author of this update \(sam\) or an admin"),
        (ANONYMOUS_VIEWER, "Sign in to publish"),
    ],
    ids=["other-lead", "viewer", "signed-out"],
)
def test_others_cannot_publish(engine, noted, actor, message) -> None:
    with pytest.raises(PermissionDenied, match=message):
        publish(engine, actor, noted["private"])
    assert published_ids(engine) == {noted["public"]}


def test_others_cannot_unpublish(engine, noted) -> None:
    with pytest.raises(PermissionDenied, match="or an admin can unpublish"):
        unpublish(engine, OTHER_LEAD, noted["public"])
    assert published_ids(engine) == {noted["public"]}


def test_nothing_to_publish_or_no_such_update(engine) -> None:
    bare = record(engine, STARTED, Status.IN_PROGRESS.value)
    with pytest.raises(UpdateRejected, match="nothing to publish"):
        publish(engine, AUTHOR, bare)
    with pytest.raises(UpdateRejected, match="no status update #999999"):
        publish(engine, ADMIN, 999_999)
    assert published_ids(engine) == set()


def test_publishing_changes_the_data_stamp(engine, noted) -> None:
    def stamp() -> tuple:
        with Session(engine) as s:
            return queries.data_stamp(s)

    before = stamp()
    publish(engine, AUTHOR, noted["private"])
    published = stamp()
    unpublish(engine, AUTHOR, noted["private"])
    assert before != published != stamp()  # back to `before`'s state, so maybe its stamp


def test_cli_report_reads_as_a_member(tmp_path) -> None:
    """`python -m core report` is run by the database's operator: every note."""
    engine = make_engine()  # the test's own throw-away database (tests/conftest.py)
    init_db(engine)
    record(engine, BLOCKED, Status.BLOCKED.value, PRIVATE)
    engine.dispose()
    out = tmp_path / "report.html"

    assert main(["report", str(out), "--region", "southwest"]) == 0

    assert "Jane Doe" in out.read_text(encoding="utf-8")


def test_signed_out_readers_see_no_member_names(engine, noted) -> None:
    """A username can name a person: signed-out visitors read "a member" instead."""
    with Session(engine) as s:
        public_rows = queries.outcome_rows(s, OutcomeFilter(outcome_ids=(BLOCKED,)))
        member_rows = queries.outcome_rows(s, OutcomeFilter(outcome_ids=(BLOCKED,)), members=True)
        public = activity.history(s, SW)
        member = activity.history(s, SW, members=True)
    assert public_rows[0]["last_updated_by"] == notes.A_MEMBER
    assert member_rows[0]["last_updated_by"] == AUTHOR.username
    assert {h["changed_by"] for h in public} == {notes.A_MEMBER}
    assert {h["changed_by"] for h in member} == {AUTHOR.username}
