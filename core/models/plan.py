"""The plan's tables: plan → region → logic model → strategy → outcome, its flags,
the plan change log and Appendix A.

Identifiers of plan items are the stable string ids written in `data/`, so a
reload after an edit updates rows in place instead of duplicating them.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utcnow


class Term(StrEnum):
    SHORT = "short"
    MEDIUM = "medium"
    LONG = "long"

    @property
    def label(self) -> str:
        return f"{self.value.capitalize()} term"

    @property
    def rank(self) -> int:
        return _TERM_RANKS[self]


_TERM_RANKS = {t: i for i, t in enumerate(Term)}  # the order they are declared in


class Status(StrEnum):
    NOT_STARTED = "Not started"
    IN_PROGRESS = "In progress"
    DONE = "Done"
    BLOCKED = "Blocked"
    DROPPED = "Dropped"


class DateBasis(StrEnum):
    AS_WRITTEN = "as written"
    END_OF_MONTH = "end of month"
    CORRECTED = "corrected"
    INFERRED = "inferred"


# What an edit of the plan did; one name per kind of change, shown as written.
class ChangeAction(StrEnum):
    CREATED = "created"
    EDITED = "edited"
    RETIRED = "retired"
    RESTORED = "restored"
    REDATED = "re-dated"
    REBASELINED = "re-baselined"


class DateFlag(StrEnum):
    IMPOSSIBLE_DATE = "impossible date"
    LIKELY_TYPO = "likely typo"
    NO_YEAR = "no year"
    NO_DATE = "no date"
    UNPARSEABLE = "unparseable"


# The plan itself: one row, from data/plan.yaml.
class Plan(SQLModel, table=True):
    id: int | None = Field(default=1, primary_key=True)
    title: str
    authors: str
    published: int
    baseline_start: date
    first_year: int
    last_year: int
    timeline_note: str = Field(default="", sa_type=Text)


class Need(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=40)
    label: str = Field(max_length=120)
    description: str = Field(default="", sa_type=Text)
    position: int = 0


# A region of the report with its profile from the narrative.
class Region(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=120)
    position: int = 0
    report_labels: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    survivors_served: int | None = None
    trafficking_mix: dict[str, float | None] | None = Field(default=None, sa_column=Column(JSON))
    trafficking_mix_as_written: str | None = None
    top_needs: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON))
    summary: str = Field(default="", sa_type=Text)


# One "Performance Measure for Strategy Achievements" table.
class LogicModel(SQLModel, table=True):
    __tablename__ = "logic_model"

    id: str = Field(primary_key=True, max_length=60)
    region_id: str = Field(foreign_key="region.id", index=True, max_length=40)
    title: str = Field(sa_type=Text)
    report_region_label: str = Field(default="", max_length=120)
    position: int = 0
    start_date: date
    retired: bool = False


# One row of a logic model: a need with its resources, tasks and ultimate outcome.
class Strategy(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=120)
    logic_model_id: str = Field(foreign_key="logic_model.id", index=True, max_length=60)
    need_id: str = Field(foreign_key="need.id", index=True, max_length=40)
    label: str | None = Field(default=None, max_length=200)  # the row's label, as written
    # what the UI calls the strategy: its label, else its first resource
    title: str = Field(default="", max_length=300)
    resources: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    tasks: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    ultimate_outcome: str = Field(default="", sa_type=Text)
    position: int = 0
    retired: bool = False


# One milestone: a short-, medium- or long-term outcome with its target date.
class Outcome(SQLModel, table=True):
    __table_args__ = (
        Index("ix_outcome_status_due", "status", "due_date"),
        # the enums above, as migration 0004 wrote them (tests/core/store/test_checks.py)
        CheckConstraint(
            "status IN ('Not started', 'In progress', 'Done', 'Blocked', 'Dropped')",
            name="ck_outcome_status",
        ),
        CheckConstraint("term IN ('short', 'medium', 'long')", name="ck_outcome_term"),
        CheckConstraint(
            "date_basis IN ('as written', 'end of month', 'corrected', 'inferred')",
            name="ck_outcome_date_basis",
        ),
        CheckConstraint(
            "date_flag IS NULL OR date_flag IN ('impossible date', 'likely typo', 'no year', "
            "'no date', 'unparseable')",
            name="ck_outcome_date_flag",
        ),
    )

    id: str = Field(primary_key=True, max_length=160)
    strategy_id: str = Field(foreign_key="strategy.id", index=True, max_length=120)
    term: str = Field(max_length=10)
    position: int = 0
    number: str | None = Field(default=None, max_length=10)
    text: str = Field(sa_type=Text)
    date_as_written: str | None = Field(default=None, max_length=40)
    due_date: date = Field(index=True)
    date_basis: str = Field(max_length=20)
    date_flag: str | None = Field(default=None, max_length=30)
    date_note: str | None = Field(default=None, sa_type=Text)
    baseline_due_date: date
    status: str = Field(default=Status.NOT_STARTED, max_length=20)
    version: int = 1
    last_updated: datetime | None = None
    last_updated_by: str | None = Field(default=None, max_length=120)
    # times the due date was moved (re-baselines and single re-dates); slip is
    # due_date - baseline_due_date
    redate_count: int = 0
    retired: bool = False


# An editorial defect of the report, recorded by the person who transcribed it.
class Flag(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("subject_kind", "subject_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    subject_kind: str = Field(max_length=20)  # "logic_model" | "strategy" | "outcome"
    subject_id: str = Field(index=True, max_length=160)
    code: str = Field(max_length=40)
    reason: str = Field(sa_type=Text)


# Append-only record of every edit of the plan itself (who, when, before, after,
# why): added, edited, retired and restored items, re-dated outcomes and
# re-baselined logic models. Rows written by one action share a `batch`.
class PlanChange(SQLModel, table=True):
    __tablename__ = "plan_change"
    __table_args__ = (
        Index("ix_plan_change_subject", "subject_kind", "subject_id", "id"),
        CheckConstraint(
            "action IN ('created', 'edited', 'retired', 'restored', 're-dated', 're-baselined')",
            name="ck_plan_change_action",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    changed_at: datetime = Field(default_factory=utcnow, index=True)
    changed_by: str = Field(max_length=120)
    subject_kind: str = Field(max_length=20)  # "logic_model" | "strategy" | "outcome"
    subject_id: str = Field(max_length=160)
    action: str = Field(max_length=20)  # a ChangeAction
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    reason: str = Field(sa_type=Text)
    batch: str | None = Field(default=None, max_length=40, index=True)
    chain_hash: str | None = Field(default=None, max_length=64)


# Appendix A: the report's future-research agenda and providers' suggestions.
class AppendixItem(SQLModel, table=True):
    __tablename__ = "appendix_item"

    id: str = Field(primary_key=True, max_length=60)
    section: str = Field(max_length=40)  # "future_research" | "provider_suggestions"
    position: int = 0
    text: str = Field(sa_type=Text)
