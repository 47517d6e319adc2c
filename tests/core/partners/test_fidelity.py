"""data/organisations.yaml against the report: every Resources item of every strategy
names at least one organisation, the items stay verbatim, one name never points at
two organisations, loading twice writes nothing, and a bad catalogue is refused
naming its entry, with nothing written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, event, func
from sqlmodel import Session, select

from core.config import PROJECT_ROOT
from core.models import (
    Organisation,
    OrganisationName,
    OrganisationRegion,
    Plan,
    Strategy,
    StrategyOrganisation,
)
from core.partners.catalogue import Catalogue, read_catalogue
from core.partners.names import name_key
from core.plan.files import PlanFileError, read_plan
from core.plan.loading import load_plan

DATA_DIR = PROJECT_ROOT / "data"
PARTNER_TABLES = [Organisation, OrganisationName, OrganisationRegion, StrategyOrganisation]


def logic_model_resources() -> dict[str, list[str]]:
    """Every strategy's Resources items, straight from data/logic_models."""
    result = {}
    for path in sorted((DATA_DIR / "logic_models").glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        result.update({s["id"]: s.get("resources", []) for s in raw["strategies"]})
    return result


def catalogue() -> Catalogue:
    found = read_catalogue(DATA_DIR, read_plan(DATA_DIR))
    assert found is not None
    return found


def owner_of(session: Session, name: str) -> str | None:
    return session.exec(
        select(OrganisationName.organisation_id).where(OrganisationName.key == name_key(name))
    ).first()


def partner_rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    with Session(engine) as session:
        return {
            str(m.__tablename__): [
                r.model_dump()
                for r in session.exec(select(m).order_by(*m.__table__.primary_key.columns))
            ]
            for m in PARTNER_TABLES
        }


# --- the catalogue against the report ---------------------------------------------------


def test_every_resource_item_names_an_organisation(plan_session):
    resources = logic_model_resources()
    rows = plan_session.exec(select(StrategyOrganisation)).all()
    mapped = {(r.strategy_id, r.resource_index) for r in rows}
    items = {(s, i) for s, texts in resources.items() for i in range(len(texts))}
    assert len(items) == 115 and len({t for ts in resources.values() for t in ts}) == 85
    assert items - mapped == set()
    assert mapped - items == set()  # no row names a position the strategy lacks
    assert len(rows) == 141


def test_resources_text_in_the_database_is_verbatim(plan_session):
    stored = {s.id: s.resources for s in plan_session.exec(select(Strategy)).all()}
    assert stored == logic_model_resources()


def test_catalogue_items_match_the_logic_models_verbatim():
    raw = yaml.safe_load((DATA_DIR / "organisations.yaml").read_text(encoding="utf-8"))
    resources = logic_model_resources()
    written = {
        sid: [items[i]["item"] for i in sorted(items)] for sid, items in raw["resources"].items()
    }
    assert written == {sid: texts for sid, texts in resources.items() if texts}


def test_mcasdv_and_mocadsv_are_one_organisation(plan_session):
    assert owner_of(plan_session, "MCASDV") == owner_of(plan_session, "MOCADSV") == "mocadsv"
    assert owner_of(plan_session, "Missouri Coalition against Domestic and Sexual Violence") == (
        "mocadsv"
    )
    central = plan_session.exec(
        select(StrategyOrganisation.organisation_id).where(
            StrategyOrganisation.strategy_id == "central.transportation",
            StrategyOrganisation.resource_index == 0,
        )
    ).all()
    assert central == ["mocadsv"]


def test_report_spellings_resolve_to_one_organisation(plan_session):
    # the report writes the apostrophe both ways, and "Public Defender(s)"
    assert owner_of(plan_session, "MO Dep't of Health") == "mo-dhss"
    assert owner_of(plan_session, "MO Dep’t of Health") == "mo-dhss"
    assert owner_of(plan_session, "Missouri Public Defenders") == "mo-public-defender"
    assert owner_of(plan_session, "Missouri  public defender") == "mo-public-defender"


def test_no_name_key_points_at_two_organisations(plan_session):
    rows = plan_session.exec(select(OrganisationName)).all()
    owners: dict[str, set[str]] = {}
    for row in rows:
        assert row.key == name_key(row.name)
        owners.setdefault(row.key, set()).add(row.organisation_id)
    assert {k: v for k, v in owners.items() if len(v) > 1} == {}
    # every organisation goes by its own name
    names = {(r.organisation_id, r.key) for r in rows}
    for org in plan_session.exec(select(Organisation)).all():
        assert (org.id, name_key(org.name)) in names


def test_every_organisation_is_named_or_documented_as_added():
    cat = catalogue()
    named = {o for items in cat.mapping.values() for ids in items.values() for o in ids}
    unnamed = [o.id for o in cat.organisations if o.id not in named and not o.added]
    assert unnamed == []


def test_organisations_serve_the_regions_that_name_them():
    plan = read_plan(DATA_DIR)
    region_of = {s.id: lm.region for lm in plan.logic_models for s in lm.strategies}
    serves = {o.id: set(o.regions) for o in catalogue().organisations}
    missing = {
        (org, region_of[sid])
        for sid, items in catalogue().mapping.items()
        for ids in items.values()
        for org in ids
        if region_of[sid] not in serves[org]
    }
    assert missing == set()


def test_statewide_bodies_serve_every_region(plan_session):
    regions = plan_session.exec(select(func.count()).select_from(OrganisationRegion)).one()
    assert regions == 250
    served = plan_session.exec(
        select(OrganisationRegion.region_id).where(OrganisationRegion.organisation_id == "mo-dmh")
    ).all()
    assert len(served) == 9


# --- loading ----------------------------------------------------------------------------


def test_load_twice_writes_nothing_the_second_time(engine):
    before = partner_rows(engine)
    writes: list[str] = []

    def watch(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            writes.append(statement)

    event.listen(engine, "before_cursor_execute", watch)
    try:
        report = load_plan(engine, DATA_DIR)
    finally:
        event.remove(engine, "before_cursor_execute", watch)
    assert writes == []
    assert report.organisations is not None
    assert sum(report.organisations.inserted.values()) == 0
    assert sum(report.organisations.updated.values()) == 0
    assert sum(report.organisations.retired.values()) == 0
    assert report.organisations.unchanged["organisation"] == 72
    assert partner_rows(engine) == before


def test_data_without_a_catalogue_loads_the_plan_alone(data_copy, new_engine):
    (data_copy / "organisations.yaml").unlink()
    engine = new_engine()
    from core.store.migrate import ensure_schema

    ensure_schema(engine)
    report = load_plan(engine, data_copy)
    assert report.organisations is None
    assert all(rows == [] for rows in partner_rows(engine).values())


# --- a bad catalogue is refused, naming the entry; nothing is written --------------------


def _edit(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def edit(data_dir: Path) -> None:
        path = data_dir / "organisations.yaml"
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(raw)
        path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), "utf-8")

    return edit


def _org(raw: dict, org_id: str) -> dict:
    return next(o for o in raw["organisations"] if o["id"] == org_id)


def _unknown_strategy(raw):
    raw["resources"]["central.no-such-strategy"] = {0: {"item": "VAC", "organisations": ["cmcac"]}}


def _index_out_of_range(raw):
    raw["resources"]["central.transportation"][4] = {"item": "VAC", "organisations": ["cmcac"]}


BAD = {
    "unknown strategy": (_unknown_strategy, "central.no-such-strategy", "unknown strategy"),
    "index out of range": (
        _index_out_of_range,
        "central.transportation",
        "no resource item at position 4",
    ),
    "unmapped item": (
        lambda raw: raw["resources"]["central.transportation"].pop(3),
        "central.transportation",
        "resource item 3 ('CMCAC') is not mapped",
    ),
    "unmapped strategy": (
        lambda raw: raw["resources"].pop("southeast.adult-shelter"),
        "southeast.adult-shelter",
        "resource item 0 ('Women’s Shelters') is not mapped",
    ),
    "item text differs": (
        lambda raw: raw["resources"]["central.transportation"][0].update(item="MOCADSV"),
        "central.transportation",
        "the item reads 'MCASDV' in logic_models/, not 'MOCADSV'",
    ),
    "unknown organisation": (
        lambda raw: raw["resources"]["central.transportation"][2].update(organisations=["vac"]),
        "central.transportation",
        "unknown organisation 'vac'",
    ),
    "duplicate name across organisations": (
        lambda raw: _org(raw, "cmcac").setdefault("names", []).append("mcasdv"),
        "cmcac",
        "'mcasdv' is also a name of 'mocadsv'",
    ),
    "duplicate spelling in one organisation": (
        lambda raw: _org(raw, "mo-dhss")["names"].append("MO Dep't of Health"),
        "mo-dhss",
        "listed twice",
    ),
    "unknown kind": (
        lambda raw: _org(raw, "true-north").update(kind="charity"),
        "true-north",
        "Input should be",
    ),
    "unknown region": (
        lambda raw: _org(raw, "true-north").update(regions=["central", "ozarks"]),
        "true-north",
        "unknown region 'ozarks'",
    ),
    "duplicate id": (
        lambda raw: raw["organisations"].append(dict(_org(raw, "cmcac"), name="Other")),
        "cmcac",
        "duplicate id",
    ),
    "website not https": (
        lambda raw: _org(raw, "true-north").update(website="javascript:alert(1)"),
        "true-north",
        "should match pattern",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_catalogue_refused_naming_the_entry(engine, data_copy, case):
    change, record, problem = BAD[case]
    _edit(change)(data_copy)
    plan = data_copy / "plan.yaml"  # a plan edit too: it must not be written either
    plan.write_text(plan.read_text("utf-8").replace("published: 2019", "published: 2020"), "utf-8")
    before = partner_rows(engine)
    with pytest.raises(PlanFileError) as caught:
        load_plan(engine, data_copy)
    err = caught.value
    assert Path(err.file) == data_copy / "organisations.yaml"
    assert err.record == record
    assert problem in err.problem
    assert str(data_copy / "organisations.yaml") in str(err)
    assert partner_rows(engine) == before
    with Session(engine) as session:
        assert session.exec(select(Plan.published)).one() == 2019
