"""Trust: a credentials version per account (a password, role or activation change
ends the account's other sessions), published notes (notes are for signed-in members
unless published), and a hash chain over status history and the plan change log.

Revision ID: 0003_trust
Revises: 0002_plan_change
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_trust"
down_revision = "0002_plan_change"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(
            sa.Column("credentials_version", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("user_account") as batch:
        batch.alter_column("credentials_version", server_default=None)

    op.create_table(
        "note_publication",
        sa.Column("status_update_id", sa.Integer(), nullable=False),
        sa.Column("published_by", sa.String(length=120), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["status_update_id"], ["status_update.id"]),
        sa.PrimaryKeyConstraint("status_update_id"),
    )

    # ADD COLUMN, not a table copy: the append-only triggers stay in place.
    op.add_column("status_update", sa.Column("chain_hash", sa.String(length=64), nullable=True))
    op.add_column("plan_change", sa.Column("chain_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("plan_change", "chain_hash")
    op.drop_column("status_update", "chain_hash")
    op.drop_table("note_publication")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("credentials_version")
