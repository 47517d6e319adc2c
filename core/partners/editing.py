"""Curating the plan's organisations (admins only): add one, rename it, the names it
goes by, its kind, regions and website, retire and restore it (merging, and which
resource items of a strategy name it: core/partners/linking.py).

Every change writes a `plan_change` row (subject kind "organisation") in the same
transaction, like the plan's own edits (core/plan/editing.py), and needs a reason.
An organisation is never deleted: it is retired. A merged organisation is retired and
points at the one it was merged into (`merged_into_id`); its names, strategy links
and users move there (core/partners/linking.py), while history rows keep its id, so
queries count it as its survivor (core/partners/queries.survivors).
A form passes the `version_of` it was drawn with; a change made since is refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session, col, func, select

from core.errors import UpdateRejected
from core.models import (
    ChangeAction,
    Organisation,
    OrganisationKind,
    OrganisationName,
    OrganisationRegion,
    PlanChange,
    Region,
    StrategyOrganisation,
)
from core.partners.names import name_key
from core.people.permissions import Actor, require_admin
from core.plan.changelog import record
from core.plan.fields import clean_reason, clean_text, column_length
from core.plan.ids import slug

SUBJECT = "organisation"
NAME_MAX = column_length(OrganisationName, "name")
KEY_MAX = column_length(OrganisationName, "key")
ID_MAX = column_length(Organisation, "id")
WEBSITE_MAX = column_length(Organisation, "website")
EDITABLE = ("kind", "region_ids", "website")


class OrganisationRefused(UpdateRejected):
    """A change to the organisations that cannot be made; nothing was written."""


class DuplicateOrganisationName(OrganisationRefused):
    """The name is already one of an organisation's names (by its name key)."""


class StaleOrganisationEdit(OrganisationRefused):
    """Someone changed the organisation after the form was drawn; nothing was written."""


# --- reading -----------------------------------------------------------------------


def names_of(session: Session, organisation_id: str) -> list[str]:
    """Every name the organisation goes by (its name included), alphabetically."""
    rows = session.exec(
        select(OrganisationName.name).where(OrganisationName.organisation_id == organisation_id)
    ).all()
    return sorted(rows, key=str.casefold)


def regions_of(session: Session, organisation_id: str) -> list[str]:
    rows = session.exec(
        select(OrganisationRegion.region_id).where(
            OrganisationRegion.organisation_id == organisation_id
        )
    ).all()
    return sorted(rows)


def links_of(session: Session, organisation_id: str) -> list[tuple[str, int]]:
    """The (strategy, resource index) items that name the organisation."""
    rows = session.exec(
        select(StrategyOrganisation.strategy_id, StrategyOrganisation.resource_index).where(
            StrategyOrganisation.organisation_id == organisation_id
        )
    ).all()
    return sorted((s, i) for s, i in rows)


def version_of(session: Session, organisation_id: str) -> str:
    """A fingerprint of everything the admin forms show of an organisation: a form
    drawn with it is refused on save when it no longer matches."""
    org = session.get(Organisation, organisation_id, populate_existing=True)
    if org is None:
        return ""
    state = {
        "org": org.model_dump(),
        "names": names_of(session, organisation_id),
        "regions": regions_of(session, organisation_id),
        "links": links_of(session, organisation_id),
    }
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:16]


# --- checking what people typed ----------------------------------------------------


def clean_name(value: Any, what: str = "The organisation's name") -> tuple[str, str]:
    """A name as stored and its key; refused when empty, too long or holding a
    control character."""
    name = clean_text(value, what, NAME_MAX)
    key = name_key(name)
    if len(key) > KEY_MAX:
        raise OrganisationRefused(f"{what} is too long; keep it under {KEY_MAX} characters.")
    return name, key


def clean_kind(value: Any) -> str:
    try:
        return OrganisationKind(str(value or "").strip().lower()).value
    except ValueError:
        kinds = ", ".join(k.value for k in OrganisationKind)
        raise OrganisationRefused(
            f"“{value}” is not a kind of organisation; use one of: {kinds}."
        ) from None


def clean_regions(session: Session, values: Iterable[str]) -> list[str]:
    out = []
    for value in values:
        if session.get(Region, value) is None:
            known = ", ".join(session.exec(select(Region.id).order_by(col(Region.position))).all())
            raise OrganisationRefused(f"There is no region {value!r}; regions: {known}.")
        out.append(value)
    return sorted(set(out))


def clean_website(value: Any) -> str | None:
    """A website as `http(s)://host/...`, or None when blank."""
    text = str(value or "").strip()
    if not text:
        return None
    clean_text(text, "The website", WEBSITE_MAX)  # control characters, length
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not host or " " in text:
        raise OrganisationRefused(
            "The website must be a full web address starting with http:// or https://."
        )
    return text


def _check_free(session: Session, key: str, name: str, owner: str | None = None) -> None:
    """Refuse a name whose key is already another organisation's name or spelling."""
    taken = session.exec(
        select(OrganisationName, Organisation)
        .join(Organisation, col(Organisation.id) == OrganisationName.organisation_id)
        .where(OrganisationName.key == key)
    ).first()
    if taken is not None and taken[1].id != owner:
        raise DuplicateOrganisationName(
            f"“{name}” is already a name of {taken[1].name} (as “{taken[0].name}”); "
            "names and spellings must be unique across organisations."
        )
    same_name = session.exec(select(Organisation).where(Organisation.name == name)).first()
    if same_name is not None and same_name.id != owner:
        raise DuplicateOrganisationName(
            f"“{name}” is the name of the organisation {same_name.id!r}; choose another."
        )


def get_organisation(
    session: Session, organisation_id: str, expected_version: str | None
) -> Organisation:
    # FOR UPDATE: two admins changing one organisation queue (as core/plan/changelog).
    org = session.get(Organisation, organisation_id, populate_existing=True, with_for_update=True)
    if org is None:
        raise OrganisationRefused(f"There is no organisation {organisation_id!r}.")
    if expected_version is not None and version_of(session, org.id) != expected_version:
        raise StaleOrganisationEdit(
            f"Someone changed {org.name} after you opened the form. Nothing was saved; "
            "review it and try again."
        )
    return org


def require_not_merged(org: Organisation, what: str) -> None:
    """A merged organisation lives on in the one it was merged into: its names and
    links are that one's now, so it takes no more changes."""
    if org.merged_into_id:
        raise OrganisationRefused(
            f"{org.name} was merged into {org.merged_into_id!r}; {what} that one instead."
        )


def _changing(
    session: Session,
    actor: Actor,
    organisation_id: str,
    expected_version: str | None,
    reason: str,
    verb: str,
) -> tuple[Organisation, str]:
    """The organisation an admin is about to change, and the change's reason, after the
    checks every change makes: an admin, a reason, the version the form was drawn
    with, and not merged into another."""
    require_admin(actor, f"{verb} organisations")
    reason = clean_reason(reason)
    org = get_organisation(session, organisation_id, expected_version)
    require_not_merged(org, verb)
    return org, reason


def require_active(org: Organisation, what: str) -> None:
    require_not_merged(org, what)
    if org.retired:
        raise OrganisationRefused(f"{org.name} is retired; restore it first to {what} it.")


def log_change(
    session: Session,
    actor: Actor,
    org_id: str,
    action: ChangeAction,
    reason: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> PlanChange:
    entry = record(
        session=session,
        actor=actor,
        kind=SUBJECT,
        subject_id=org_id,
        action=action,
        reason=reason,
        before=before,
        after=after,
    )
    session.flush()
    return entry


def snapshot(session: Session, org: Organisation) -> dict[str, Any]:
    return {
        "name": org.name,
        "kind": org.kind,
        "website": org.website,
        "names": names_of(session, org.id),
        "region_ids": regions_of(session, org.id),
        "retired": org.retired,
    }


# --- the changes -------------------------------------------------------------------


def _new_id(session: Session, name: str) -> str:
    base = slug(name, ID_MAX - 4)
    candidate, n = base, 1
    while session.get(Organisation, candidate) is not None:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def add_organisation(
    *,
    session: Session,
    actor: Actor,
    name: str,
    kind: str,
    reason: str,
    names: Iterable[str] = (),  # short names and spellings
    region_ids: Iterable[str] = (),
    website: str | None = None,
) -> Organisation:
    require_admin(actor, "add organisations")
    reason = clean_reason(reason)
    name, key = clean_name(name)
    all_names = {key: name}
    for other in names:
        if not str(other or "").strip():
            continue
        spelling, other_key = clean_name(other, "Each short name or spelling")
        if other_key in all_names:
            raise DuplicateOrganisationName(
                f"“{spelling}” is given twice (as “{all_names[other_key]}”); give each name once."
            )
        all_names[other_key] = spelling
    for k, n in all_names.items():
        _check_free(session, k, n)
    org = Organisation(
        id=_new_id(session, name),
        name=name,
        kind=clean_kind(kind),
        website=clean_website(website),
        position=(session.exec(select(func.max(Organisation.position))).one() or 0) + 1,
    )
    regions = clean_regions(session, region_ids)
    session.add(org)
    session.flush()  # the organisation before the rows that refer to it
    session.add_all(
        OrganisationName(organisation_id=org.id, name=n, key=k) for k, n in all_names.items()
    )
    session.add_all(OrganisationRegion(organisation_id=org.id, region_id=r) for r in regions)
    session.flush()
    log_change(session, actor, org.id, ChangeAction.CREATED, reason, None, snapshot(session, org))
    return org


def rename(
    *,
    session: Session,
    actor: Actor,
    organisation_id: str,
    name: str,
    reason: str,
    expected_version: str | None = None,
) -> PlanChange | None:
    """Give the organisation a new name; the old one stays as one of its spellings."""
    org, reason = _changing(session, actor, organisation_id, expected_version, reason, "rename")
    new, key = clean_name(name)
    if new == org.name:
        return None
    _check_free(session, key, new, owner=org.id)
    existing = session.exec(select(OrganisationName).where(OrganisationName.key == key)).first()
    if existing is None:
        session.add(OrganisationName(organisation_id=org.id, name=new, key=key))
    else:  # one of its spellings becomes its name (or only the case changes)
        existing.name = new
        session.add(existing)
    old = org.name
    org.name = new
    session.add(org)
    return log_change(
        session, actor, org.id, ChangeAction.EDITED, reason, {"name": old}, {"name": new}
    )


def add_name(
    *,
    session: Session,
    actor: Actor,
    organisation_id: str,
    name: str,
    reason: str,
    expected_version: str | None = None,
) -> PlanChange:
    """Add a short name or spelling the organisation goes by."""
    org, reason = _changing(session, actor, organisation_id, expected_version, reason, "change")
    spelling, key = clean_name(name, "The short name or spelling")
    before = names_of(session, org.id)
    _check_free(session, key, spelling)  # its own names included
    session.add(OrganisationName(organisation_id=org.id, name=spelling, key=key))
    session.flush()
    after = names_of(session, org.id)
    return log_change(
        session, actor, org.id, ChangeAction.EDITED, reason, {"names": before}, {"names": after}
    )


def remove_name(
    *,
    session: Session,
    actor: Actor,
    organisation_id: str,
    name: str,
    reason: str,
    expected_version: str | None = None,
) -> PlanChange:
    """Remove a short name or spelling (never the organisation's own name)."""
    org, reason = _changing(session, actor, organisation_id, expected_version, reason, "change")
    key = name_key(str(name or ""))
    row = session.exec(
        select(OrganisationName).where(
            OrganisationName.key == key, OrganisationName.organisation_id == org.id
        )
    ).first()
    if row is None:
        raise OrganisationRefused(f"“{name}” is not one of {org.name}'s names.")
    if row.key == name_key(org.name):
        raise OrganisationRefused(
            f"“{org.name}” is the organisation's name; rename it before removing this name."
        )
    before = names_of(session, org.id)
    session.delete(row)
    session.flush()
    after = names_of(session, org.id)
    return log_change(
        session, actor, org.id, ChangeAction.EDITED, reason, {"names": before}, {"names": after}
    )


def edit_organisation(
    *,
    session: Session,
    actor: Actor,
    organisation_id: str,
    changes: dict[str, Any],
    reason: str,
    expected_version: str | None = None,
) -> PlanChange | None:
    """Set the kind, the regions served (`region_ids`) or the website (see EDITABLE).
    Returns the log entry, or None when nothing differs."""
    org, reason = _changing(session, actor, organisation_id, expected_version, reason, "change")
    cleaned: dict[str, Any] = {}
    for field, value in changes.items():
        if field == "kind":
            cleaned[field] = clean_kind(value)
        elif field == "website":
            cleaned[field] = clean_website(value)
        elif field == "region_ids":
            cleaned[field] = clean_regions(session, value)
        else:
            raise OrganisationRefused(
                f"An organisation's {field.replace('_', ' ')} cannot be edited here."
            )
    current = {"kind": org.kind, "website": org.website, "region_ids": regions_of(session, org.id)}
    changed = {f: v for f, v in cleaned.items() if current[f] != v}
    if not changed:
        return None
    if "region_ids" in changed:
        for row in session.exec(
            select(OrganisationRegion).where(OrganisationRegion.organisation_id == org.id)
        ).all():
            session.delete(row)
        session.flush()
        session.add_all(
            OrganisationRegion(organisation_id=org.id, region_id=r) for r in changed["region_ids"]
        )
    org.kind = changed.get("kind", org.kind)
    org.website = changed.get("website", org.website)
    session.add(org)
    before = {f: current[f] for f in changed}
    return log_change(session, actor, org.id, ChangeAction.EDITED, reason, before, changed)


def set_retired(
    *,
    session: Session,
    actor: Actor,
    organisation_id: str,
    retired: bool,
    reason: str,
    expected_version: str | None = None,
) -> PlanChange:
    """Retire (kept with its history and names, no new links) or restore."""
    require_admin(actor, "retire or restore organisations")
    reason = clean_reason(reason)
    org = get_organisation(session, organisation_id, expected_version)
    if org.merged_into_id:
        raise OrganisationRefused(
            f"{org.name} was merged into {org.merged_into_id!r}; its names are that "
            "organisation's now, so it cannot be restored."
        )
    if org.retired == retired:
        raise OrganisationRefused(f"{org.name} is already {'retired' if retired else 'active'}.")
    org.retired = retired
    session.add(org)
    action = ChangeAction.RETIRED if retired else ChangeAction.RESTORED
    return log_change(
        session, actor, org.id, action, reason, {"retired": not retired}, {"retired": retired}
    )
