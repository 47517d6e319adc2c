"""The history chain: every status update and plan change stores `chain_hash`, the
SHA-256 of its content and of the previous row's hash, so a row changed or deleted
behind the app's back (triggers dropped, the SQLite file edited) is noticed by
`verify` (`python -m core verify`, the app's start, every restore).

The hash is set as each row is inserted (a `before_flush` hook on every Session, so
the services need no change). The previous hash is read in the same transaction:
SQLite's write transaction holds the write lock; on PostgreSQL an advisory lock is
taken first, so two writers cannot both append after the same row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from core.clock import as_utc
from core.models import MeasureValue, PlanChange, Status, StatusUpdate
from core.store.guard import APPEND_ONLY

CHAINED: dict[str, Any] = {
    "status_update": StatusUpdate,
    "plan_change": PlanChange,
    "measure_value": MeasureValue,
}
SKIPPED = ("id", "chain_hash")  # not part of an entry's content
# Columns added after rows were chained: part of the content only when set, so
# older rows keep their hashes (0007 added the author's organisation).
LATER = ("organisation_id",)
GENESIS = ""  # the previous hash of a table's first row
PG_CHAIN_LOCK = 4_815_162_343  # held by whoever appends to a chained table
TRIGGERS = {
    "sqlite": ("{t}_no_update", "{t}_no_delete"),
    "postgresql": ("{t}_append_only", "{t}_no_truncate"),
}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def entry_hash(row: Mapping[str, Any], previous_hash: str | None) -> str:
    """The hex SHA-256 of a row's content (every column but id and chain_hash, as
    canonical JSON) and of the previous row's hash."""
    content = {
        k: _plain(v) for k, v in row.items() if k not in SKIPPED and not (k in LATER and v is None)
    }
    payload = json.dumps(
        {"previous": previous_hash or GENESIS, "row": content},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _head(connection: Connection, table: str) -> str | None:
    return connection.execute(
        text(f"SELECT chain_hash FROM {table} ORDER BY id DESC LIMIT 1")
    ).scalar()


@event.listens_for(Session, "before_flush")
def _chain_new_entries(session: Session, _context: Any, _instances: Any) -> None:
    new = [obj for obj in session.new if type(obj) in CHAINED.values()]
    if not new:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_CHAIN_LOCK})
    # ids follow the order objects were added in: chain them in that order
    new.sort(key=lambda obj: sa.inspect(obj).insert_order)
    heads: dict[str, str | None] = {}
    for obj in new:
        table = obj.__tablename__
        if table not in heads:
            heads[table] = _head(connection, table)
        columns = obj.__table__.columns.keys()
        obj.chain_hash = entry_hash({c: getattr(obj, c) for c in columns}, heads[table])
        heads[table] = obj.chain_hash


# --- verifying --------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    table: str
    row_id: int | str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.table} row {self.row_id}" if self.row_id is not None else self.table
        return f"{where}: {self.message}"


@dataclass
class VerifyReport:
    problems: list[Problem] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # rows checked per table
    heads: dict[str, dict[str, Any] | None] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        counted = ", ".join(f"{n:,} {t}" for t, n in self.rows.items())
        if self.ok:
            return f"History verified: {counted} rows chained; guard triggers present; " + (
                "every outcome's status matches its history."
            )
        first = self.problems[0]
        more = (
            f" ({len(self.problems) - 1} more problem(s) after it)"
            if len(self.problems) > 1
            else ""
        )
        return f"History check failed at {first}{more}."


def chain_problems(
    connection: Connection,
    table: str,
    report: VerifyReport,
    since: Mapping[str, Any] | None = None,
    before: int = 0,
) -> bool:
    """Check every row's hash, in id order; stop at the first broken one. With `since`
    (the head a check ended on, `before` rows up to it), only the rows after it,
    chained from it; False, checking nothing, when the rows up to it are not `before`
    (one deleted, or committed late): the whole table must be checked."""
    chained = CHAINED[table].__table__
    stmt = sa.select(chained).order_by(chained.c.id)
    previous: str | None = None
    count = 0
    head: dict[str, Any] | None = None
    if since is not None:
        up_to = sa.select(sa.func.count()).select_from(chained).where(chained.c.id <= since["id"])
        if connection.execute(up_to).scalar_one() != before:
            return False
        stmt = stmt.where(chained.c.id > since["id"])
        previous, count, head = since["hash"], before, dict(since)
    for row in connection.execute(stmt).mappings():
        count += 1
        expected = entry_hash(dict(row), previous)
        if row["chain_hash"] != expected:
            what = (
                "has no hash"
                if row["chain_hash"] is None
                else ("does not match its hash: it was changed, or a row before it was deleted")
            )
            report.problems.append(Problem(table, row["id"], what))
            break
        previous = row["chain_hash"]
        head = {"id": row["id"], "hash": previous}
    report.rows[table] = count
    report.heads[table] = head
    return True


def trigger_problems(connection: Connection, report: VerifyReport) -> None:
    dialect = connection.dialect.name
    if dialect == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    elif dialect == "postgresql":
        query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D'"
    else:
        return
    present = set(connection.execute(text(query)).scalars())
    for table in APPEND_ONLY:
        for name in TRIGGERS[dialect]:
            if name.format(t=table) not in present:
                message = f"the append-only trigger {name.format(t=table)} is missing or disabled"
                report.problems.append(Problem(table, None, message))


def status_problems(
    connection: Connection, report: VerifyReport, outcome_ids: Collection[str] | None = None
) -> None:
    """Every outcome's status (or only those of `outcome_ids`) is the new status of its
    latest update (Not started when it has none)."""
    outcome, update = SQLModel.metadata.tables["outcome"], SQLModel.metadata.tables["status_update"]
    latest = sa.select(update.c.outcome_id, sa.func.max(update.c.id).label("last_id"))
    if outcome_ids is not None:
        latest = latest.where(update.c.outcome_id.in_(sorted(outcome_ids)))
    last = latest.group_by(update.c.outcome_id).subquery()
    stmt = (
        sa.select(outcome.c.id, outcome.c.status, update.c.new_status)
        .select_from(outcome)
        .outerjoin(last, last.c.outcome_id == outcome.c.id)
        .outerjoin(update, update.c.id == last.c.last_id)
        .order_by(outcome.c.id)
    )
    if outcome_ids is not None:
        stmt = stmt.where(outcome.c.id.in_(sorted(outcome_ids)))
    for outcome_id, status, new_status in connection.execute(stmt):
        if status != (new_status or Status.NOT_STARTED.value):
            said = new_status or f"{Status.NOT_STARTED.value} (no updates)"
            message = f"status is {status!r} but its history says {said!r}"
            report.problems.append(Problem("outcome", outcome_id, message))


def verify_connection(connection: Connection) -> VerifyReport:
    report = VerifyReport()
    for table in CHAINED:
        chain_problems(connection, table, report)
    trigger_problems(connection, report)
    status_problems(connection, report)
    return report


# More outcomes updated since a check than this: check every outcome's status again.
SINCE_MAX_OUTCOMES = 1_000


def verify_since(engine: Engine, last: VerifyReport) -> VerifyReport:
    """`verify` of what was added since `last` (a report of `verify` that found
    nothing wrong): each chained table's rows after its head, chained from it; the
    guard's triggers; the status of each outcome updated since. A whole `verify` when
    a table's rows up to its head are not as many as `last` counted, or many outcomes
    were updated. What changed below the heads is for the next whole `verify`."""
    with engine.connect() as connection, connection.begin():
        report = VerifyReport()
        for table in CHAINED:
            head = last.heads.get(table)
            if not chain_problems(connection, table, report, head, last.rows.get(table, 0)):
                return verify_connection(connection)
        trigger_problems(connection, report)
        update = SQLModel.metadata.tables["status_update"]
        after = (last.heads.get("status_update") or {"id": 0})["id"]
        touched = set(
            connection.execute(
                sa.select(update.c.outcome_id).where(update.c.id > after).distinct()
            ).scalars()
        )
        if len(touched) > SINCE_MAX_OUTCOMES:
            status_problems(connection, report)
        elif touched:
            status_problems(connection, report, touched)
        return report


def verify(engine: Engine) -> VerifyReport:
    """Check the history chain, the guard's triggers and every outcome's status
    against its history, in one read transaction."""
    with engine.connect() as connection, connection.begin():
        return verify_connection(connection)
