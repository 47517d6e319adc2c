"""Reading data/organisations.yaml: the organisations the plan's Resources cells name,
and which organisation(s) each resource item names, validated against the plan.

Nothing here touches the database; core/partners/loading.py applies what this returns.
Any problem raises PlanFileError naming the file, the entry and the field, as the
plan's own files do (core/plan/files.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from core.models import OrganisationKind
from core.partners.names import name_key
from core.plan.files import ID_PATTERN, PlanData, PlanFileError, _read_yaml, _Strict, _validate

FILE_NAME = "organisations.yaml"

# The columns' lengths (core/models/partners.py), which PostgreSQL enforces.
OrganisationId = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=80)]
OrgName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Website = Annotated[str, StringConstraints(pattern=r"^https://[^\s]+$", max_length=2000)]


class OrganisationRecord(_Strict):
    id: OrganisationId
    name: OrgName
    names: list[OrgName] = Field(default_factory=list)
    kind: OrganisationKind
    regions: Literal["all"] | list[Annotated[str, StringConstraints(max_length=40)]]
    website: Website | None = None
    # Why an organisation no resource item names is in the catalogue at all.
    added: str | None = Field(default=None, min_length=1)


class MappedItem(_Strict):
    item: Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
    organisations: list[OrganisationId] = Field(min_length=1)


class CatalogueFile(_Strict):
    organisations: list[OrganisationRecord] = Field(min_length=1)
    resources: dict[str, dict[int, MappedItem]] = Field(default_factory=dict)


@dataclass(frozen=True)
class CatalogueOrganisation:
    id: str
    name: str
    names: tuple[str, ...]  # every name it goes by, its name first
    kind: str
    regions: tuple[str, ...]
    website: str | None
    position: int
    added: str | None


@dataclass(frozen=True)
class Catalogue:
    path: Path
    organisations: tuple[CatalogueOrganisation, ...]
    # strategy id -> resource position -> the organisation ids that item names
    mapping: dict[str, dict[int, tuple[str, ...]]]


def read_catalogue(data_dir: Path, plan: PlanData) -> Catalogue | None:
    """data/organisations.yaml checked against the plan (None when there is no file)."""
    path = Path(data_dir) / FILE_NAME
    if not path.is_file():
        return None
    parsed: CatalogueFile = _validate(CatalogueFile, _read_yaml(path), path)
    region_ids = [r.id for r in plan.plan.regions]
    organisations = _organisations(path, parsed.organisations, region_ids)
    known = {o.id for o in organisations}
    mapping = _mapping(path, parsed.resources, plan, known)
    return Catalogue(path=path, organisations=organisations, mapping=mapping)


def _organisations(
    path: Path, records: list[OrganisationRecord], region_ids: list[str]
) -> tuple[CatalogueOrganisation, ...]:
    owners: dict[str, str] = {}  # name key -> organisation id
    result: list[CatalogueOrganisation] = []
    for position, rec in enumerate(records, 1):
        if any(o.id == rec.id for o in result):
            raise PlanFileError(path, rec.id, "id", "duplicate id")
        regions = region_ids if rec.regions == "all" else rec.regions
        for region in regions:
            if region not in region_ids:
                raise PlanFileError(path, rec.id, "regions", f"unknown region {region!r}")
        names = [rec.name, *rec.names]
        for name in names:
            key = name_key(name)
            if (owner := owners.get(key)) is not None:
                where = "listed twice" if owner == rec.id else f"also a name of {owner!r}"
                raise PlanFileError(path, rec.id, "names", f"{name!r} is {where}")
            owners[key] = rec.id
        result.append(
            CatalogueOrganisation(
                id=rec.id,
                name=rec.name,
                names=tuple(names),
                kind=rec.kind.value,
                regions=tuple(sorted(set(regions), key=region_ids.index)),
                website=rec.website,
                position=position,
                added=rec.added,
            )
        )
    return tuple(result)


def _mapping(
    path: Path,
    resources: dict[str, dict[int, MappedItem]],
    plan: PlanData,
    known: set[str],
) -> dict[str, dict[int, tuple[str, ...]]]:
    strategies = {s.id: s.resources for lm in plan.logic_models for s in lm.strategies}
    for strategy_id in resources:
        if strategy_id not in strategies:
            raise PlanFileError(
                path,
                strategy_id,
                "resources",
                f"unknown strategy {strategy_id!r} (not in logic_models/; remove its entry)",
            )
    mapping: dict[str, dict[int, tuple[str, ...]]] = {}
    for strategy_id, items in strategies.items():
        mapped = resources.get(strategy_id, {})
        for index, entry in mapped.items():
            where = f"resources.{strategy_id}.{index}"
            if not 0 <= index < len(items):
                raise PlanFileError(
                    path,
                    strategy_id,
                    where,
                    f"no resource item at position {index} (the strategy has "
                    f"{len(items)}, numbered from 0)",
                )
            if entry.item != items[index]:
                raise PlanFileError(
                    path,
                    strategy_id,
                    where,
                    f"the item reads {items[index]!r} in logic_models/, not {entry.item!r}",
                )
            if unknown := [o for o in entry.organisations if o not in known]:
                raise PlanFileError(
                    path, strategy_id, where, f"unknown organisation {unknown[0]!r}"
                )
        for index, text in enumerate(items):
            if index not in mapped:
                raise PlanFileError(
                    path,
                    strategy_id,
                    f"resources.{strategy_id}.{index}",
                    f"resource item {index} ({text!r}) is not mapped to an organisation",
                )
        mapping[strategy_id] = {
            i: tuple(dict.fromkeys(e.organisations)) for i, e in sorted(mapped.items())
        }
    return mapping
