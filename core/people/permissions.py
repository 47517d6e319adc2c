"""Who may do what: viewers read, leads update the outcomes assigned to them, admins
do everything. Checks are pure functions of an `Actor`, built once per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from sqlmodel import Session, col, select

from core.config import Settings
from core.errors import TrackerError
from core.models import Assignment, LogicModel, Outcome, Region, Role, Strategy, User


class PermissionDenied(TrackerError):
    """The actor may not do this; the message says what they may do instead."""


# The signed-in person (or the anonymous viewer) as the permission checks see them.
@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    display_name: str
    role: Role
    region_ids: frozenset[str] = frozenset()
    strategy_ids: frozenset[str] = frozenset()
    scope_labels: tuple[str, ...] = ()  # region names and strategy titles, for messages
    organisation_id: str | None = None  # the organisation the person belongs to

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_lead(self) -> bool:
        return self.role == Role.LEAD


ANONYMOUS_VIEWER = Actor(user_id=None, username="", display_name="Guest", role=Role.VIEWER)


class Scope(NamedTuple):
    region_id: str
    strategy_id: str


def actor_for(session: Session, user: User | None) -> Actor:
    """The actor for a signed-in user, read fresh from the database (so a stale User
    kept between requests gets its current role). None, a deleted or a deactivated
    user gives ANONYMOUS_VIEWER."""
    if user is None or user.id is None:
        return ANONYMOUS_VIEWER
    current = session.get(User, user.id, populate_existing=True)
    if current is None or not current.active:
        return ANONYMOUS_VIEWER
    role = Role(current.role)
    region_ids: frozenset[str] = frozenset()
    strategy_ids: frozenset[str] = frozenset()
    labels: list[str] = []
    if role == Role.LEAD:
        regions = session.exec(
            select(Region)
            .join(Assignment, col(Assignment.region_id) == Region.id)
            .where(Assignment.user_id == current.id)
            .order_by(col(Region.position))
        ).all()
        strategies = session.exec(
            select(Strategy, Region.name)
            .join(Assignment, col(Assignment.strategy_id) == Strategy.id)
            .join(LogicModel, col(LogicModel.id) == Strategy.logic_model_id)
            .join(Region, col(Region.id) == LogicModel.region_id)
            .where(Assignment.user_id == current.id)
            .order_by(col(Region.position), col(Strategy.logic_model_id), col(Strategy.position))
        ).all()
        region_ids = frozenset(r.id for r in regions)
        strategy_ids = frozenset(s.id for s, _ in strategies)
        labels = [r.name for r in regions]
        labels += [f"{s.title or s.id} ({region_name})" for s, region_name in strategies]
    return Actor(
        user_id=current.id,
        username=current.username,
        display_name=current.display_name,
        role=role,
        region_ids=region_ids,
        strategy_ids=strategy_ids,
        scope_labels=tuple(labels),
        organisation_id=current.organisation_id,
    )


def organisation_of(session: Session, actor: Actor) -> str | None:
    """The actor's organisation as it is now in the database (stamped on each status
    update, comment and measure value they write), or None."""
    if actor.user_id is None:
        return None
    return session.exec(select(User.organisation_id).where(User.id == actor.user_id)).first()


def outcome_scope(session: Session, *, outcome_id: str) -> Scope | None:
    """The region and strategy an outcome belongs to, for the checks below."""
    row = session.exec(
        select(LogicModel.region_id, Strategy.id)
        .join(Strategy, col(Strategy.logic_model_id) == LogicModel.id)
        .join(Outcome, col(Outcome.strategy_id) == Strategy.id)
        .where(Outcome.id == outcome_id)
    ).first()
    return Scope(*row) if row else None


def can_update_outcome(actor: Actor, *, region_id: str, strategy_id: str) -> bool:
    """`region_id` must be the strategy's region (its logic model's region_id)."""
    if actor.is_admin:
        return True
    if not actor.is_lead:
        return False
    return region_id in actor.region_ids or strategy_id in actor.strategy_ids


def require_update_outcome(actor: Actor, *, region_id: str, strategy_id: str) -> None:
    if can_update_outcome(actor, region_id=region_id, strategy_id=strategy_id):
        return
    if not actor.signed_in:
        raise PermissionDenied("Sign in to update outcomes.")
    if not actor.is_lead:
        raise PermissionDenied(
            "Viewers cannot update outcomes. Ask an admin to make you a lead of your region."
        )
    if not actor.scope_labels:
        raise PermissionDenied(
            "You are not assigned to any region or strategy yet. Ask an admin to assign you."
        )
    raise PermissionDenied(f"You can update outcomes of {_join(actor.scope_labels)} only.")


def require_admin(actor: Actor, action: str = "do this") -> None:
    """Raise PermissionDenied unless the actor is an admin; `action` completes
    "Only admins can …" (e.g. "manage users", "edit the plan")."""
    if not actor.is_admin:
        raise PermissionDenied(f"Only admins can {action}.")


def can_read(actor: Actor, settings: Settings) -> bool:
    """Anyone may read a public deployment; a private one needs a signed-in user."""
    return actor.signed_in or not settings.tracker_private


def _join(labels: tuple[str, ...]) -> str:
    if len(labels) == 1:
        return labels[0]
    return ", ".join(labels[:-1]) + " and " + labels[-1]
