"""The lead's week: server-side sessions (staying signed in), comments on outcomes,
e-mail digests (a frequency per person and a record of what was sent), and a secret
calendar feed per person.

Revision ID: 0005_leads_week
Revises: 0004_checks_and_chain
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_leads_week"
down_revision = "0004_checks_and_chain"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(
            sa.Column("digest", sa.String(length=10), nullable=False, server_default="weekly")
        )
        batch.add_column(sa.Column("feed_token_hash", sa.String(length=64), nullable=True))
        batch.create_index("ix_user_account_feed_token_hash", ["feed_token_hash"], unique=True)
    with op.batch_alter_table("user_account") as batch:
        batch.alter_column("digest", server_default=None)

    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.Column("credentials_version", sa.Integer(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_user_session_user_id", "user_session", ["user_id"])
    op.create_index("ix_user_session_token_hash", "user_session", ["token_hash"], unique=True)

    op.create_table(
        "comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outcome_id", sa.String(length=160), nullable=False),
        sa.Column("author", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by", sa.String(length=120), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(["outcome_id"], ["outcome.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_comment_created_at", "comment", ["created_at"])
    op.create_index("ix_comment_outcome_time", "comment", ["outcome_id", "created_at"])

    op.create_table(
        "digest_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "period", name="uq_digest_sent_period"),
    )
    op.create_index("ix_digest_sent_user_id", "digest_sent", ["user_id"])


def downgrade() -> None:
    op.drop_table("digest_sent")
    op.drop_table("comment")
    op.drop_table("user_session")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_index("ix_user_account_feed_token_hash")
        batch.drop_column("feed_token_hash")
        batch.drop_column("digest")
