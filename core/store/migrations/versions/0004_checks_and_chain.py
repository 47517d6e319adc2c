"""CHECK constraints (an outcome's status, term, date basis and date flag; a status
update's statuses; a plan change's action), and the history chain filled in for the
rows written before it (status history and the plan change log, in id order).

Revision ID: 0004_checks_and_chain
Revises: 0003_trust
Create Date: 2026-12-01
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004_checks_and_chain"
down_revision = "0003_trust"
branch_labels = None
depends_on = None

STATUSES = "('Not started', 'In progress', 'Done', 'Blocked', 'Dropped')"
CHECKS = {
    "outcome": [
        ("ck_outcome_status", f"status IN {STATUSES}"),
        ("ck_outcome_term", "term IN ('short', 'medium', 'long')"),
        (
            "ck_outcome_date_basis",
            "date_basis IN ('as written', 'end of month', 'corrected', 'inferred')",
        ),
        (
            "ck_outcome_date_flag",
            "date_flag IS NULL OR date_flag IN ('impossible date', 'likely typo', 'no year', "
            "'no date', 'unparseable')",
        ),
    ],
    "status_update": [
        ("ck_status_update_old_status", f"old_status IN {STATUSES}"),
        ("ck_status_update_new_status", f"new_status IN {STATUSES}"),
    ],
    "plan_change": [
        (
            "ck_plan_change_action",
            "action IN ('created', 'edited', 'retired', 'restored', 're-dated', 're-baselined')",
        ),
    ],
}

# The history guard as 0002 froze it (SQLite's triggers go with a table copy).
APPEND_ONLY = {"status_update": "status history", "plan_change": "the plan change log"}
PG_TRIGGERS = ("{t}_append_only", "{t}_no_truncate")


def guard_sqlite(table: str, what: str) -> list[str]:
    return [
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table}
            BEGIN SELECT RAISE(ABORT, '{what} is append-only: rows cannot be changed'); END""",
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}
            BEGIN SELECT RAISE(ABORT, '{what} is append-only: rows cannot be deleted'); END""",
    ]


def _guard_off(dialect: str) -> None:
    for table in APPEND_ONLY:
        if dialect == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        elif dialect == "postgresql":
            op.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")


def _guard_on(dialect: str) -> None:
    for table, what in APPEND_ONLY.items():
        if dialect == "sqlite":
            for statement in guard_sqlite(table, what):
                op.execute(statement)
        elif dialect == "postgresql":
            op.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")


# The chain's hash as core.store.chain computes it today, frozen here.
def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        aware = value.replace(tzinfo=UTC) if value.utcoffset() is None else value
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def entry_hash(row: dict[str, Any], previous_hash: str | None) -> str:
    content = {k: _plain(v) for k, v in row.items() if k not in ("id", "chain_hash")}
    payload = json.dumps(
        {"previous": previous_hash or "", "row": content},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _backfill(table_name: str) -> None:
    """Hash every row in id order, each on the previous one's hash."""
    bind = op.get_bind()
    table = sa.Table(table_name, sa.MetaData(), autoload_with=bind)
    previous = None
    rows = bind.execute(sa.select(table).order_by(table.c.id)).mappings().all()
    for row in rows:
        previous = entry_hash(dict(row), previous)
        bind.execute(sa.update(table).where(table.c.id == row["id"]).values(chain_hash=previous))


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _guard_off(dialect)
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for name, condition in checks:
                batch.create_check_constraint(name, condition)
    for table in APPEND_ONLY:
        _backfill(table)
    _guard_on(dialect)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    _guard_off(dialect)
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for name, _ in checks:
                batch.drop_constraint(name, type_="check")
    _guard_on(dialect)
