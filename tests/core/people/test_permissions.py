"""Who may update which outcomes, who may read, and who may administer."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from core import models
from core.config import Settings
from core.models import LogicModel, Outcome, Strategy
from core.people import accounts
from core.people.permissions import (
    ANONYMOUS_VIEWER,
    Actor,
    PermissionDenied,
    Scope,
    actor_for,
    can_read,
    can_update_outcome,
    outcome_scope,
    require_admin,
    require_update_outcome,
)

STL = ("st-louis", "st-louis.legal-services")
STL_SHELTER = ("st-louis", "st-louis.adult-shelter")
SW_LEGAL = ("southwest", "southwest.legal-services")
SW_SHELTER = ("southwest", "southwest.minor-shelter")


def make(session: Session, username: str, role: str, **scope: str) -> models.User:
    user = accounts.create_user(session=session, username=username, role=role, password=None)
    if scope:
        accounts.assign(session=session, user=user, **scope)
    return user


@pytest.fixture
def actors(session) -> dict[str, Actor]:
    users = {
        "viewer": make(session, "vera", "viewer"),
        "stl_lead": make(session, "lou", "lead", region_id="st-louis"),
        "strategy_lead": make(session, "sam", "lead", strategy_id="southwest.legal-services"),
        "idle_lead": make(session, "ida", "lead"),
        "admin": make(session, "ada", "admin"),
    }
    actors = {name: actor_for(session, user) for name, user in users.items()}
    actors["anonymous"] = ANONYMOUS_VIEWER
    return actors


@pytest.mark.parametrize(
    ("who", "scope", "allowed"),
    [
        ("anonymous", STL, False),
        ("viewer", STL, False),
        ("viewer", SW_LEGAL, False),
        ("stl_lead", STL, True),
        ("stl_lead", STL_SHELTER, True),
        ("stl_lead", SW_LEGAL, False),
        ("stl_lead", SW_SHELTER, False),
        ("strategy_lead", SW_LEGAL, True),
        ("strategy_lead", SW_SHELTER, False),
        ("strategy_lead", STL, False),
        ("idle_lead", STL, False),
        ("admin", STL, True),
        ("admin", SW_SHELTER, True),
    ],
)
def test_can_update_outcome_role_matrix(actors, who, scope, allowed):
    region_id, strategy_id = scope
    actor = actors[who]
    assert can_update_outcome(actor, region_id=region_id, strategy_id=strategy_id) is allowed
    if allowed:
        require_update_outcome(actor, region_id=region_id, strategy_id=strategy_id)
    else:
        with pytest.raises(PermissionDenied):
            require_update_outcome(actor, region_id=region_id, strategy_id=strategy_id)


def test_region_lead_covers_every_strategy_of_every_logic_model_in_the_region(session):
    lead = actor_for(session, make(session, "stan", "lead", region_id="state"))
    rows = session.exec(
        select(LogicModel.region_id, Strategy.id).join(
            Strategy, Strategy.logic_model_id == LogicModel.id
        )
    ).all()
    allowed = {s for r, s in rows if can_update_outcome(lead, region_id=r, strategy_id=s)}
    state_models = {s.split(".")[0] for s in allowed}
    assert state_models == {"state-housing", "state-mental-health"}
    assert allowed == {s for r, s in rows if r == "state"}


def test_actor_for_lead_lists_assignments(session):
    user = make(session, "lou", "lead", region_id="st-louis")
    accounts.assign(session=session, user=user, strategy_id="southwest.legal-services")
    actor = actor_for(session, user)
    assert actor == Actor(
        user_id=user.id,
        username="lou",
        display_name="lou",
        role=models.Role.LEAD,
        region_ids=frozenset({"st-louis"}),
        strategy_ids=frozenset({"southwest.legal-services"}),
        scope_labels=actor.scope_labels,
    )
    assert actor.scope_labels[0] == "St. Louis"
    assert actor.scope_labels[1].endswith("(Southwest)")
    assert actor.signed_in and actor.is_lead and not actor.is_admin


def test_actor_for_none_and_deactivated_users_is_anonymous(session):
    assert actor_for(session, None) is ANONYMOUS_VIEWER
    user = make(session, "lou", "lead", region_id="st-louis")
    accounts.deactivate_user(session=session, user=user)
    assert actor_for(session, user) is ANONYMOUS_VIEWER
    assert ANONYMOUS_VIEWER.signed_in is False
    assert ANONYMOUS_VIEWER.role == models.Role.VIEWER


def test_actor_for_reads_the_current_role(session):
    user = make(session, "lou", "lead", region_id="st-louis")
    # e.g. a copy kept in the web session since sign-in
    stale = models.User(id=user.id, username="lou", display_name="lou", role="lead")
    accounts.set_role(session=session, user=user, role="viewer")
    actor = actor_for(session, stale)
    assert actor.role == models.Role.VIEWER
    assert actor.region_ids == frozenset()
    assert not can_update_outcome(actor, region_id="st-louis", strategy_id=STL[1])


def test_demoted_lead_keeps_assignments_for_later(session):
    user = make(session, "lou", "lead", region_id="st-louis")
    accounts.set_role(session=session, user=user, role="viewer")
    assert not can_update_outcome(actor_for(session, user), region_id=STL[0], strategy_id=STL[1])
    accounts.set_role(session=session, user=user, role="lead")
    assert can_update_outcome(actor_for(session, user), region_id=STL[0], strategy_id=STL[1])


def test_require_update_outcome_messages(actors):
    region_id, strategy_id = SW_SHELTER
    expected = {
        "anonymous": "Sign in to update outcomes.",
        "viewer": "Viewers cannot update outcomes. Ask an admin to make you a lead of your region.",
        "idle_lead": "You are not assigned to any region or strategy yet. "
        "Ask an admin to assign you.",
        "stl_lead": "You can update outcomes of St. Louis only.",
    }
    for who, message in expected.items():
        with pytest.raises(PermissionDenied) as exc:
            require_update_outcome(actors[who], region_id=region_id, strategy_id=strategy_id)
        assert str(exc.value) == message


def test_require_admin(actors):
    require_admin(actors["admin"])
    for who in ("anonymous", "viewer", "stl_lead"):
        with pytest.raises(PermissionDenied, match=r"^Only admins can manage users\.$"):
            require_admin(actors[who], "manage users")


@pytest.mark.parametrize(
    ("private", "who", "allowed"),
    [
        (False, "anonymous", True),
        (False, "viewer", True),
        (True, "anonymous", False),
        (True, "viewer", True),
        (True, "stl_lead", True),
        (True, "admin", True),
    ],
)
def test_can_read(actors, private, who, allowed):
    assert can_read(actors[who], Settings(tracker_private=private)) is allowed


def test_outcome_scope_finds_region_through_the_logic_model(session):
    outcome = session.exec(
        select(Outcome).where(Outcome.strategy_id == "southwest.legal-services")
    ).first()
    assert outcome_scope(session, outcome_id=outcome.id) == Scope(
        region_id="southwest", strategy_id="southwest.legal-services"
    )
    assert outcome_scope(session, outcome_id="no-such-outcome") is None
    assert accounts.region_of_strategy(
        session=session, strategy_id="state-housing.ht-taskforce"
    ) == ("state")
