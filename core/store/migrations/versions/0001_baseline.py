"""Baseline: the schema as released before migrations (commit e844249).

The plan (plan, need, region, logic_model, strategy, outcome, flag, appendix_item),
its append-only status history (status_update, guarded by triggers) and accounts
(user_account, assignment, sign_in_throttle). A database created by that release's
`create_all` is recognised as this revision and stamped, not re-created.

Revision ID: 0001_baseline
Revises:
Create Date: 2026-02-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None

# The history guard exactly as that release installed it.
GUARD = {
    "sqlite": [
        """CREATE TRIGGER IF NOT EXISTS status_update_no_update BEFORE UPDATE ON status_update
       BEGIN SELECT RAISE(ABORT, 'status history is append-only: rows cannot be changed'); END""",
        """CREATE TRIGGER IF NOT EXISTS status_update_no_delete BEFORE DELETE ON status_update
       BEGIN SELECT RAISE(ABORT, 'status history is append-only: rows cannot be deleted'); END""",
    ],
    "postgresql": [
        """CREATE OR REPLACE FUNCTION status_update_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'status history is append-only: rows cannot be % d', lower(TG_OP);
       END $$ LANGUAGE plpgsql""",
        "DROP TRIGGER IF EXISTS status_update_append_only ON status_update",
        """CREATE TRIGGER status_update_append_only BEFORE UPDATE OR DELETE ON status_update
       FOR EACH ROW EXECUTE FUNCTION status_update_append_only()""",
    ],
}


def upgrade() -> None:
    op.create_table(
        "appendix_item",
        sa.Column("id", sa.String(length=60), nullable=False),
        sa.Column("section", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_kind", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.String(length=160), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subject_kind", "subject_id", "code"),
    )
    op.create_index("ix_flag_subject_id", "flag", ["subject_id"])
    op.create_table(
        "need",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "plan",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),  # one row, id 1
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("authors", sa.String(), nullable=False),
        sa.Column("published", sa.Integer(), nullable=False),
        sa.Column("baseline_start", sa.Date(), nullable=False),
        sa.Column("first_year", sa.Integer(), nullable=False),
        sa.Column("last_year", sa.Integer(), nullable=False),
        sa.Column("timeline_note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "region",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("report_labels", sa.JSON(), nullable=True),
        sa.Column("survivors_served", sa.Integer(), nullable=True),
        sa.Column("trafficking_mix", sa.JSON(), nullable=True),
        sa.Column("trafficking_mix_as_written", sa.String(), nullable=True),
        sa.Column("top_needs", sa.JSON(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "sign_in_throttle",
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.JSON(), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("username"),
    )
    op.create_index("ix_sign_in_throttle_updated_at", "sign_in_throttle", ["updated_at"])
    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('viewer', 'lead', 'admin')", name="ck_user_role"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    op.create_index("ix_user_account_username", "user_account", ["username"], unique=True)
    op.create_table(
        "logic_model",
        sa.Column("id", sa.String(length=60), nullable=False),
        sa.Column("region_id", sa.String(length=40), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("report_region_label", sa.String(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_logic_model_region_id", "logic_model", ["region_id"])
    op.create_table(
        "strategy",
        sa.Column("id", sa.String(length=120), nullable=False),
        sa.Column("logic_model_id", sa.String(length=60), nullable=False),
        sa.Column("need_id", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("resources", sa.JSON(), nullable=True),
        sa.Column("tasks", sa.JSON(), nullable=True),
        sa.Column("ultimate_outcome", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["logic_model_id"], ["logic_model.id"]),
        sa.ForeignKeyConstraint(["need_id"], ["need.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_strategy_logic_model_id", "strategy", ["logic_model_id"])
    op.create_index("ix_strategy_need_id", "strategy", ["need_id"])
    op.create_table(
        "assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.String(length=40), nullable=True),
        sa.Column("strategy_id", sa.String(length=120), nullable=True),
        sa.CheckConstraint(
            "(region_id IS NULL) <> (strategy_id IS NULL)", name="ck_assignment_one_scope"
        ),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"]),
        sa.ForeignKeyConstraint(["strategy_id"], ["strategy.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "region_id"),
        sa.UniqueConstraint("user_id", "strategy_id"),
    )
    op.create_index("ix_assignment_user_id", "assignment", ["user_id"])
    op.create_table(
        "outcome",
        sa.Column("id", sa.String(length=160), nullable=False),
        sa.Column("strategy_id", sa.String(length=120), nullable=False),
        sa.Column("term", sa.String(length=10), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=10), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("date_as_written", sa.String(length=40), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("date_basis", sa.String(length=20), nullable=False),
        sa.Column("date_flag", sa.String(length=30), nullable=True),
        sa.Column("date_note", sa.Text(), nullable=True),
        sa.Column("baseline_due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("last_updated", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_updated_by", sa.String(length=120), nullable=True),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["strategy_id"], ["strategy.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outcome_due_date", "outcome", ["due_date"])
    op.create_index("ix_outcome_status_due", "outcome", ["status", "due_date"])
    op.create_index("ix_outcome_strategy_id", "outcome", ["strategy_id"])
    op.create_table(
        "status_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outcome_id", sa.String(length=160), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(length=120), nullable=False),
        sa.Column("old_status", sa.String(length=20), nullable=False),
        sa.Column("new_status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("evidence_url", sa.String(length=2000), nullable=True),
        sa.Column("reverts_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["outcome_id"], ["outcome.id"]),
        sa.ForeignKeyConstraint(["reverts_id"], ["status_update.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_status_update_changed_at", "status_update", ["changed_at"])
    op.create_index("ix_status_update_outcome_time", "status_update", ["outcome_id", "changed_at"])
    for statement in GUARD.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade() -> None:
    for table in (
        "status_update",
        "outcome",
        "assignment",
        "strategy",
        "logic_model",
        "user_account",
        "sign_in_throttle",
        "region",
        "plan",
        "need",
        "flag",
        "appendix_item",
    ):
        op.drop_table(table)  # drops its indexes and triggers too
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS status_update_append_only()")
