"""What changed since a date (core.progress.since): each kind of change, undone entries
left out, the privacy of reasons and comments for signed-out readers, the filter, the
window's ends, per region and the summary line."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from core.errors import UpdateRejected
from core.measures import queries as measure_queries
from core.measures.values import record_value, undo_value
from core.models import Outcome, Role, Status, StatusUpdate
from core.people.permissions import Actor
from core.plan.redating import rebaseline, redate_outcome
from core.progress import comments
from core.progress.filters import OutcomeFilter
from core.progress.notes import A_MEMBER, publish_note
from core.progress.since import changes_since, clean_since
from core.progress.updates import revert_update, update_status
from core.store.db import write_session

ADMIN = Actor(user_id=1, username="ada", display_name="Ada", role=Role.ADMIN)
TODAY = date(2021, 6, 1)
SINCE = date(2021, 5, 10)
SW_DONE = "southwest.legal-services.short.1"
SW_BLOCKED = "southwest.legal-services.short.2"
SW_UNDONE = "southwest.legal-services.short.3"
SW_REDONE = "southwest.legal-services.medium.1"
STL_BLOCKED = "st-louis.adult-shelter.short.2"
STL_MEASURE = "st-louis.adult-shelter.short.1.stakeholders"
SW_REGION_MEASURE = "southwest.survivors-served"


def at(day: int, month: int = 5) -> datetime:
    return datetime(2021, month, day, 15, 0, tzinfo=UTC)


def status(s: Session, outcome_id: str, new: Status, note: str = "", day: int = 12) -> int:
    version = s.get(Outcome, outcome_id, populate_existing=True).version
    entry = update_status(
        session=s,
        actor=ADMIN,
        outcome_id=outcome_id,
        expected_version=version,
        new_status=new.value,
        note=note,
        now=at(day) if day < 32 else at(day - 31, 6),
    )
    assert entry.id is not None
    return entry.id


def undo(s: Session, update_id: int, day: int) -> int:
    outcome_id = s.get_one(StatusUpdate, update_id).outcome_id
    version = s.get(Outcome, outcome_id, populate_existing=True).version
    entry = revert_update(
        session=s, actor=ADMIN, status_update_id=update_id, expected_version=version, now=at(day)
    )
    assert entry.id is not None
    return entry.id


def comment(s: Session, outcome_id: str, body: str, day: int) -> int:
    c, _ = comments.add_comment(
        session=s, actor=ADMIN, outcome_id=outcome_id, body=body, now=at(day)
    )
    assert c.id is not None
    return c.id


@pytest.fixture
def history(engine: Engine) -> Engine:
    """Changes before, inside and after the window from May 10 to June 1, 2021."""
    with write_session(engine) as s:
        status(s, "southwest.legal-services.medium.2", Status.DONE, day=5)  # before
        status(s, SW_DONE, Status.DONE, day=12)
        undo(s, status(s, SW_UNDONE, Status.DONE, day=12), day=13)
        redo_of = undo(s, status(s, SW_REDONE, Status.DONE, day=14), day=15)
        undo(s, redo_of, day=16)  # the undo is undone: the Done stands
        published = status(s, SW_BLOCKED, Status.BLOCKED, "Waiting for the county.", day=14)
        publish_note(session=s, actor=ADMIN, status_update_id=published)
        status(s, STL_BLOCKED, Status.BLOCKED, "Director on leave (Jo Smith).", day=15)
        status(s, "central.transportation.short.1", Status.DONE, day=33)  # after today
        comment(s, SW_BLOCKED, "Old comment", day=2)
        shared = comment(s, SW_BLOCKED, "County meets on the 20th", day=18)
        comments.set_published(session=s, actor=ADMIN, comment_id=shared, published=True)
        comment(s, SW_BLOCKED, "Call Jo at home", day=19)
        gone = comment(s, SW_BLOCKED, "Wrong thread", day=19)
        comments.remove_comment(session=s, actor=ADMIN, comment_id=gone, now=at(20))
        record = dict(session=s, actor=ADMIN, today=TODAY)
        record_value(**record, measure_id=STL_MEASURE, value=3, as_of=date(2021, 5, 20), now=at(20))
        wrong = record_value(
            **record, measure_id=STL_MEASURE, value=30, as_of=date(2021, 5, 21), now=at(21)
        )
        undo_value(session=s, actor=ADMIN, value_id=wrong.id or 0, now=at(21))
        record_value(
            **record, measure_id=SW_REGION_MEASURE, value=130, as_of=date(2021, 5, 22), now=at(22)
        )
        due = s.get_one(Outcome, SW_DONE).due_date
        redate_outcome(
            session=s,
            actor=ADMIN,
            outcome_id=SW_DONE,
            due_date=due + timedelta(days=30),
            reason="The partner needs a month more",
            now=at(23),
        )
        due = s.get_one(Outcome, SW_BLOCKED).due_date
        redate_outcome(
            session=s,
            actor=ADMIN,
            outcome_id=SW_BLOCKED,
            due_date=due - timedelta(days=7),
            reason="The county moved its meeting up",
            now=at(24),
        )
    return engine


def changes(engine: Engine, members: bool = True, **flt) -> object:
    with Session(engine) as s:
        return changes_since(s, since=SINCE, today=TODAY, flt=OutcomeFilter(**flt), members=members)


def test_done_counts_moves_to_done_in_the_window_not_undone(history) -> None:
    found = changes(history)
    # before the window, after today, and undone entries are left out; a redone one counts
    assert [r["outcome_id"] for r in found.done] == [SW_DONE, SW_REDONE]
    assert found.done[0]["changed_by"] == "ada"
    assert found.done[0]["region"] == "Southwest"


def test_blocked_carries_its_reason_for_members(history) -> None:
    found = changes(history)
    assert [(r["outcome_id"], r["note"]) for r in found.blocked] == [
        (SW_BLOCKED, "Waiting for the county."),
        (STL_BLOCKED, "Director on leave (Jo Smith)."),
    ]


def test_signed_out_readers_see_a_reason_only_if_published(history) -> None:
    found = changes(history, members=False)
    by_outcome = {r["outcome_id"]: r for r in found.blocked}
    assert by_outcome[SW_BLOCKED]["note"] == "Waiting for the county."
    assert by_outcome[STL_BLOCKED]["note"] is None
    assert by_outcome[STL_BLOCKED]["note_hidden"] is True
    assert {r["changed_by"] for r in found.blocked} == {A_MEMBER}


def test_slipped_lists_redates_with_reasons_and_days(history) -> None:
    found = changes(history)
    assert [(r["outcome_id"], r["days"], r["reason"]) for r in found.slipped] == [
        (SW_DONE, 30, "The partner needs a month more"),
        (SW_BLOCKED, -7, "The county moved its meeting up"),
    ]
    assert found.counts()["slipped"] == 1
    assert found.counts()["earlier"] == 1


def test_rebaselined_outcomes_count_as_slipped(engine) -> None:
    with write_session(engine) as s:
        moves = rebaseline(
            session=s,
            actor=ADMIN,
            logic_model_id="central",
            start_date=date(2021, 1, 1),
            reason="Workgroup formed in January 2021",
            now=at(20),
        )
    found = changes(engine)
    assert {r["action"] for r in found.slipped} == {"re-baselined"}
    assert len(found.slipped) == len(moves)
    assert all(
        r["days"] == (m.after - m.before).days for r, m in zip(found.slipped, moves, strict=True)
    )


def test_comments_counted_per_outcome_removed_ones_left_out(history) -> None:
    [row] = changes(history).comments
    assert (row["outcome_id"], row["count"]) == (SW_BLOCKED, 2)
    assert [c["body"] for c in row["shown"]] == ["County meets on the 20th", "Call Jo at home"]


def test_signed_out_readers_read_only_published_comments(history) -> None:
    [row] = changes(history, members=False).comments
    assert row["count"] == 2  # a count is public
    assert [(c["author"], c["body"]) for c in row["shown"]] == [
        (A_MEMBER, "County meets on the 20th")
    ]


def test_values_recorded_not_undone_with_region_measures(history) -> None:
    found = changes(history)
    assert [(r["measure_id"], r["value"]) for r in found.values] == [
        (STL_MEASURE, 3.0),
        (SW_REGION_MEASURE, 130.0),
    ]
    assert changes(history, members=False).values[0]["recorded_by"] == A_MEMBER


def test_the_filter_applies_to_every_kind(history) -> None:
    found = changes(history, regions=("southwest",))
    assert {
        r["region_id"]
        for kind in ("done", "blocked", "slipped", "comments", "values")
        for r in getattr(found, kind)
    } == {"southwest"}
    assert [r["measure_id"] for r in found.values] == [SW_REGION_MEASURE]
    # an outcome-level filter leaves out a region's own measures
    assert changes(history, terms=("short",)).values == changes(history, terms=("short",)).values
    assert [r["measure_id"] for r in changes(history, terms=("short",)).values] == [STL_MEASURE]
    assert [r["outcome_id"] for r in changes(history, terms=("medium",)).done] == [SW_REDONE]


def test_per_region_and_the_summary_line(history) -> None:
    found = changes(history)
    assert [
        (r["region"], r["counts"]["done"], r["counts"]["blocked"]) for r in found.regions()
    ] == [
        ("St. Louis", 0, 1),
        ("Southwest", 2, 1),
    ]
    assert found.summary() == (
        "Since Monday, May 10, 2021: 2 outcomes done, 2 blocked, 1 slipped, 1 moved earlier, "
        "2 comments, 2 values recorded"
    )


def test_nothing_changed_is_empty(history) -> None:
    with Session(history) as s:
        found = changes_since(s, since=TODAY, today=TODAY)
    assert found.empty
    assert found.summary().endswith(
        "0 outcomes done, 0 blocked, 0 slipped, 0 comments, 0 values recorded"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [("2021-06-02", "in the future"), ("next week", "not a date"), ("1900-01-01", "outside")],
)
def test_a_bad_since_date_is_refused_clearly(value: str, message: str) -> None:
    with pytest.raises(UpdateRejected, match=message):
        clean_since(value, TODAY)


@pytest.mark.parametrize(
    "flt",
    [
        {},
        {"regions": ("southwest",)},
        {"regions": ("st-louis", "state")},
        {"needs": ("legal-services",)},
        {"logic_models": ("st-louis",)},
        {"terms": ("short",)},
    ],
)
def test_values_follow_the_measures_pages_scope(engine, flt) -> None:
    """A value counts here for exactly the measures the Measures page shows."""
    with write_session(engine) as s:
        every = measure_queries.measures(s, OutcomeFilter(), today=TODAY)
        for row in every:
            record_value(
                session=s,
                actor=ADMIN,
                measure_id=row.measure.id,
                value=1,
                as_of=TODAY,
                today=TODAY,
                now=at(20),
            )
    with Session(engine) as s:
        shown = {
            r.measure.id for r in measure_queries.measures(s, OutcomeFilter(**flt), today=TODAY)
        }
    assert shown
    assert {r["measure_id"] for r in changes(engine, **flt).values} == shown
