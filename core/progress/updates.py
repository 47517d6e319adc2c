"""Write-side services: status updates with history, undo, and no lost updates.

Every function takes keyword-only arguments and an open session from
`core.store.db.write_session` (which holds the write lock: SQLite BEGIN IMMEDIATE).
Permissions are checked here, so no page can skip them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlsplit, urlunsplit

from sqlalchemy import update
from sqlmodel import Session, col, select

from core.clock import as_utc
from core.errors import UpdateRejected
from core.models import LogicModel, Outcome, Status, StatusUpdate, Strategy
from core.people.permissions import Actor, organisation_of, require_update_outcome
from core.progress.schedule import is_closed

NOTE_MAX = 5_000
URL_MAX = 2_000
NOTE_REQUIRED = {
    Status.BLOCKED: "Say what is blocking this outcome, so others can help.",
    Status.DROPPED: "Give the reason this outcome is dropped.",
}
# Moves that need a note whatever the new status: (old, new) → why.
NOTE_REQUIRED_FROM: dict[tuple[str, str], str] = {
    (Status.BLOCKED, Status.DONE): "Say how the block was resolved, so the reason on record "
    "is not left standing.",
}


class StaleUpdate(UpdateRejected):
    """Someone saved this outcome after the form was opened; nothing was written."""

    def __init__(
        self,
        *,
        outcome_id: str,
        current_status: str,
        changed_by: str | None,
        changed_at: datetime | None,
        current_version: int,
        note: str,
    ):
        self.outcome_id = outcome_id
        self.current_status = current_status
        self.changed_by = changed_by
        self.changed_at = changed_at
        self.current_version = current_version
        self.note = note  # the user's note, kept so it can be re-applied
        who = changed_by or "someone"
        when = f" at {changed_at:%Y-%m-%d %H:%M} UTC" if changed_at else ""
        super().__init__(
            f"{who} changed this outcome{when} (it is now “{current_status}”) after you "
            "opened the form. Your update was not saved; review it and save again."
        )


@dataclass(frozen=True)
class UpdateRequest:
    outcome_id: str
    expected_version: int


def validate_update(
    new_status: str, note: str, evidence_url: str | None
) -> tuple[Status, str, str | None]:
    try:
        status = Status(new_status)
    except ValueError:
        allowed = ", ".join(s.value for s in Status)
        raise UpdateRejected(f"“{new_status}” is not a status. Choose one of: {allowed}.") from None
    note = clean_note(note)
    if status in NOTE_REQUIRED and not note:
        raise UpdateRejected(f"{status.value} needs a note. {NOTE_REQUIRED[status]}")
    return status, note, validate_evidence_url(evidence_url)


def clean_note(note: str) -> str:
    """A note as saved (trimmed), or a refusal when it is too long or holds a NUL."""
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise UpdateRejected(f"The note is {len(note):,} characters; keep it under {NOTE_MAX:,}.")
    if "\x00" in note:
        raise UpdateRejected("The note contains a NUL character; please remove it.")
    return note


def validate_evidence_url(url: str | None) -> str | None:
    """An evidence link, parsed: http or https with a host, no spaces or control
    characters. Returns it normalised (scheme and host in lower case, characters that
    are not allowed in a URL percent-encoded), or None when there is none."""
    url = (url or "").strip()
    if not url:
        return None
    if len(url) > URL_MAX:
        raise UpdateRejected(f"The evidence link is longer than {URL_MAX:,} characters.")
    if "\x00" in url:
        raise UpdateRejected("The evidence link contains a NUL character; please remove it.")
    if any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in url):
        raise UpdateRejected(
            "The evidence link contains a space or an invisible character; "
            "paste the web address on its own."
        )
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port, parts = None, None, None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not host:
        raise UpdateRejected(
            "The evidence link must be a full web address starting with http:// or https://."
        )
    if not _HOST.fullmatch(host):
        raise UpdateRejected(f"“{host}” is not a web server's name; check the evidence link.")
    netloc = host if ":" not in host else f"[{host}]"
    if port is not None:
        netloc += f":{port}"
    if parts.username or parts.password:
        raise UpdateRejected("The evidence link must not contain a user name or password.")
    return urlunsplit(
        (
            parts.scheme.lower(),
            netloc,
            quote(parts.path, safe=_SAFE_PATH),
            quote(parts.query, safe=_SAFE_QUERY),
            quote(parts.fragment, safe=_SAFE_QUERY),
        )
    )


# A host name (letters, digits, hyphens, dots; international names as typed) or an
# IPv6 address; the characters RFC 3986 allows unencoded in a path and in a query.
_HOST = re.compile(r"[\w.-]+|[0-9a-f:.]+", re.IGNORECASE)
_SAFE_PATH = "/:@!$&'*+,;=-._~%"
_SAFE_QUERY = _SAFE_PATH + "?"


def _scope(session: Session, outcome_id: str) -> tuple[Outcome, str]:
    row = session.exec(
        select(Outcome, LogicModel.region_id)
        .join(Strategy, col(Strategy.id) == col(Outcome.strategy_id))
        .join(LogicModel, col(LogicModel.id) == col(Strategy.logic_model_id))
        .where(col(Outcome.id) == outcome_id)
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        raise UpdateRejected(f"There is no outcome {outcome_id!r}.")
    outcome, region_id = row
    if outcome.retired:
        raise UpdateRejected("This outcome has been retired from the plan and cannot be updated.")
    return outcome, region_id


def update_status(
    *,
    session: Session,
    actor: Actor,
    outcome_id: str,
    expected_version: int,
    new_status: str,
    note: str = "",
    evidence_url: str | None = None,
    now: datetime | None = None,
    reverts_id: int | None = None,
) -> StatusUpdate:
    """Record a status change (or a note) for one outcome.

    `expected_version` is the version the user saw when the form was rendered; the
    UPDATE only applies if it is still current, so a concurrent save is refused
    (StaleUpdate) instead of silently overwritten."""
    status, note, evidence_url = validate_update(new_status, note, evidence_url)
    outcome, region_id = _scope(session, outcome_id)
    require_update_outcome(actor, region_id=region_id, strategy_id=outcome.strategy_id)
    old_status = outcome.status
    if outcome.version != expected_version:
        # Someone saved since the form rendered: say so, rather than judging the
        # request against a state this user has not seen.
        session.rollback()
        raise _stale(session, outcome_id, note)
    if (reason := NOTE_REQUIRED_FROM.get((old_status, status))) and not note:
        raise UpdateRejected(
            f"Marking a {old_status} outcome {status.value} needs a note. {reason}"
        )
    if status.value == old_status and not note and not evidence_url:
        raise UpdateRejected(
            f"The outcome is already “{old_status}”; add a note to record progress."
        )
    return _record(
        session,
        actor,
        StatusUpdate(
            outcome_id=outcome_id,
            changed_at=as_utc(now),
            changed_by=actor.username,
            old_status=old_status,
            new_status=status.value,
            note=note,
            evidence_url=evidence_url,
            reverts_id=reverts_id,
        ),
        expected_version,
    )


def _record(
    session: Session, actor: Actor, entry: StatusUpdate, expected_version: int
) -> StatusUpdate:
    """Apply `entry` to its outcome if the outcome is still at `expected_version`
    (else StaleUpdate, nothing written), and add it to the history."""
    result = session.exec(
        update(Outcome)
        .where(col(Outcome.id) == entry.outcome_id, col(Outcome.version) == expected_version)
        .values(
            status=entry.new_status,
            version=Outcome.version + 1,
            last_updated=entry.changed_at,
            last_updated_by=actor.username,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        raise _stale(session, entry.outcome_id, entry.note)
    entry.organisation_id = organisation_of(session, actor)  # the author's, when written
    session.add(entry)
    session.flush()
    return entry


def check_in(
    *,
    session: Session,
    actor: Actor,
    outcome_id: str,
    expected_version: int,
    note: str = "",
    now: datetime | None = None,
) -> StatusUpdate:
    """Record "still on track, no change": a history entry keeping the current status
    (old status = new status), with an optional note. It refreshes the outcome's
    freshness (last_updated) and bumps its version, with the same permission and
    stale-form checks as `update_status`. A check-in without a note leaves the
    standing note (a Blocked reason) as it is (queries.standing_update_id)."""
    note = clean_note(note)
    outcome, region_id = _scope(session, outcome_id)
    require_update_outcome(actor, region_id=region_id, strategy_id=outcome.strategy_id)
    if outcome.version != expected_version:
        session.rollback()
        raise _stale(session, outcome_id, note)
    if is_closed(outcome.status):
        raise UpdateRejected(
            f"This outcome is “{outcome.status}”, so there is nothing to check in; "
            "use Update to add a note."
        )
    entry = StatusUpdate(
        outcome_id=outcome_id,
        changed_at=as_utc(now),
        changed_by=actor.username,
        old_status=outcome.status,
        new_status=outcome.status,
        note=note,
    )
    return _record(session, actor, entry, expected_version)


def _stale(session: Session, outcome_id: str, note: str) -> StaleUpdate:
    current = session.exec(select(Outcome).where(Outcome.id == outcome_id)).one()
    session.refresh(current)
    return StaleUpdate(
        outcome_id=outcome_id,
        current_status=current.status,
        changed_by=current.last_updated_by,
        changed_at=current.last_updated,
        current_version=current.version,
        note=note,
    )


def update_many(
    *,
    session: Session,
    actor: Actor,
    requests: list[UpdateRequest],
    new_status: str,
    note: str = "",
    evidence_url: str | None = None,
    now: datetime | None = None,
) -> list[StatusUpdate]:
    """Apply one status to several outcomes, all or nothing (one transaction):
    a permission error or a stale version on any of them writes none."""
    if not requests:
        raise UpdateRejected("Select at least one outcome.")
    now = as_utc(now)
    entries = []
    for req in requests:
        entries.append(
            update_status(
                session=session,
                actor=actor,
                outcome_id=req.outcome_id,
                expected_version=req.expected_version,
                new_status=new_status,
                note=note,
                evidence_url=evidence_url,
                now=now,
            )
        )
    return entries


def latest_update(session: Session, outcome_id: str) -> StatusUpdate | None:
    return session.exec(
        select(StatusUpdate)
        .where(StatusUpdate.outcome_id == outcome_id)
        .order_by(col(StatusUpdate.id).desc())
    ).first()


def revert_update(
    *,
    session: Session,
    actor: Actor,
    status_update_id: int,
    expected_version: int,
    now: datetime | None = None,
) -> StatusUpdate:
    """Undo an outcome's latest status update by writing a compensating entry that
    restores the previous status. History rows are never edited or deleted."""
    target = session.get(StatusUpdate, status_update_id)
    if target is None:
        raise UpdateRejected(f"There is no status update #{status_update_id}.")
    latest = latest_update(session, target.outcome_id)
    if latest is None or latest.id != target.id:
        raise UpdateRejected(
            "Only the latest update of an outcome can be undone; set the status directly instead."
        )
    return update_status(
        session=session,
        actor=actor,
        outcome_id=target.outcome_id,
        expected_version=expected_version,
        new_status=target.old_status,
        note=f"Undo of update #{target.id} ({target.old_status} → {target.new_status}).",
        now=now,
        reverts_id=target.id,
    )
