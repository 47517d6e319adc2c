"""The tables: plan → region → logic model → strategy → outcome → status update,
the plan change log, and the people who sign in.

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


# Append-only history of an outcome's status; never updated or deleted.
class StatusUpdate(SQLModel, table=True):
    __tablename__ = "status_update"
    __table_args__ = (
        Index("ix_status_update_outcome_time", "outcome_id", "changed_at"),
        CheckConstraint(
            "old_status IN ('Not started', 'In progress', 'Done', 'Blocked', 'Dropped')",
            name="ck_status_update_old_status",
        ),
        CheckConstraint(
            "new_status IN ('Not started', 'In progress', 'Done', 'Blocked', 'Dropped')",
            name="ck_status_update_new_status",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    outcome_id: str = Field(foreign_key="outcome.id", max_length=160)
    changed_at: datetime = Field(default_factory=utcnow, index=True)
    changed_by: str = Field(max_length=120)
    old_status: str = Field(max_length=20)
    new_status: str = Field(max_length=20)
    note: str = Field(default="", sa_type=Text)
    evidence_url: str | None = Field(default=None, max_length=2000)
    reverts_id: int | None = Field(default=None, foreign_key="status_update.id")
    # sha256 of this entry's content and the previous entry's chain_hash (core/store/chain.py)
    chain_hash: str | None = Field(default=None, max_length=64)


# A note that its author or an admin published: signed-out visitors may read it.
# Notes, comments and evidence are for signed-in members otherwise.
class NotePublication(SQLModel, table=True):
    __tablename__ = "note_publication"

    status_update_id: int = Field(foreign_key="status_update.id", primary_key=True)
    published_by: str = Field(max_length=120)
    published_at: datetime = Field(default_factory=utcnow)


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


# ---- people: accounts, roles and what a lead may update ----


class Role(StrEnum):
    VIEWER = "viewer"
    LEAD = "lead"
    ADMIN = "admin"


# How often a person gets the My work digest by e-mail.
class DigestFrequency(StrEnum):
    WEEKLY = "weekly"
    DAILY = "daily"
    OFF = "off"


# A person who can sign in: a viewer, a lead of some regions/strategies, or an admin.
class User(SQLModel, table=True):
    __tablename__ = "user_account"
    __table_args__ = (CheckConstraint("role IN ('viewer', 'lead', 'admin')", name="ck_user_role"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True, max_length=80)
    display_name: str = Field(max_length=120)
    email: str | None = Field(default=None, unique=True, max_length=254)
    role: str = Field(default=Role.VIEWER, max_length=10)
    password_hash: str | None = Field(default=None, max_length=255)  # None: OIDC only
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    # Bumped by a password, role or activation change: a session signed in under an
    # older version is signed out at its next interaction.
    credentials_version: int = 0
    digest: str = Field(default=DigestFrequency.WEEKLY, max_length=10)
    # sha256 of the secret in the person's calendar feed URL; a new link replaces it.
    feed_token_hash: str | None = Field(default=None, max_length=64, unique=True, index=True)


# What a lead may update: a whole region, or a single strategy.
class Assignment(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint(
            "(region_id IS NULL) <> (strategy_id IS NULL)", name="ck_assignment_one_scope"
        ),
        UniqueConstraint("user_id", "region_id"),
        UniqueConstraint("user_id", "strategy_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    region_id: str | None = Field(default=None, foreign_key="region.id", max_length=40)
    strategy_id: str | None = Field(default=None, foreign_key="strategy.id", max_length=120)


# Recent failed sign-ins per username (known or not), and the lockout they caused.
class SignInThrottle(SQLModel, table=True):
    __tablename__ = "sign_in_throttle"

    username: str = Field(primary_key=True, max_length=80)
    failures: list[str] = Field(default_factory=list, sa_column=Column(JSON))  # ISO times
    locked_until: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow, index=True)


# A signed-in browser: the cookie holds a random token, the database only its hash.
class UserSession(SQLModel, table=True):
    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    user_agent: str = Field(default="", max_length=300)
    credentials_version: int = 0  # the account's, when signed in
    ended_at: datetime | None = None


# ---- discussion and reminders ----


# A comment on an outcome: a thread beside its status history. Editable by its
# author for a short while; an admin's removal leaves a tombstone (body emptied).
class Comment(SQLModel, table=True):
    __table_args__ = (Index("ix_comment_outcome_time", "outcome_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    outcome_id: str = Field(foreign_key="outcome.id", max_length=160)
    author: str = Field(max_length=120)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    body: str = Field(default="", sa_type=Text)
    edited_at: datetime | None = None
    removed_at: datetime | None = None
    removed_by: str | None = Field(default=None, max_length=120)
    published_at: datetime | None = None
    published_by: str | None = Field(default=None, max_length=120)


# One digest e-mail sent: never twice to a person in one period ("2026-W49", "2026-12-01").
class DigestSent(SQLModel, table=True):
    __tablename__ = "digest_sent"
    __table_args__ = (UniqueConstraint("user_id", "period", name="uq_digest_sent_period"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    period: str = Field(max_length=20)
    sent_at: datetime = Field(default_factory=utcnow)
    recipient: str = Field(max_length=254)


# ---- measures: numbers tracked against a target ----


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
    chain_hash: str | None = Field(default=None, max_length=64)
