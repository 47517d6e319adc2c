"""Comments on outcomes (core.progress.comments): posting, mentions, the author's
10-minute edit, an admin's removal (a tombstone), who reads what, and freshness."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from core.io.report import progress_report_html
from core.models import Comment, Outcome, Role, Status
from core.people import accounts
from core.people.permissions import ANONYMOUS_VIEWER, Actor, PermissionDenied
from core.progress import activity, comments, derived, queries
from core.progress.filters import OutcomeFilter
from core.progress.notes import A_MEMBER
from core.progress.updates import UpdateRejected, update_status
from core.store.db import write_session

OUTCOME = "southwest.legal-services.short.2"
POSTED = datetime(2021, 5, 20, 15, 30, tzinfo=UTC)
ADMIN = Actor(user_id=1, username="ada", display_name="Ada", role=Role.ADMIN)
LEAD = Actor(
    user_id=2, username="sam", display_name="Sam", role=Role.LEAD, region_ids=frozenset({"sw"})
)
VIEWER = Actor(user_id=4, username="val", display_name="Val", role=Role.VIEWER)


@pytest.fixture
def users(engine: Engine) -> Engine:
    """The seeded plan with users to mention: sam, kim-lee and a deactivated old-hand."""
    with write_session(engine) as s:
        for name in ("sam", "kim-lee", "old-hand"):
            user = accounts.create_user(
                session=s, username=name, role="lead", password="correct horse battery"
            )
            user.active = name != "old-hand"
    return engine


def post(engine: Engine, body: str, actor: Actor = LEAD, now: datetime = POSTED):
    with write_session(engine) as s:
        comment, mentioned = comments.add_comment(
            session=s, actor=actor, outcome_id=OUTCOME, body=body, now=now
        )
        assert comment.id is not None
        return comment.id, mentioned


def edit(engine: Engine, comment_id: int, body: str, actor: Actor = LEAD, *, minutes: float):
    with write_session(engine) as s:
        return comments.edit_comment(
            session=s,
            actor=actor,
            comment_id=comment_id,
            body=body,
            now=POSTED + timedelta(minutes=minutes),
        )[1]


def stored(engine: Engine, comment_id: int) -> Comment:
    with Session(engine) as s:
        comment = s.get(Comment, comment_id)
        assert comment is not None
        return comment


def thread(engine: Engine, *, members: bool) -> list[dict]:
    with Session(engine) as s:
        return comments.list_comments(s, OUTCOME, members=members)


def test_add_comment_keeps_line_breaks_and_changes_no_version(users: Engine) -> None:
    with Session(users) as s:
        version = s.get(Outcome, OUTCOME).version
    comment_id, mentioned = post(users, "  First line\r\n\tsecond line  \n\n")
    comment = stored(users, comment_id)
    assert (comment.author, comment.body, comment.outcome_id) == (
        "sam",
        "First line\n second line",
        OUTCOME,
    )
    assert comment.created_at == POSTED and comment.edited_at is None
    assert mentioned == []
    with Session(users) as s:
        assert s.get(Outcome, OUTCOME).version == version  # open Update forms stay valid


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("   \n ", "empty"),
        ("bell \x07 here", "control character"),
        ("nul \x00", "NUL"),
        ("x" * 5_001, "5,001 characters"),
    ],
)
def test_add_comment_refuses_bad_text(users: Engine, body: str, message: str) -> None:
    with pytest.raises(UpdateRejected, match=message):
        post(users, body)
    assert thread(users, members=True) == []


def test_add_comment_needs_a_signed_in_member_and_viewers_may(users: Engine) -> None:
    with pytest.raises(PermissionDenied, match="Sign in"):
        post(users, "Hello", ANONYMOUS_VIEWER)
    post(users, "A question from leadership", VIEWER)
    assert [c["author"] for c in thread(users, members=True)] == ["val"]


def test_mentions_are_active_users_and_unknown_names_stay_text(users: Engine) -> None:
    body = "Thanks @Sam. Ask @kim-lee, @nobody and @old-hand; mail sam@example.org"
    comment_id, mentioned = post(users, body)
    assert mentioned == ["sam", "kim-lee"]
    assert stored(users, comment_id).body == body
    with Session(users) as s:
        found = comments.mentions_of(s, "kim-lee", POSTED - timedelta(days=1))
        assert [c["id"] for c in found] == [comment_id]
        assert comments.mentions_of(s, "kim-lee", POSTED) == []  # not since it was posted
        assert comments.mentions_of(s, "kim", None) == []  # @kim-lee is not @kim
        names = [u for u, _ in comments.suggest_usernames(s, "@k")]
        assert names == ["kim-lee"]


def test_author_edits_within_ten_minutes(users: Engine) -> None:
    comment_id, _ = post(users, "Draft")
    assert edit(users, comment_id, "Fixed, @sam", minutes=9.5) == ["sam"]
    comment = stored(users, comment_id)
    assert comment.body == "Fixed, @sam"
    assert comment.edited_at == POSTED + timedelta(minutes=9.5)


def test_edit_after_ten_minutes_is_refused(users: Engine) -> None:
    comment_id, _ = post(users, "Draft")
    with pytest.raises(UpdateRejected, match="10 minutes"):
        edit(users, comment_id, "Too late", minutes=10.5)
    assert stored(users, comment_id).body == "Draft"


def test_non_author_cannot_edit_even_an_admin(users: Engine) -> None:
    comment_id, _ = post(users, "Mine")
    for other in (ADMIN, VIEWER):
        with pytest.raises(PermissionDenied, match="author"):
            edit(users, comment_id, "Theirs", other, minutes=1)
    assert stored(users, comment_id).body == "Mine"


def test_admin_removal_leaves_a_tombstone(users: Engine) -> None:
    comment_id, _ = post(users, "Named a survivor by mistake")
    with write_session(users) as s, pytest.raises(PermissionDenied, match="admin"):
        comments.remove_comment(session=s, actor=LEAD, comment_id=comment_id)
    with write_session(users) as s:
        comments.remove_comment(session=s, actor=ADMIN, comment_id=comment_id, now=POSTED)
    [row] = thread(users, members=True)
    assert (row["body"], row["removed"], row["removed_by"]) == ("", True, "ada")
    assert row["removed_at"] == POSTED
    with pytest.raises(UpdateRejected, match="removed"):
        edit(users, comment_id, "Back", minutes=1)


def test_signed_out_reader_sees_only_published_comments(users: Engine) -> None:
    private, _ = post(users, "For members")
    public, _ = post(users, "For everyone", now=POSTED + timedelta(minutes=1))
    with write_session(users) as s, pytest.raises(PermissionDenied, match="author"):
        comments.set_published(session=s, actor=VIEWER, comment_id=public, published=True)
    with write_session(users) as s:
        comments.set_published(session=s, actor=LEAD, comment_id=public, published=True)
    [row] = thread(users, members=False)
    assert (row["id"], row["body"], row["author"], row["published_by"]) == (
        public,
        "For everyone",
        A_MEMBER,
        A_MEMBER,
    )
    assert [r["id"] for r in thread(users, members=True)] == [private, public]
    with write_session(users) as s:
        comments.set_published(session=s, actor=ADMIN, comment_id=public, published=False)
    assert thread(users, members=False) == []


def test_a_comment_counts_as_activity_for_freshness(users: Engine) -> None:
    flt = OutcomeFilter(outcome_ids=(OUTCOME,))
    with Session(users) as s:
        before = queries.outcome_rows(s, flt)[0]
        stamp = queries.data_stamp(s)
    assert before["last_updated"] is None
    post(users, "Still waiting on the county")
    today = date(2021, 6, 1)
    with Session(users) as s:
        row = queries.outcome_rows(s, flt)[0]
        regions = {r["region_id"]: r for r in activity.region_freshness(s, today)}
        assert queries.data_stamp(s) != stamp  # cached views show the comment
        exported = queries.export_rows(s, flt)[0]
    assert row["last_updated"] == POSTED and row["last_status_update"] is None
    assert derived.annotate([row], {}, today)[0]["freshness_days"] == 12
    assert regions["southwest"]["last_update"] == POSTED
    assert regions["southwest"]["days_since_update"] == 12
    assert exported["last_updated"] is None  # the export says when the status changed


def test_a_removed_comment_does_not_count_as_activity(users: Engine) -> None:
    comment_id, _ = post(users, "Spam")
    with write_session(users) as s:
        comments.remove_comment(session=s, actor=ADMIN, comment_id=comment_id)
    with Session(users) as s:
        [row] = queries.outcome_rows(s, OutcomeFilter(outcome_ids=(OUTCOME,)))
    assert row["last_updated"] is None


def test_latest_activity_is_the_later_of_status_update_and_comment(users: Engine) -> None:
    status_at = POSTED + timedelta(days=2)
    with write_session(users) as s:
        version = s.get(Outcome, OUTCOME).version
        update_status(
            session=s,
            actor=ADMIN,
            outcome_id=OUTCOME,
            expected_version=version,
            new_status=Status.BLOCKED.value,
            note="Waiting for the county",
            now=status_at,
        )
    post(users, "Older comment")
    flt = OutcomeFilter(outcome_ids=(OUTCOME,))
    with Session(users) as s:
        [row] = queries.outcome_rows(s, flt, members=True)
    assert (row["last_updated"], row["last_status_update"]) == (status_at, status_at)
    later = status_at + timedelta(days=3)
    post(users, "Newer comment", now=later)
    with Session(users) as s:
        [row] = queries.outcome_rows(s, flt, members=True)
        report = progress_report_html(s, today=date(2021, 6, 1), flt=flt, members=True)
    assert (row["last_updated"], row["last_status_update"]) == (later, status_at)
    assert row["last_updated_by"] == "ada"  # who changed the status
    # The report dates the note by its status update, not by the later comment.
    assert "ada, May 22, 2021" in report and "May 25, 2021" not in report
