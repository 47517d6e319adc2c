"""The living plan: the plan change log (append-only, guarded like status history),
outcome.redate_count, and PostgreSQL's guard refusing TRUNCATE too.

Revision ID: 0002_plan_change
Revises: 0001_baseline
Create Date: 2026-02-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_plan_change"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None

# The history guard as core.db installs it today, frozen here: plan_change gets the
# triggers status_update has; on PostgreSQL both tables get the reworded function
# (the same messages as SQLite's) and a TRUNCATE trigger.
APPEND_ONLY = {"status_update": "status history", "plan_change": "the plan change log"}


def guard_sqlite(table: str, what: str) -> list[str]:
    return [
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table}
            BEGIN SELECT RAISE(ABORT, '{what} is append-only: rows cannot be changed'); END""",
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}
            BEGIN SELECT RAISE(ABORT, '{what} is append-only: rows cannot be deleted'); END""",
    ]


def guard_postgres(table: str, what: str) -> list[str]:
    return [
        f"""CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'UPDATE' THEN
                    RAISE EXCEPTION '{what} is append-only: rows cannot be changed'
                        USING ERRCODE = 'restrict_violation';
                END IF;
                RAISE EXCEPTION '{what} is append-only: rows cannot be deleted'
                    USING ERRCODE = 'restrict_violation';
            END $$ LANGUAGE plpgsql""",
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {table}_append_only()""",
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
        f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()""",
    ]


def guard(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return guard_sqlite("plan_change", APPEND_ONLY["plan_change"])
    if dialect == "postgresql":
        return [s for table, what in APPEND_ONLY.items() for s in guard_postgres(table, what)]
    return []


def upgrade() -> None:
    op.create_table(
        "plan_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(length=120), nullable=False),
        sa.Column("subject_kind", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.String(length=160), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("batch", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_plan_change_batch", "plan_change", ["batch"])
    op.create_index("ix_plan_change_changed_at", "plan_change", ["changed_at"])
    op.create_index("ix_plan_change_subject", "plan_change", ["subject_kind", "subject_id", "id"])

    # Existing outcomes have never been re-dated: 0. The server default only fills
    # them in; the models set the value on insert, as for every other column.
    with op.batch_alter_table("outcome") as batch:
        batch.add_column(
            sa.Column("redate_count", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("outcome") as batch:
        batch.alter_column("redate_count", server_default=None)

    for statement in guard(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    with op.batch_alter_table("outcome") as batch:
        batch.drop_column("redate_count")
    op.drop_table("plan_change")  # drops its indexes and triggers too
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS plan_change_append_only()")
        op.execute("DROP TRIGGER IF EXISTS status_update_no_truncate ON status_update")
        # the baseline's function back (its message as that release wrote it)
        op.execute(
            """CREATE OR REPLACE FUNCTION status_update_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'status history is append-only: rows cannot be % d', lower(TG_OP);
       END $$ LANGUAGE plpgsql"""
        )
