"""What changed since a date (a saved meeting's, or any day up to today), for the
outcomes a filter selects, statewide and per region: outcomes newly Done, newly
Blocked (with their reasons), slipped (re-dated or re-baselined, with reasons and
days moved), comments, and measure values recorded.

The window runs from the start of the `since` day (UTC; what was done on the day of
the meeting counts) to the end of `today`. Undos and undone entries do not count.
Reasons, comments and who did what follow the notes' rule (core.progress.notes):
signed-out readers see counts and statuses, a reason or comment only when published.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_
from sqlmodel import Session, col, select

from core.errors import UpdateRejected
from core.measures.queries import in_scope, measure_joins
from core.models import (
    ChangeAction,
    Comment,
    Measure,
    MeasureValue,
    NotePublication,
    Outcome,
    PlanChange,
    Region,
    Status,
    StatusUpdate,
    Strategy,
)
from core.plan.fields import clean_date
from core.progress import counted
from core.progress.filters import OutcomeFilter, joined
from core.progress.notes import A_MEMBER, guard_author, guard_note, may_read_note

KINDS = ("done", "blocked", "slipped", "comments", "values")


@dataclass
class SinceChanges:
    """The changes in the window, each a list of plain rows (dicts) in time order;
    every row carries its outcome's `region_id`, `region` and `region_position`."""

    since: date
    today: date
    done: list[dict[str, Any]] = field(default_factory=list)
    blocked: list[dict[str, Any]] = field(default_factory=list)
    slipped: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)  # one row per outcome
    values: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Outcomes done, blocked and slipped (moved later), comments and values."""
        return {
            "done": len(self.done),
            "blocked": len(self.blocked),
            "slipped": len({r["outcome_id"] for r in self.slipped if r["days"] > 0}),
            "earlier": len({r["outcome_id"] for r in self.slipped if r["days"] < 0}),
            "comments": sum(r["count"] for r in self.comments),
            "values": len(self.values),
        }

    @property
    def empty(self) -> bool:
        return not any(getattr(self, kind) for kind in KINDS)

    def summary(self) -> str:
        """ "Since Tuesday, November 3: 4 outcomes done, 2 blocked, 7 slipped, …"."""
        return f"Since {since_words(self.since)}: {counts_words(self.counts())}"

    def regions(self) -> list[dict[str, Any]]:
        """The counts per region that has any change, in the report's region order."""
        names: dict[str, tuple[int, str]] = {}
        for kind in KINDS:
            for r in getattr(self, kind):
                names[r["region_id"]] = (r["region_position"], r["region"])
        out = []
        for region_id, (_, name) in sorted(names.items(), key=lambda kv: kv[1]):
            part = self.only_region(region_id)
            out.append({"region_id": region_id, "region": name, "counts": part.counts()})
        return out

    def only_region(self, region_id: str) -> SinceChanges:
        def pick(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [r for r in rows if r["region_id"] == region_id]

        return SinceChanges(self.since, self.today, *(pick(getattr(self, kind)) for kind in KINDS))


def since_words(since: date) -> str:
    """A date as the summary line names it: "Tuesday, November 3, 2026"."""
    return f"{since:%A}, {since:%B} {since.day}, {since.year}"


def counts_words(counts: dict[str, int]) -> str:
    words = [
        f"{counts['done']:,} {'outcome' if counts['done'] == 1 else 'outcomes'} done",
        f"{counts['blocked']:,} blocked",
        f"{counts['slipped']:,} slipped",
    ]
    if counts["earlier"]:
        words.append(f"{counts['earlier']:,} moved earlier")
    words += [
        f"{counts['comments']:,} {'comment' if counts['comments'] == 1 else 'comments'}",
        f"{counts['values']:,} {'value' if counts['values'] == 1 else 'values'} recorded",
    ]
    return ", ".join(words)


def clean_since(value: Any, today: date) -> date:
    """The `since` date a reader asked for: a date (or YYYY-MM-DD), not after today."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise UpdateRejected(
                f"“{value}” is not a date; write it as YYYY-MM-DD (e.g. 2026-11-03)."
            ) from None
    since = clean_date(value, "The date")
    if since > today:
        raise UpdateRejected(
            f"{since:%m/%d/%Y} is in the future; pick today ({today:%m/%d/%Y}) or earlier."
        )
    return since


def changes_since(
    session: Session,
    *,
    since: date,
    today: date,
    flt: OutcomeFilter | None = None,
    members: bool = False,
) -> SinceChanges:
    """Everything that changed from `since` to `today` for the outcomes `flt` selects."""
    since = clean_since(since, today)
    flt = replace(flt or OutcomeFilter(), today=today, limit=None)
    start = datetime.combine(since, time.min, UTC)
    end = datetime.combine(today + timedelta(days=1), time.min, UTC)
    return SinceChanges(
        since=since,
        today=today,
        done=_status_changes(session, flt, start, end, Status.DONE, members),
        blocked=_status_changes(session, flt, start, end, Status.BLOCKED, members),
        slipped=_slipped(session, flt, start, end),
        comments=_comments(session, flt, start, end, members),
        values=_values(session, flt, start, end, members),
    )


# Each outcome's columns every kind of change shows.
OUTCOME_COLUMNS: list[Any] = [
    col(Outcome.id).label("outcome_id"),
    col(Outcome.text).label("text"),
    col(Outcome.term).label("term"),
    col(Outcome.number).label("number"),
    col(Outcome.status).label("status"),
    col(Strategy.id).label("strategy_id"),
    col(Strategy.title).label("strategy"),
    col(Region.id).label("region_id"),
    col(Region.name).label("region"),
    col(Region.position).label("region_position"),
]


def _status_changes(
    session: Session,
    flt: OutcomeFilter,
    start: datetime,
    end: datetime,
    status: Status,
    members: bool,
) -> list[dict[str, Any]]:
    """Moves to `status` in the window, neither an undo nor undone: the latest per
    outcome, with its note (the Blocked reason) as this reader may read it."""
    stmt = (
        joined(
            [
                *OUTCOME_COLUMNS,
                col(StatusUpdate.id).label("update_id"),
                col(StatusUpdate.changed_at).label("changed_at"),
                col(StatusUpdate.changed_by).label("changed_by"),
                col(StatusUpdate.old_status).label("old_status"),
                col(StatusUpdate.note).label("note"),
                col(NotePublication.status_update_id).label("note_published"),
            ]
        )
        .join(StatusUpdate, col(StatusUpdate.outcome_id) == col(Outcome.id))
        .outerjoin(NotePublication, col(NotePublication.status_update_id) == col(StatusUpdate.id))
        .where(
            *flt.conditions(),
            col(StatusUpdate.changed_at) >= start,
            col(StatusUpdate.changed_at) < end,
            col(StatusUpdate.new_status) == status.value,
            col(StatusUpdate.old_status) != status.value,
            counted.counts(),
        )
        .order_by(col(StatusUpdate.changed_at), col(StatusUpdate.id))
    )
    latest: dict[str, dict[str, Any]] = {}
    for row in session.exec(stmt).mappings():
        r = dict(row)
        guard_note(r, members, "note", ("note",))
        guard_author(r, members, "changed_by")
        latest.pop(r["outcome_id"], None)
        latest[r["outcome_id"]] = r
    return list(latest.values())


def _slipped(
    session: Session, flt: OutcomeFilter, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Re-dated and re-baselined outcomes, one row per change, with its reason (the
    plan's change log is public) and the days the due date moved."""
    stmt = (
        joined(
            [
                *OUTCOME_COLUMNS,
                col(PlanChange.id).label("change_id"),
                col(PlanChange.action).label("action"),
                col(PlanChange.changed_at).label("changed_at"),
                col(PlanChange.before).label("before"),
                col(PlanChange.after).label("after"),
                col(PlanChange.reason).label("reason"),
            ]
        )
        .join(
            PlanChange,
            and_(
                col(PlanChange.subject_kind) == "outcome",
                col(PlanChange.subject_id) == col(Outcome.id),
            ),
        )
        .where(
            *flt.conditions(),
            col(PlanChange.action).in_([ChangeAction.REDATED, ChangeAction.REBASELINED]),
            col(PlanChange.changed_at) >= start,
            col(PlanChange.changed_at) < end,
        )
        .order_by(col(PlanChange.changed_at), col(PlanChange.id))
    )
    out = []
    for row in session.exec(stmt).mappings():
        r = dict(row)
        r["due_before"] = _due(r.pop("before"))
        r["due_after"] = _due(r.pop("after"))
        moved = r["due_before"] and r["due_after"] and (r["due_after"] - r["due_before"]).days
        r["days"] = moved or 0
        out.append(r)
    return out


def _due(values: dict[str, Any] | None) -> date | None:
    raw = (values or {}).get("due_date")
    return date.fromisoformat(raw) if isinstance(raw, str) else raw


def _comments(
    session: Session, flt: OutcomeFilter, start: datetime, end: datetime, members: bool
) -> list[dict[str, Any]]:
    """Comments posted in the window and not removed, one row per outcome: how many
    (a count is public), and the ones this reader may read."""
    stmt = (
        joined(
            [
                *OUTCOME_COLUMNS,
                col(Comment.id).label("comment_id"),
                col(Comment.created_at).label("created_at"),
                col(Comment.author).label("author"),
                col(Comment.body).label("body"),
                col(Comment.published_at).label("published_at"),
            ]
        )
        .join(Comment, col(Comment.outcome_id) == col(Outcome.id))
        .where(
            *flt.conditions(),
            col(Comment.created_at) >= start,
            col(Comment.created_at) < end,
            col(Comment.removed_at).is_(None),
        )
        .order_by(col(Region.position), col(Outcome.id), col(Comment.created_at))
    )
    per_outcome: dict[str, dict[str, Any]] = {}
    for row in session.exec(stmt).mappings():
        r = dict(row)
        item = per_outcome.setdefault(
            r["outcome_id"], {k: r[k] for k in r if k in _OUTCOME_KEYS} | {"count": 0, "shown": []}
        )
        item["count"] += 1
        if may_read_note(members=members, published=r["published_at"] is not None):
            author = r["author"] if members else A_MEMBER
            item["shown"].append({"at": r["created_at"], "author": author, "body": r["body"]})
    return list(per_outcome.values())


_OUTCOME_KEYS = frozenset(c.key for c in OUTCOME_COLUMNS)


def _values(
    session: Session, flt: OutcomeFilter, start: datetime, end: datetime, members: bool
) -> list[dict[str, Any]]:
    """Measure values recorded in the window, neither an undo nor undone. A measure of
    an outcome follows the whole filter; one of a strategy or a region only its
    region, need and logic model (as core.measures.queries scopes them). Undo entries
    are dropped in Python: "reverts_id IS NULL" in SQL lets SQLite read every value
    through the reverts_id index instead of the window's through recorded_at."""
    reverted = select(MeasureValue.reverts_id).where(col(MeasureValue.reverts_id).is_not(None))
    columns: list[Any] = [
        col(Measure.id).label("measure_id"),
        col(Measure.name).label("measure"),
        col(Measure.unit).label("unit"),
        col(Measure.outcome_id).label("outcome_id"),
        col(Strategy.id).label("strategy_id"),
        col(Region.id).label("region_id"),
        col(Region.name).label("region"),
        col(Region.position).label("region_position"),
        col(MeasureValue.id).label("value_id"),
        col(MeasureValue.reverts_id).label("reverts_id"),
        col(MeasureValue.value).label("value"),
        col(MeasureValue.as_of).label("as_of"),
        col(MeasureValue.recorded_at).label("recorded_at"),
        col(MeasureValue.recorded_by).label("recorded_by"),
        col(MeasureValue.note).label("note"),
        col(Outcome.text).label("text"),
    ]
    stmt = (
        measure_joins(
            select(*columns)
            .select_from(MeasureValue)
            .join(Measure, col(Measure.id) == col(MeasureValue.measure_id))
        )
        .where(
            col(MeasureValue.recorded_at) >= start,
            col(MeasureValue.recorded_at) < end,
            col(MeasureValue.id).not_in(reverted),
            col(Measure.retired).is_(False),
            in_scope(flt),
        )
        .order_by(col(MeasureValue.recorded_at), col(MeasureValue.id))
    )
    out = []
    for row in session.exec(stmt).mappings():
        r = dict(row)
        if r.pop("reverts_id") is not None:
            continue  # an undo (left out here, not in SQL: see _values' docstring)
        if not members:
            r["recorded_by"], r["note"] = A_MEMBER, ""
        out.append(r)
    return out
