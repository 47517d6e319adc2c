"""Measures: numbers tracked against a target on an outcome, strategy or region, and
their append-only series of values (guarded and hash-chained like status history).

Revision ID: 0006_measures
Revises: 0005_leads_week
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_measures"
down_revision = "0005_leads_week"
branch_labels = None
depends_on = None

TABLE = "measure_value"
WHAT = "measure history"  # as core.store.guard.APPEND_ONLY names it

# The history guard as core.store.guard builds it today, frozen here.
GUARD_SQLITE = [
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE}
            BEGIN SELECT RAISE(ABORT, '{WHAT} is append-only: rows cannot be changed'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE}
            BEGIN SELECT RAISE(ABORT, '{WHAT} is append-only: rows cannot be deleted'); END""",
]
GUARD_POSTGRES = [
    f"""CREATE OR REPLACE FUNCTION {TABLE}_append_only() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'UPDATE' THEN
                    RAISE EXCEPTION '{WHAT} is append-only: rows cannot be changed'
                        USING ERRCODE = 'restrict_violation';
                END IF;
                RAISE EXCEPTION '{WHAT} is append-only: rows cannot be deleted'
                    USING ERRCODE = 'restrict_violation';
            END $$ LANGUAGE plpgsql""",
    f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
    f"""CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE}
            FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only()""",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
    f"""CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE}
            FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_append_only()""",
]
CHECKS = [
    (
        "ck_measure_one_subject",
        "(CASE WHEN outcome_id IS NULL THEN 0 ELSE 1 END) + "
        "(CASE WHEN strategy_id IS NULL THEN 0 ELSE 1 END) + "
        "(CASE WHEN region_id IS NULL THEN 0 ELSE 1 END) = 1",
    ),
    ("ck_measure_kind", "kind IN ('count', 'percentage', 'yes/no', 'money')"),
    ("ck_measure_direction", "direction IN ('up', 'down', 'within')"),
    (
        "ck_measure_target_kind",
        "target_kind IN ('exactly', 'at least', 'at most', 'range', 'none')",
    ),
    ("ck_measure_rba", "rba IN ('how much', 'how well', 'better off')"),
    (
        "ck_measure_target_order",
        "target_min IS NULL OR target_max IS NULL OR target_min <= target_max",
    ),
]


def upgrade() -> None:
    op.create_table(
        "measure",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("outcome_id", sa.String(length=160), nullable=True),
        sa.Column("strategy_id", sa.String(length=120), nullable=True),
        sa.Column("region_id", sa.String(length=40), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("baseline_value", sa.Float(), nullable=True),
        sa.Column("baseline_date", sa.Date(), nullable=True),
        sa.Column("baseline_source", sa.Text(), nullable=False),
        sa.Column("target_kind", sa.String(length=20), nullable=False),
        sa.Column("target_min", sa.Float(), nullable=True),
        sa.Column("target_max", sa.Float(), nullable=True),
        sa.Column("target_by", sa.Date(), nullable=True),
        sa.Column("rba", sa.String(length=20), nullable=False),
        sa.Column("as_written", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["outcome_id"], ["outcome.id"]),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"]),
        sa.ForeignKeyConstraint(["strategy_id"], ["strategy.id"]),
        sa.PrimaryKeyConstraint("id"),
        *(sa.CheckConstraint(condition, name=name) for name, condition in CHECKS),
    )
    op.create_index("ix_measure_outcome_id", "measure", ["outcome_id"])
    op.create_index("ix_measure_strategy_id", "measure", ["strategy_id"])
    op.create_index("ix_measure_region_id", "measure", ["region_id"])

    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("evidence_url", sa.String(length=2000), nullable=True),
        sa.Column("reverts_id", sa.Integer(), nullable=True),
        sa.Column("chain_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["measure_id"], ["measure.id"]),
        sa.ForeignKeyConstraint(["reverts_id"], [f"{TABLE}.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_measure_value_measure", TABLE, ["measure_id", "id"])
    op.create_index("ix_measure_value_recorded_at", TABLE, ["recorded_at"])
    op.create_index("uq_measure_value_reverts_id", TABLE, ["reverts_id"], unique=True)

    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": GUARD_SQLITE, "postgresql": GUARD_POSTGRES}.get(dialect, []):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table(TABLE)  # its triggers go with it
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {TABLE}_append_only()")
    op.drop_table("measure")
