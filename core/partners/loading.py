"""Applying data/organisations.yaml to the organisation tables, inside the plan's load
(core/plan/loading.py `load_plan`: one transaction, so a refusal writes nothing).

Keyed on the organisations' ids, idempotent (a second load writes nothing):
- an organisation of the file is inserted, or updated in place (name, kind, website,
  position) unless an admin has edited it on the Organisations page (the change log
  says so): then the admin's edit stands. Whether it is retired, and what it was
  merged into, are the admins' (core/partners/linking.py) and kept. Its names and
  regions from the file are added where missing; names and regions an admin added
  are kept.
- an organisation not in the file (made by an admin) is left untouched; none is ever
  deleted.
- the mapping rows (StrategyOrganisation) of every strategy in the file are replaced
  by the file's, except for strategies whose links an admin has changed (linked or
  unlinked an item): the living record is then the database's. An item naming a
  merged organisation names its survivor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert
from sqlmodel import Session, col, select

from core.models import (
    ChangeAction,
    Organisation,
    OrganisationName,
    OrganisationRegion,
    PlanChange,
    StrategyOrganisation,
)
from core.partners.catalogue import Catalogue, CatalogueOrganisation
from core.partners.names import name_key
from core.plan.files import PlanFileError

if TYPE_CHECKING:
    from core.plan.loading import LoadReport

# The fields of an organisation the file owns once it exists.
_FILE_FIELDS = ("name", "kind", "website", "position")


def apply_catalogue(session: Session, catalogue: Catalogue, report: LoadReport) -> None:
    """Make the organisation tables agree with the catalogue (see the module's rules)."""
    existing = {o.id: o for o in session.exec(select(Organisation)).all()}
    _check_names_free(session, catalogue, existing)
    _upsert_organisations(session, catalogue, existing, report)
    active = [o for o in catalogue.organisations if not _merged(existing.get(o.id))]
    _add_missing(session, OrganisationName, _name_rows(active), ("organisation_id", "key"), report)
    _add_missing(
        session, OrganisationRegion, _region_rows(active), ("organisation_id", "region_id"), report
    )
    _replace_mapping(session, catalogue, report)
    session.flush()


def _merged(org: Organisation | None) -> bool:
    return org is not None and org.merged_into_id is not None


def _check_names_free(
    session: Session, catalogue: Catalogue, existing: dict[str, Organisation]
) -> None:
    """Refuse a name of the file that the database gives another organisation."""
    rows = session.exec(select(OrganisationName.key, OrganisationName.organisation_id)).all()
    owners = {key: owner for key, owner in rows}
    for org in catalogue.organisations:
        if _merged(existing.get(org.id)):
            continue  # its names moved to its survivor
        for name in org.names:
            owner = owners.get(name_key(name))
            if owner is not None and owner != org.id:
                raise PlanFileError(
                    catalogue.path,
                    org.id,
                    "names",
                    f"{name!r} is already a name of the organisation {owner!r} in the "
                    "database; remove it there or here",
                )


def _upsert_organisations(
    session: Session,
    catalogue: Catalogue,
    existing: dict[str, Organisation],
    report: LoadReport,
) -> None:
    new: list[dict[str, Any]] = []
    curated = _curated(session).organisations
    for org in catalogue.organisations:
        wanted = _organisation_row(org)
        row = existing.get(org.id)
        if row is None:
            new.append(wanted)
            continue
        changed = {f for f in _FILE_FIELDS if getattr(row, f) != wanted[f]}
        if not changed or org.id in curated:
            report.unchanged["organisation"] += 1
            continue
        for field in changed:
            setattr(row, field, wanted[field])
        session.add(row)
        report.updated["organisation"] += 1
    if new:
        session.flush()  # renames first, so a new organisation may take a freed name
        session.execute(insert(Organisation), new)
        report.inserted["organisation"] += len(new)


def _organisation_row(org: CatalogueOrganisation) -> dict[str, Any]:
    return dict(
        id=org.id,
        name=org.name,
        kind=org.kind,
        website=org.website,
        position=org.position,
        retired=False,
        merged_into_id=None,
    )


def _name_rows(organisations: list[CatalogueOrganisation]) -> list[dict[str, Any]]:
    return [
        dict(organisation_id=o.id, name=name, key=name_key(name))
        for o in organisations
        for name in o.names
    ]


def _region_rows(organisations: list[CatalogueOrganisation]) -> list[dict[str, Any]]:
    return [dict(organisation_id=o.id, region_id=r) for o in organisations for r in o.regions]


def _add_missing(
    session: Session,
    model: type[OrganisationName] | type[OrganisationRegion],
    rows: list[dict[str, Any]],
    key: tuple[str, str],
    report: LoadReport,
) -> None:
    """Insert the rows whose key the table does not hold yet."""
    columns = [getattr(model, k) for k in key]
    have = set(session.exec(select(*columns)).all())
    missing = [r for r in rows if (r[key[0]], r[key[1]]) not in have]
    kind = str(model.__tablename__)
    if missing:
        session.execute(insert(model), missing)
    report.inserted[kind] += len(missing)
    report.unchanged[kind] += len(rows) - len(missing)


def _survivors(session: Session) -> dict[str, str]:
    """Each merged organisation's id -> the organisation it ends up merged into."""
    rows = session.exec(
        select(Organisation.id, Organisation.merged_into_id).where(
            col(Organisation.merged_into_id).is_not(None)
        )
    ).all()
    merged = {org_id: str(into) for org_id, into in rows}
    result: dict[str, str] = {}
    for start in merged:
        seen, current = {start}, merged[start]
        while current in merged and merged[current] not in seen:  # a cycle stops the walk
            seen.add(current)
            current = merged[current]
        result[start] = str(current)
    return result


class _Curated:
    """What admins have changed on the Organisations page, from the change log:
    organisations edited (names, kind, website) and strategies whose links changed."""

    def __init__(self, changes: list[PlanChange]) -> None:
        self.organisations: set[str] = set()
        self.strategies: set[str] = set()
        for change in changes:
            sides = [side for side in (change.before, change.after) if side]
            linked = {side.get("strategy_id") for side in sides} - {None}
            self.strategies |= {str(s) for s in linked}
            if not linked and change.action == ChangeAction.EDITED:
                self.organisations.add(change.subject_id)


def _curated(session: Session) -> _Curated:
    return _Curated(
        list(session.exec(select(PlanChange).where(PlanChange.subject_kind == "organisation")))
    )


def _replace_mapping(session: Session, catalogue: Catalogue, report: LoadReport) -> None:
    survivors = _survivors(session)
    strategies = [s for s in catalogue.mapping if s not in _curated(session).strategies]
    wanted = {
        (strategy_id, index, survivors.get(org_id, org_id))
        for strategy_id in strategies
        for index, org_ids in catalogue.mapping[strategy_id].items()
        for org_id in org_ids
    }
    rows = session.exec(
        select(StrategyOrganisation).where(col(StrategyOrganisation.strategy_id).in_(strategies))
    ).all()
    have = {(r.strategy_id, r.resource_index, r.organisation_id): r for r in rows}
    stale = [r.id for k, r in have.items() if k not in wanted]
    if stale:
        session.execute(delete(StrategyOrganisation).where(col(StrategyOrganisation.id).in_(stale)))
    missing = sorted(wanted - set(have))
    if missing:
        session.execute(
            insert(StrategyOrganisation),
            [dict(strategy_id=s, resource_index=i, organisation_id=o) for s, i, o in missing],
        )
    kind = StrategyOrganisation.__tablename__
    report.inserted[kind] += len(missing)
    report.retired[kind] += len(stale)  # removed: mapping rows carry no history
    report.unchanged[kind] += len(wanted) - len(missing)
