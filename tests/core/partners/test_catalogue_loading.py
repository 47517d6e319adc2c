"""Reloading data/organisations.yaml: organisations are updated in place by id, admin-made
and merged ones are kept, none is deleted, the mapping rows of the file's strategies are
replaced; and backups carry the organisation tables."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from core import config
from core.models import (
    Organisation,
    OrganisationName,
    OrganisationRegion,
    StatusUpdate,
    StrategyOrganisation,
)
from core.partners.names import name_key
from core.plan.files import PlanFileError
from core.plan.loading import load_plan
from core.store import backup
from core.store.db import write_session


def edit_catalogue(data_dir: Path, change) -> None:
    path = data_dir / "organisations.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(raw)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), "utf-8")


def org_of(raw: dict, org_id: str) -> dict:
    return next(o for o in raw["organisations"] if o["id"] == org_id)


def add_admin_organisation(engine: Engine, org_id: str = "legal-aid-wm") -> None:
    with write_session(engine) as session:
        session.add(Organisation(id=org_id, name="Legal Aid of Western Missouri", position=99))
        for name in ("Legal Aid of Western Missouri", "LAWM"):
            session.add(OrganisationName(organisation_id=org_id, name=name, key=name_key(name)))
        session.add(OrganisationRegion(organisation_id=org_id, region_id="kansas-city"))


def links(session: Session, strategy_id: str, index: int) -> list[str]:
    return sorted(
        session.exec(
            select(StrategyOrganisation.organisation_id).where(
                StrategyOrganisation.strategy_id == strategy_id,
                StrategyOrganisation.resource_index == index,
            )
        ).all()
    )


def test_reload_updates_in_place_and_keeps_admin_organisations(engine, data_copy):
    add_admin_organisation(engine)

    def change(raw):
        org_of(raw, "true-north").update(name="True North of Columbia", kind="service provider")
        org_of(raw, "true-north")["names"] = ["True North"]
        raw["resources"]["central.mental-health"][0]["organisations"] = ["true-north", "ibhc"]

    edit_catalogue(data_copy, change)
    report = load_plan(engine, data_copy).organisations
    assert report is not None
    assert report.updated["organisation"] == 1
    assert report.inserted["organisation_name"] == 1  # the new name; the old one is kept
    assert report.inserted["strategy_organisation"] == 1
    with Session(engine) as session:
        assert session.get(Organisation, "true-north").name == "True North of Columbia"
        names = session.exec(
            select(OrganisationName.name).where(OrganisationName.organisation_id == "true-north")
        ).all()
        assert sorted(names) == ["True North", "True North of Columbia"]
        assert links(session, "central.mental-health", 0) == ["ibhc", "true-north"]
        admin = session.get(Organisation, "legal-aid-wm")
        assert (admin.name, admin.retired, admin.position) == (
            "Legal Aid of Western Missouri",
            False,
            99,
        )


def test_reload_replaces_mapping_rows_and_deletes_no_organisation(engine, data_copy):
    with write_session(engine) as session:  # an organisation with history
        update = session.exec(select(StatusUpdate)).first()
        assert update is None  # the seeded plan has none; history is the users' own
        session.add(
            StrategyOrganisation(
                strategy_id="central.transportation", resource_index=2, organisation_id="cate"
            )
        )

    def change(raw):
        raw["resources"]["central.transportation"][3]["organisations"] = ["volunteer-action-center"]

    edit_catalogue(data_copy, change)
    report = load_plan(engine, data_copy).organisations
    assert report is not None
    assert report.retired["strategy_organisation"] == 2  # the stray row and CMCAC's
    with Session(engine) as session:
        assert links(session, "central.transportation", 2) == ["volunteer-action-center"]
        assert links(session, "central.transportation", 3) == ["volunteer-action-center"]
        cmcac = session.get(Organisation, "cmcac")  # named by no item now, but kept
        assert cmcac is not None and cmcac.retired is False


def test_reload_keeps_retired_and_merged_organisations(engine, data_copy):
    with write_session(engine) as session:
        halo, hoyleton = session.get(Organisation, "halo"), session.get(Organisation, "novate")
        halo.retired = True
        hoyleton.retired, hoyleton.merged_into_id = True, "hoyleton"
        # what a merge does: names and links move to the survivor
        for row in session.exec(
            select(OrganisationName).where(OrganisationName.organisation_id == "novate")
        ):
            row.organisation_id = "hoyleton"
            session.add(row)
        for link in session.exec(  # each item naming NOVATE names Hoyleton too
            select(StrategyOrganisation).where(StrategyOrganisation.organisation_id == "novate")
        ):
            session.delete(link)
    report = load_plan(engine, data_copy).organisations
    assert report is not None
    assert sum(report.inserted.values()) + sum(report.retired.values()) == 0
    with Session(engine) as session:
        assert session.get(Organisation, "halo").retired is True
        novate = session.get(Organisation, "novate")
        assert (novate.retired, novate.merged_into_id) == (True, "hoyleton")
        assert links(session, "metro-east.crisis-services", 5) == ["halo", "hoyleton"]
        assert not session.exec(
            select(StrategyOrganisation).where(StrategyOrganisation.organisation_id == "novate")
        ).all()


def test_reload_refuses_a_name_another_organisation_holds(engine, data_copy):
    add_admin_organisation(engine)
    edit_catalogue(data_copy, lambda raw: org_of(raw, "true-north").update(names=["lawm"]))
    with pytest.raises(PlanFileError) as caught:
        load_plan(engine, data_copy)
    assert caught.value.record == "true-north"
    assert "'lawm' is already a name of the organisation 'legal-aid-wm'" in str(caught.value)
    with Session(engine) as session:  # the transaction rolled back
        assert session.get(Organisation, "true-north").name == "True North"


# --- backups ----------------------------------------------------------------------------


@pytest.fixture
def backup_key(monkeypatch) -> None:
    monkeypatch.setenv("TRACKER_BACKUP_KEY", "k" * 40)
    config.get_settings.cache_clear()


PARTNERS = ("organisation", "organisation_name", "organisation_region", "strategy_organisation")


@pytest.mark.usefixtures("backup_key")
def test_backup_holds_the_organisation_tables_and_restores_them(engine, new_engine):
    with write_session(engine) as session:  # merged into a row that sorts after it
        halo = session.get(Organisation, "halo")
        halo.retired, halo.merged_into_id = True, "novate"
        session.add(halo)
    data = backup.backup(engine)
    assert {"organisation": 72, "organisation_name": 118}.items() <= data["row_counts"].items()
    assert data["row_counts"]["organisation_region"] == 250
    assert data["row_counts"]["strategy_organisation"] == 141
    target = new_engine()
    backup.restore(target, backup.loads(backup.dumps(data)))
    with Session(engine) as a, Session(target) as b:
        for model in (Organisation, OrganisationName, OrganisationRegion, StrategyOrganisation):
            order = list(model.__table__.primary_key.columns)
            rows_a = [r.model_dump() for r in a.exec(select(model).order_by(*order))]
            rows_b = [r.model_dump() for r in b.exec(select(model).order_by(*order))]
            assert rows_a == rows_b
        merged = b.exec(select(Organisation).where(col(Organisation.merged_into_id).is_not(None)))
        assert [(o.id, o.merged_into_id) for o in merged] == [("halo", "novate")]


def test_restore_orders_self_references_and_survives_cycles():
    table = Organisation.__table__
    rows = [
        {"id": "a", "merged_into_id": "c"},
        {"id": "b", "merged_into_id": None},
        {"id": "c", "merged_into_id": "b"},
        {"id": "x", "merged_into_id": "y"},  # a cycle (refused elsewhere) keeps every row
        {"id": "y", "merged_into_id": "x"},
        {"id": "z", "merged_into_id": "z"},
    ]
    ordered = [r["id"] for r in backup._referenced_first(table, rows)]
    assert sorted(ordered) == ["a", "b", "c", "x", "y", "z"]
    assert ordered.index("b") < ordered.index("c") < ordered.index("a")


def test_reload_keeps_what_admins_changed_on_the_organisations_page(engine, data_copy):
    """A link an admin added or removed, and a rename, stand after `data/` is loaded
    again; strategies and organisations no admin touched still follow the file."""
    from core.models import Role
    from core.partners import editing, linking
    from core.people.permissions import Actor

    admin = Actor(user_id=None, username="ada", display_name="Ada", role=Role.ADMIN)
    with write_session(engine) as session:
        linking.link_strategy(
            session=session,
            actor=admin,
            strategy_id="central.transportation",
            resource_index=2,
            organisation_id="cate",
            reason="CATE leads this in Central",
        )
        editing.rename(
            session=session,
            actor=admin,
            organisation_id="cmcac",
            name="Central Missouri Community Action (CMCA)",
            reason="their current name",
        )
    load_plan(engine, data_copy)
    with Session(engine) as session:
        assert "cate" in links(session, "central.transportation", 2)
        cmcac = session.get(Organisation, "cmcac")
        assert cmcac is not None and cmcac.name == "Central Missouri Community Action (CMCA)"
        assert links(session, "kansas-city.mental-health", 0)  # untouched: still the file's
