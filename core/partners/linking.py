"""What refers to an organisation (admins only): which resource items of a strategy
name it, and merging one organisation into another, which moves its names, regions,
strategy links and users to the survivor. Every change is logged as in
core/partners/editing.py; history rows (status updates, comments, measure values)
keep the merged organisation's id, and queries count it as its survivor.
"""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import Session, select

from core.models import (
    ChangeAction,
    Organisation,
    OrganisationName,
    OrganisationRegion,
    PlanChange,
    Strategy,
    StrategyOrganisation,
    User,
)
from core.partners.editing import (
    OrganisationRefused,
    StaleOrganisationEdit,
    get_organisation,
    links_of,
    log_change,
    names_of,
    regions_of,
    require_active,
)
from core.people.permissions import Actor, require_admin
from core.plan.fields import clean_reason


def merge(
    *,
    session: Session,
    actor: Actor,
    organisation_id: str,
    into_id: str,
    reason: str,
    expected_version: str | None = None,
    expected_into_version: str | None = None,
) -> Organisation:
    """Merge organisation A (`organisation_id`) into B (`into_id`): A's names become
    B's spellings, A's regions B's too, A's strategy links and users move to B; A is
    retired pointing at B. Returns B."""
    require_admin(actor, "merge organisations")
    reason = clean_reason(reason)
    if organisation_id == into_id:
        raise OrganisationRefused("An organisation cannot be merged into itself.")
    merged = get_organisation(session, organisation_id, expected_version)
    survivor = get_organisation(session, into_id, expected_into_version)
    if merged.merged_into_id:
        raise OrganisationRefused(
            f"{merged.name} was already merged into {merged.merged_into_id!r}."
        )
    if merged.id in _merged_chain(session, survivor):
        raise OrganisationRefused(
            f"{survivor.name} was merged into {merged.name}; merging back would make a cycle."
        )
    require_active(survivor, "merge into")
    before = {
        "names": names_of(session, survivor.id),
        "region_ids": regions_of(session, survivor.id),
    }
    for row in session.exec(
        select(OrganisationName).where(OrganisationName.organisation_id == merged.id)
    ).all():
        row.organisation_id = survivor.id
        session.add(row)
    new_regions = set(regions_of(session, merged.id)) - set(before["region_ids"])
    session.add_all(
        OrganisationRegion(organisation_id=survivor.id, region_id=r) for r in new_regions
    )
    moved_links = _move_links(session, merged.id, survivor.id)
    users = session.exec(select(User).where(User.organisation_id == merged.id)).all()
    for user in users:
        user.organisation_id = survivor.id
        session.add(user)
    merged.retired, merged.merged_into_id = True, survivor.id
    session.add(merged)
    session.flush()
    log_change(
        session,
        actor,
        merged.id,
        ChangeAction.RETIRED,
        reason,
        {"merged_into": None},
        {"merged_into": survivor.id},
    )
    after = {
        "names": names_of(session, survivor.id),
        "region_ids": regions_of(session, survivor.id),
        "merged_from": merged.id,
        "strategy_links_moved": moved_links,
        "users_moved": len(users),
    }
    log_change(session, actor, survivor.id, ChangeAction.EDITED, reason, before, after)
    return survivor


def _merged_chain(session: Session, org: Organisation) -> set[str]:
    """The organisations `org` was merged into, step by step (stops at a repeat)."""
    seen: set[str] = set()
    while org.merged_into_id and org.merged_into_id not in seen:
        seen.add(org.merged_into_id)
        org = session.get(Organisation, org.merged_into_id) or org
    return seen


def _move_links(session: Session, from_id: str, to_id: str) -> int:
    """Point `from_id`'s strategy links at `to_id` (an item `to_id` is linked to
    already keeps one link, not two); returns how many links moved."""
    have = set(links_of(session, to_id))
    rows = session.exec(
        select(StrategyOrganisation).where(StrategyOrganisation.organisation_id == from_id)
    ).all()
    for row in rows:
        if (row.strategy_id, row.resource_index) in have:
            session.delete(row)
        else:
            row.organisation_id = to_id
            session.add(row)
    return len(rows)


def _resource(
    session: Session, strategy_id: str, resource_index: int, expected: str | None = None
) -> str:
    """The text of a strategy's resource item, by its position (from 0). `expected` is
    the text the admin saw: if the Resources cell changed since, nothing is written."""
    strategy = session.get(Strategy, strategy_id, populate_existing=True)
    if strategy is None:
        raise OrganisationRefused(f"There is no strategy {strategy_id!r}.")
    if not 0 <= resource_index < len(strategy.resources):
        raise OrganisationRefused(
            f"Strategy {strategy_id!r} has {len(strategy.resources)} resource items; "
            f"there is no item {resource_index + 1}."
        )
    item = strategy.resources[resource_index]
    if expected is not None and item != expected:
        raise StaleOrganisationEdit(
            f"Someone changed the resources of {strategy_id!r} after you opened the form: "
            f"item {resource_index + 1} is now “{item}”. Nothing was saved; pick it again."
        )
    return item


def follow_resources(
    session: Session, strategy_id: str, before: list[str], after: list[str]
) -> int:
    """Keep a strategy's organisation links on their resource items when its Resources
    cell is edited (links point at items by position): each link moves with its item's
    text, the n-th item of a text to the n-th item of that text; a link whose item is
    gone is removed. Returns how many were removed."""
    slots: dict[str, list[int]] = defaultdict(list)
    for index, text in enumerate(after):
        slots[text].append(index)
    seen: dict[str, int] = defaultdict(int)
    moved: dict[int, int | None] = {}
    for index, text in enumerate(before):
        here = slots.get(text, [])
        moved[index] = here[seen[text]] if seen[text] < len(here) else None
        seen[text] += 1
    links = session.exec(
        select(StrategyOrganisation).where(StrategyOrganisation.strategy_id == strategy_id)
    ).all()
    kept = {(moved.get(link.resource_index), link.organisation_id) for link in links}
    for link in links:  # replaced, not renumbered: two items may swap places
        session.delete(link)
    session.flush()
    still = sorted((place, org) for place, org in kept if place is not None)
    session.add_all(
        StrategyOrganisation(strategy_id=strategy_id, resource_index=i, organisation_id=o)
        for i, o in still
    )
    session.flush()
    return len(links) - len(still)


def link_strategy(
    *,
    session: Session,
    actor: Actor,
    strategy_id: str,
    resource_index: int,
    organisation_id: str,
    reason: str,
    resource: str | None = None,  # the item's text the admin saw
) -> StrategyOrganisation:
    """Record that a strategy's resource item (by position, from 0) names the
    organisation; refused for a retired or merged organisation."""
    require_admin(actor, "link strategies to organisations")
    reason = clean_reason(reason)
    org = get_organisation(session, organisation_id, None)
    require_active(org, "link")
    item = _resource(session, strategy_id, resource_index, resource)
    if (strategy_id, resource_index) in links_of(session, org.id):
        raise OrganisationRefused(f"“{item}” of {strategy_id!r} already names {org.name}.")
    link = StrategyOrganisation(
        strategy_id=strategy_id, resource_index=resource_index, organisation_id=org.id
    )
    session.add(link)
    after = {"strategy_id": strategy_id, "resource_index": resource_index, "resource": item}
    log_change(session, actor, org.id, ChangeAction.EDITED, reason, {"strategy_id": None}, after)
    return link


def unlink_strategy(
    *,
    session: Session,
    actor: Actor,
    strategy_id: str,
    resource_index: int,
    organisation_id: str,
    reason: str,
    resource: str | None = None,  # the item's text the admin saw
) -> PlanChange:
    """Remove the link of a strategy's resource item to the organisation."""
    require_admin(actor, "link strategies to organisations")
    reason = clean_reason(reason)
    org = get_organisation(session, organisation_id, None)
    if resource is not None:
        _resource(session, strategy_id, resource_index, resource)
    link = session.exec(
        select(StrategyOrganisation).where(
            StrategyOrganisation.strategy_id == strategy_id,
            StrategyOrganisation.resource_index == resource_index,
            StrategyOrganisation.organisation_id == org.id,
        )
    ).first()
    if link is None:
        raise OrganisationRefused(
            f"Item {resource_index + 1} of {strategy_id!r} is not linked to {org.name}."
        )
    session.delete(link)
    before = {"strategy_id": strategy_id, "resource_index": resource_index}
    return log_change(
        session, actor, org.id, ChangeAction.EDITED, reason, before, {"strategy_id": None}
    )
