"""Comments on outcomes: a discussion thread beside the status history.

Any signed-in member may comment (viewers too: they read every comment, and a
question from leadership belongs in the thread; a comment changes no status, so it
needs no update scope). Comments are plain text, kept on several lines, and follow
the notes' rule (core.progress.notes): members read all of them, signed-out visitors
only published ones, with "a member" for every name. The author may edit a comment
for EDIT_WINDOW after posting it; an admin may remove one, which empties its body and
leaves a tombstone (who removed it and when). `@username` names an active user.

A comment counts as activity for freshness (`counts_as_activity_sql`): the outcome
rows' `last_updated` (core.progress.queries.outcome_rows, through `latest_comment_sql`)
and each region's freshness (core.progress.activity.region_freshness) count it.
A comment does not bump Outcome.version, so an open Update form stays valid.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from core.clock import as_utc
from core.errors import UpdateRejected
from core.models import Comment, Outcome, User
from core.people.permissions import Actor, PermissionDenied, organisation_of
from core.plan import fields
from core.progress.notes import A_MEMBER, can_publish, may_read_note

COMMENT_MAX = 5_000
EDIT_WINDOW = timedelta(minutes=10)
# "@" not inside a word or an e-mail address, then what a username may hold.
_MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9][A-Za-z0-9._-]{0,79})")
SUGGESTIONS_MAX = 8


def clean_body(body: Any) -> str:
    """A comment as stored: line breaks kept (\\r\\n and \\r become \\n), tabs become
    spaces, trailing spaces and blank lines at the ends dropped. Every other control
    character is refused, by the plan's one text rule (core.plan.fields)."""
    text = str(body or "").replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = "\n".join(line.rstrip() for line in text.split("\n")).strip()
    problem = fields.text_problem(text.replace("\n", " "), COMMENT_MAX, required=True)
    if problem is fields.TextProblem.NUL:
        raise UpdateRejected("The comment contains a NUL character; please remove it.")
    if problem is fields.TextProblem.CONTROL:
        raise UpdateRejected(
            "The comment contains a control character (an invisible code, often pasted "
            "from another program); please remove it."
        )
    if problem is fields.TextProblem.EMPTY:
        raise UpdateRejected("Write something first: the comment is empty.")
    if problem is fields.TextProblem.TOO_LONG:
        raise UpdateRejected(
            f"The comment is {len(text):,} characters; keep it under {COMMENT_MAX:,}."
        )
    return text


def mention_candidates(body: str) -> list[str]:
    """The `@names` written in `body`, lower case, in order, without repeats."""
    out: list[str] = []
    for name in _MENTION.findall(body or ""):
        name = name.lower()
        if name not in out:
            out.append(name)
    return out


def mentions(session: Session, body: str) -> list[str]:
    """The active users `body` mentions, in order. A name followed by a full stop or
    a comma ("thanks @sam.") still counts; an unknown @name is left as text."""
    candidates = mention_candidates(body)
    if not candidates:
        return []
    tries = {c: _spellings(c) for c in candidates}
    wanted = {t for ts in tries.values() for t in ts}
    active = set(
        session.exec(
            select(User.username).where(col(User.username).in_(wanted), col(User.active))
        ).all()
    )
    found: list[str] = []
    for c in candidates:
        name = next((t for t in tries[c] if t in active), None)
        if name is not None and name not in found:
            found.append(name)
    return found


def _spellings(candidate: str) -> list[str]:
    """A candidate, then it with each trailing ".", "_" or "-" dropped in turn."""
    out = [candidate]
    while out[-1][-1] in "._-":
        out.append(out[-1][:-1])
    return out


def suggest_usernames(session: Session, prefix: str = "") -> list[tuple[str, str]]:
    """Active users whose username or display name starts with `prefix` (no prefix:
    everyone), as (username, display name), for mention suggestions."""
    stmt = select(User.username, User.display_name).where(col(User.active))
    prefix = prefix.strip().lstrip("@").lower()
    if prefix:
        stmt = stmt.where(
            or_(
                col(User.username).startswith(prefix, autoescape=True),
                func.lower(User.display_name).startswith(prefix, autoescape=True),
            )
        )
    return [(u, d) for u, d in session.exec(stmt.order_by(col(User.username))).all()]


def _require_member(actor: Actor, verb: str) -> None:
    if not actor.signed_in:
        raise PermissionDenied(f"Sign in to {verb} comments.")


def _comment(session: Session, comment_id: int) -> Comment:
    comment = session.get(Comment, comment_id, populate_existing=True)
    if comment is None:
        raise UpdateRejected(f"There is no comment #{comment_id}.")
    return comment


def add_comment(
    *, session: Session, actor: Actor, outcome_id: str, body: str, now: datetime | None = None
) -> tuple[Comment, list[str]]:
    """Post a comment on an outcome; returns it and the users it mentions."""
    _require_member(actor, "write")
    text = clean_body(body)
    outcome = session.get(Outcome, outcome_id)
    if outcome is None:
        raise UpdateRejected(f"There is no outcome {outcome_id!r}.")
    if outcome.retired:
        raise UpdateRejected("This outcome has been retired from the plan; it takes no comments.")
    comment = Comment(
        outcome_id=outcome_id,
        author=actor.username,
        created_at=as_utc(now),
        body=text,
        organisation_id=organisation_of(session, actor),
    )
    session.add(comment)
    session.flush()
    return comment, mentions(session, text)


def edit_deadline(created_at: datetime) -> datetime:
    """Until when the author may edit a comment posted at `created_at`."""
    return as_utc(created_at) + EDIT_WINDOW


def edit_comment(
    *, session: Session, actor: Actor, comment_id: int, body: str, now: datetime | None = None
) -> tuple[Comment, list[str]]:
    """Change a comment's text: its author only, within EDIT_WINDOW of posting it."""
    _require_member(actor, "edit")
    comment = _comment(session, comment_id)
    if comment.author != actor.username:
        raise PermissionDenied("Only the author of a comment can edit it.")
    if comment.removed_at is not None:
        raise UpdateRejected("This comment was removed by an admin; it cannot be edited.")
    now = as_utc(now)
    if now > edit_deadline(comment.created_at):
        minutes = int(EDIT_WINDOW.total_seconds() // 60)
        raise UpdateRejected(
            f"A comment can be edited for {minutes} minutes after posting; this one no "
            "longer can. Add a new comment instead."
        )
    text = clean_body(body)
    if text != comment.body:
        comment.body, comment.edited_at = text, now
        session.add(comment)
        session.flush()
    return comment, mentions(session, text)


def remove_comment(
    *, session: Session, actor: Actor, comment_id: int, now: datetime | None = None
) -> Comment:
    """Remove a comment (admins only): its text is emptied and a tombstone stays."""
    _require_member(actor, "remove")
    if not actor.is_admin:
        raise PermissionDenied("Only an admin can remove a comment.")
    comment = _comment(session, comment_id)
    if comment.removed_at is None:
        comment.body, comment.removed_at, comment.removed_by = "", as_utc(now), actor.username
        session.add(comment)
        session.flush()
    return comment


def set_published(
    *,
    session: Session,
    actor: Actor,
    comment_id: int,
    published: bool,
    now: datetime | None = None,
) -> Comment:
    """Publish a comment (signed-out visitors read it too) or make it for members only
    again: its author or an admin, as for notes."""
    verb = "publish" if published else "unpublish"
    _require_member(actor, verb)
    comment = _comment(session, comment_id)
    if not can_publish(actor, author=comment.author):
        raise PermissionDenied(
            f"Only the author of this comment ({comment.author}) or an admin can {verb} it."
        )
    if published and comment.removed_at is not None:
        raise UpdateRejected("This comment was removed by an admin: there is nothing to publish.")
    if published and comment.published_at is None:
        comment.published_at, comment.published_by = as_utc(now), actor.username
    elif not published:
        comment.published_at = comment.published_by = None
    session.add(comment)
    session.flush()
    return comment


def list_comments(session: Session, outcome_id: str, *, members: bool) -> list[dict[str, Any]]:
    """An outcome's comments, oldest first, as this reader may read them: members all
    of them, others only published ones, with "a member" for every name."""
    stmt = select(Comment).where(Comment.outcome_id == outcome_id)
    if not members:
        stmt = stmt.where(col(Comment.published_at).is_not(None))
    rows = []
    for c in session.exec(stmt.order_by(col(Comment.created_at), col(Comment.id))).all():
        row = c.model_dump()
        row["published"] = c.published_at is not None
        row["removed"] = c.removed_at is not None
        if not may_read_note(members=members, published=row["published"]):
            continue
        if not members:
            for name in ("author", "removed_by", "published_by"):
                if row[name]:
                    row[name] = A_MEMBER
        rows.append(row)
    return rows


def mentions_of(session: Session, username: str, since: datetime | None) -> list[dict[str, Any]]:
    """Comments that mention `username`, posted or edited after `since` (None: ever),
    oldest first and not removed: what a person's digest lists."""
    name = username.strip().lower()
    stmt = select(Comment).where(
        col(Comment.removed_at).is_(None),
        func.lower(Comment.body).contains(f"@{name}", autoescape=True),
    )
    if since is not None:
        since = as_utc(since)
        stmt = stmt.where(or_(col(Comment.created_at) > since, col(Comment.edited_at) > since))
    found = session.exec(stmt.order_by(col(Comment.created_at), col(Comment.id))).all()
    return [c.model_dump() for c in found if name in mentions(session, c.body)]


def counts_as_activity_sql():
    """The comments freshness counts: all but removed ones (an admin removed them)."""
    return col(Comment.removed_at).is_(None)


def latest_comment_sql():
    """Each outcome's latest comment time that counts as activity, correlated to
    Outcome: what a comment adds to freshness."""
    return (
        select(func.max(Comment.created_at))
        .where(col(Comment.outcome_id) == Outcome.id, counts_as_activity_sql())
        .correlate(Outcome)
        .scalar_subquery()
    )
