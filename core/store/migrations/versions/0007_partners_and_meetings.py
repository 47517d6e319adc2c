"""Partners and meetings: the organisations named in the plan's Resources cells
(with the names they go by, the regions they serve and the strategies naming
them); an organisation on accounts, status updates, comments and measure values;
saved meetings for "what changed since the last meeting".

Revision ID: 0007_partners_and_meetings
Revises: 0006_measures
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_partners_and_meetings"
down_revision = "0006_measures"
branch_labels = None
depends_on = None

# The kinds as core.models.partners.OrganisationKind lists them today, frozen here.
KINDS = (
    "state agency",
    "federal agency",
    "local government",
    "coalition",
    "service provider",
    "task force",
    "court or legal",
    "law enforcement",
    "health provider",
    "university",
    "funder",
    "community group",
    "business",
    "generic group",
)
KIND_CHECK = "kind IN ({})".format(", ".join(f"'{k}'" for k in KINDS))

# Tables that carry the author's organisation. status_update and measure_value are
# append-only (triggers), so on SQLite the column is added in place, never by
# batch mode's copy-and-rename, which would drop their guards.
CARRIERS = ("user_account", "status_update", "comment", "measure_value")


def _add_organisation_column(table: str) -> None:
    if op.get_bind().dialect.name == "sqlite":  # in place, with the reference inline
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN organisation_id VARCHAR(80) "
            "REFERENCES organisation (id)"
        )
        return
    op.add_column(
        table,
        sa.Column(
            "organisation_id",
            sa.String(length=80),
            sa.ForeignKey("organisation.id"),
            nullable=True,
        ),
    )


# SQLite's guards of the append-only carriers, as core.store.guard writes them today.
GUARDED = {"status_update": "status history", "measure_value": "measure history"}


def _sqlite_guard(table: str, what: str) -> list[str]:
    return [
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table}
            BEGIN SELECT RAISE(ABORT, '{what} is append-only: rows cannot be changed'); END""",
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}
            BEGIN SELECT RAISE(ABORT, '{what} is append-only: rows cannot be deleted'); END""",
    ]


def upgrade() -> None:
    op.create_table(
        "organisation",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("website", sa.String(length=2000), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("merged_into_id", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(["merged_into_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.CheckConstraint(KIND_CHECK, name="ck_organisation_kind"),
    )
    op.create_table(
        "organisation_name",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index(
        "ix_organisation_name_organisation_id", "organisation_name", ["organisation_id"]
    )
    op.create_table(
        "organisation_region",
        sa.Column("organisation_id", sa.String(length=80), nullable=False),
        sa.Column("region_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"]),
        sa.PrimaryKeyConstraint("organisation_id", "region_id"),
    )
    op.create_table(
        "strategy_organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("strategy_id", sa.String(length=120), nullable=False),
        sa.Column("resource_index", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["strategy_id"], ["strategy.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "strategy_id", "resource_index", "organisation_id", name="uq_strategy_organisation"
        ),
    )
    op.create_index(
        "ix_strategy_organisation_strategy_id", "strategy_organisation", ["strategy_id"]
    )
    op.create_index(
        "ix_strategy_organisation_organisation_id", "strategy_organisation", ["organisation_id"]
    )
    op.create_table(
        "meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("held_on", "title", name="uq_meeting_held_on_title"),
    )
    op.create_index("ix_meeting_held_on", "meeting", ["held_on"])

    for table in CARRIERS:
        _add_organisation_column(table)
        op.create_index(f"ix_{table}_organisation_id", table, ["organisation_id"])


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in CARRIERS:
        op.drop_index(f"ix_{table}_organisation_id", table_name=table)
        if not sqlite:
            op.drop_column(table, "organisation_id")
            continue
        # SQLite cannot drop a column with a foreign key in place: batch mode copies
        # the table, which loses its triggers, so the guard is put back after
        for name in ("no_update", "no_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_{name}")
        with op.batch_alter_table(table) as batch:
            batch.drop_column("organisation_id")
        if table in GUARDED:
            for statement in _sqlite_guard(table, GUARDED[table]):
                op.execute(statement)
    op.drop_table("meeting")
    op.drop_table("strategy_organisation")
    op.drop_table("organisation_region")
    op.drop_table("organisation_name")
    op.drop_table("organisation")
