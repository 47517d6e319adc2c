"""Measures: numbers tracked against a target, and their append-only values."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, Text
from sqlmodel import Field, SQLModel

from core.clock import utcnow


# What a measure counts.
class MeasureKind(StrEnum):
    COUNT = "count"
    PERCENTAGE = "percentage"
    YES_NO = "yes/no"
    MONEY = "money"


# Which way is better.
class MeasureDirection(StrEnum):
    UP = "up"
    DOWN = "down"
    WITHIN = "within"  # within a range


# The target as the report words it: exactly N, at least N, at most N, a range
# min–max, or none (the report gives no number).
class TargetKind(StrEnum):
    EXACTLY = "exactly"
    AT_LEAST = "at least"
    AT_MOST = "at most"
    RANGE = "range"
    NONE = "none"


# Results-Based Accountability's three questions.
class RbaCategory(StrEnum):
    HOW_MUCH = "how much"
    HOW_WELL = "how well"
    BETTER_OFF = "better off"


# A number tracked against a target, on one outcome, strategy or region. Its state
# (on track / at risk / off track) is computed by core/measures/state.py, never stored.
class Measure(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN outcome_id IS NULL THEN 0 ELSE 1 END) + "
            "(CASE WHEN strategy_id IS NULL THEN 0 ELSE 1 END) + "
            "(CASE WHEN region_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="ck_measure_one_subject",
        ),
        CheckConstraint(
            "kind IN ('count', 'percentage', 'yes/no', 'money')", name="ck_measure_kind"
        ),
        CheckConstraint("direction IN ('up', 'down', 'within')", name="ck_measure_direction"),
        CheckConstraint(
            "target_kind IN ('exactly', 'at least', 'at most', 'range', 'none')",
            name="ck_measure_target_kind",
        ),
        CheckConstraint("rba IN ('how much', 'how well', 'better off')", name="ck_measure_rba"),
        CheckConstraint(
            "target_min IS NULL OR target_max IS NULL OR target_min <= target_max",
            name="ck_measure_target_order",
        ),
    )

    id: str = Field(primary_key=True, max_length=200)
    outcome_id: str | None = Field(
        default=None, foreign_key="outcome.id", index=True, max_length=160
    )
    strategy_id: str | None = Field(
        default=None, foreign_key="strategy.id", index=True, max_length=120
    )
    region_id: str | None = Field(default=None, foreign_key="region.id", index=True, max_length=40)
    name: str = Field(max_length=200)
    unit: str = Field(default="", max_length=60)
    kind: str = Field(default=MeasureKind.COUNT, max_length=20)
    direction: str = Field(default=MeasureDirection.UP, max_length=10)
    baseline_value: float | None = None
    baseline_date: date | None = None
    baseline_source: str = Field(default="", sa_type=Text)
    target_kind: str = Field(default=TargetKind.NONE, max_length=20)
    target_min: float | None = None
    target_max: float | None = None
    # None: an outcome's measure is due when its outcome is
    target_by: date | None = None
    rba: str = Field(default=RbaCategory.HOW_MUCH, max_length=20)
    as_written: str = Field(default="", sa_type=Text)  # the outcome's (or profile's) words
    note: str = Field(default="", sa_type=Text)
    position: int = 0
    retired: bool = False


# Append-only series of a measure's actual values; an undo is a compensating entry
# (reverts_id), never an edit.
class MeasureValue(SQLModel, table=True):
    __tablename__ = "measure_value"
    __table_args__ = (
        Index("ix_measure_value_measure", "measure_id", "id"),
        # a value is undone at most once, even by two people at the same moment
        Index("uq_measure_value_reverts_id", "reverts_id", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    measure_id: str = Field(foreign_key="measure.id", max_length=200)
    value: float
    as_of: date
    recorded_by: str = Field(max_length=120)
    recorded_at: datetime = Field(default_factory=utcnow, index=True)
    note: str = Field(default="", sa_type=Text)
    evidence_url: str | None = Field(default=None, max_length=2000)
    reverts_id: int | None = Field(default=None, foreign_key="measure_value.id")
    organisation_id: str | None = Field(
        default=None, foreign_key="organisation.id", index=True, max_length=80
    )
    chain_hash: str | None = Field(default=None, max_length=64)
