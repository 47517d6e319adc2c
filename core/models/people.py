"""The people who sign in: accounts, roles, what a lead may update, sessions,
sign-in throttling and the digests sent to them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utcnow


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
    organisation_id: str | None = Field(
        default=None, foreign_key="organisation.id", index=True, max_length=80
    )


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


# One digest e-mail sent: never twice to a person in one period ("2026-W49", "2026-12-01").
class DigestSent(SQLModel, table=True):
    __tablename__ = "digest_sent"
    __table_args__ = (UniqueConstraint("user_id", "period", name="uq_digest_sent_period"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    period: str = Field(max_length=20)
    sent_at: datetime = Field(default_factory=utcnow)
    recipient: str = Field(max_length=254)
