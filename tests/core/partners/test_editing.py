"""Curating organisations (core/partners/editing.py, linking.py): add, rename, names,
kind/regions/website, merge, retire and restore, strategy links; every change in
the change log, every refusal a clear message with nothing written. Both backends."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from core.errors import TrackerError
from core.models import (
    ChangeAction,
    Organisation,
    OrganisationName,
    OrganisationRegion,
    PlanChange,
    Role,
    Strategy,
    StrategyOrganisation,
    User,
)
from core.partners import editing, linking
from core.partners.editing import DuplicateOrganisationName, StaleOrganisationEdit
from core.people import accounts
from core.people.permissions import Actor, PermissionDenied
from core.store.db import write_session

ADMIN = Actor(user_id=None, username="ada", display_name="Ada", role=Role.ADMIN)
VIEWER = Actor(user_id=None, username="val", display_name="Val", role=Role.VIEWER)
WHY = "curating the partners"


def state(engine: Engine) -> dict[str, list[Any]]:
    """Everything an organisation change may write, to check that nothing was."""
    with Session(engine) as s:
        return {
            m.__name__: sorted(str(r.model_dump()) for r in s.exec(select(m)).all())
            for m in (
                Organisation,
                OrganisationName,
                OrganisationRegion,
                StrategyOrganisation,
                PlanChange,
                User,
            )
        }


def act(engine: Engine, change, **kw):
    """Make a change in one transaction; returns a copy of what it gave back."""
    with write_session(engine) as s:
        result = change(session=s, actor=kw.pop("actor", ADMIN), reason=kw.pop("reason", WHY), **kw)
        return None if result is None else type(result).model_validate(result.model_dump())


def refused(engine: Engine, change, match: str, kw: dict, error=TrackerError) -> str:
    """Run a change that must be refused (message matching `match`); assert that it
    wrote nothing."""
    kw = dict(kw)
    before = state(engine)
    with pytest.raises(error, match=match) as caught:
        act(engine, change, **kw)
    assert state(engine) == before
    return str(caught.value)


def log(engine: Engine, org_id: str) -> list[PlanChange]:
    with Session(engine) as s:
        return list(
            s.exec(
                select(PlanChange)
                .where(PlanChange.subject_kind == "organisation", PlanChange.subject_id == org_id)
                .order_by(PlanChange.id)
            ).all()
        )


def get(engine: Engine, org_id: str) -> Organisation:
    with Session(engine) as s:
        org = s.get(Organisation, org_id)
        assert org is not None
        return org


def names(engine: Engine, org_id: str) -> list[str]:
    with Session(engine) as s:
        return editing.names_of(s, org_id)


def version(engine: Engine, org_id: str) -> str:
    with Session(engine) as s:
        return editing.version_of(s, org_id)


def a_strategy(engine: Engine) -> Strategy:
    with Session(engine) as s:
        strategy = s.exec(select(Strategy).where(Strategy.id == "state-housing.ht-taskforce")).one()
        assert strategy.resources
        return strategy


@pytest.fixture
def orgs(engine: Engine) -> Engine:
    """Two organisations: ozark (spelling OSN, Southwest) and prairie (PLA, Kansas City)."""
    act(
        engine,
        editing.add_organisation,
        name="Ozark Survivor Network",
        kind="service provider",
        names=["OSN"],
        region_ids=["southwest"],
        website="https://osn.example.org",
    )
    act(
        engine,
        editing.add_organisation,
        name="Prairie Legal Aid",
        kind="court or legal",
        names=["PLA"],
        region_ids=["kansas-city"],
    )
    return engine


# --- add ---------------------------------------------------------------------------


def test_add_organisation_writes_names_regions_and_log(orgs):
    org = get(orgs, "ozark-survivor-network")
    assert (org.name, org.kind, org.website, org.retired) == (
        "Ozark Survivor Network",
        "service provider",
        "https://osn.example.org",
        False,
    )
    assert names(orgs, org.id) == ["OSN", "Ozark Survivor Network"]
    with Session(orgs) as s:
        assert editing.regions_of(s, org.id) == ["southwest"]
        keys = s.exec(
            select(OrganisationName.key).where(OrganisationName.organisation_id == org.id)
        )
        assert sorted(keys) == ["osn", "ozark survivor network"]
    [entry] = log(orgs, org.id)
    assert (entry.action, entry.changed_by, entry.reason) == ("created", "ada", WHY)
    assert entry.after is not None and entry.after["names"] == ["OSN", "Ozark Survivor Network"]


@pytest.mark.parametrize(
    ("kw", "error", "match"),
    [
        ({"name": " ozark   SURVIVOR network "}, DuplicateOrganisationName, "already a name of"),
        ({"name": "Other", "names": ["osn"]}, DuplicateOrganisationName, "already a name of"),
        ({"name": "Other", "names": ["OTHER"]}, DuplicateOrganisationName, "given twice"),
        ({"name": "Other", "kind": "club"}, TrackerError, "not a kind of organisation"),
        ({"name": "Other", "region_ids": ["atlantis"]}, TrackerError, "no region 'atlantis'"),
        ({"name": "   "}, TrackerError, "cannot be empty"),
        ({"name": "Bad\x07name"}, TrackerError, "control character"),
        ({"name": "Other", "website": "ftp://x.org"}, TrackerError, "http:// or https://"),
        ({"name": "Other", "website": "https://"}, TrackerError, "http:// or https://"),
        ({"name": "Other", "reason": " "}, TrackerError, "Give a reason"),
        ({"name": "Other", "actor": VIEWER}, PermissionDenied, "Only admins"),
    ],
)
def test_add_refusals_write_nothing(orgs, kw, error, match):
    refused(orgs, editing.add_organisation, match, {"kind": "funder"} | kw, error)


# --- rename and names ------------------------------------------------------------------


def test_rename_keeps_old_name_as_spelling(orgs):
    seen = version(orgs, "prairie-legal-aid")
    entry = act(
        orgs,
        editing.rename,
        organisation_id="prairie-legal-aid",
        name="Prairie Legal Services",
        expected_version=seen,
    )
    assert (entry.action, entry.before, entry.after) == (
        "edited",
        {"name": "Prairie Legal Aid"},
        {"name": "Prairie Legal Services"},
    )
    assert get(orgs, "prairie-legal-aid").name == "Prairie Legal Services"
    assert names(orgs, "prairie-legal-aid") == [
        "PLA",
        "Prairie Legal Aid",
        "Prairie Legal Services",
    ]
    # a spelling of its own may become its name
    act(orgs, editing.rename, organisation_id="prairie-legal-aid", name="PLA")
    assert names(orgs, "prairie-legal-aid") == [
        "PLA",
        "Prairie Legal Aid",
        "Prairie Legal Services",
    ]


def test_rename_refusals_write_nothing(orgs):
    prairie = {"organisation_id": "prairie-legal-aid"}
    refused(orgs, editing.rename, "already a name of Ozark", prairie | {"name": "osn"})
    refused(orgs, editing.rename, "There is no organisation", {"organisation_id": "x", "name": "X"})
    seen = version(orgs, "prairie-legal-aid")
    act(orgs, editing.add_name, name="Prairie LA", **prairie)
    stale = prairie | {"name": "New", "expected_version": seen}
    message = refused(orgs, editing.rename, "after you opened", stale, StaleOrganisationEdit)
    assert "Nothing was saved" in message


def test_add_and_remove_a_spelling(orgs):
    entry = act(orgs, editing.add_name, organisation_id="ozark-survivor-network", name="O.S.N.")
    assert entry.before == {"names": ["OSN", "Ozark Survivor Network"]}
    assert entry.after == {"names": ["O.S.N.", "OSN", "Ozark Survivor Network"]}
    entry = act(orgs, editing.remove_name, organisation_id="ozark-survivor-network", name="osn")
    assert entry.after == {"names": ["O.S.N.", "Ozark Survivor Network"]}
    assert [e.action for e in log(orgs, "ozark-survivor-network")] == [
        "created",
        "edited",
        "edited",
    ]


def test_name_refusals_write_nothing(orgs):
    ozark = {"organisation_id": "ozark-survivor-network"}
    for change, name, match in [
        (editing.add_name, "pla", "already a name of Prairie"),
        (editing.add_name, "OSN", "already a name of Ozark"),
        (editing.add_name, "a\x00b", "NUL"),
        (editing.remove_name, "Ozark Survivor Network", "the organisation's name"),
        (editing.remove_name, "PLA", "not one of"),
    ]:
        refused(orgs, change, match, ozark | {"name": name})


# --- kind, regions, website --------------------------------------------------------


def test_edit_kind_regions_and_website(orgs):
    entry = act(
        orgs,
        editing.edit_organisation,
        organisation_id="ozark-survivor-network",
        changes={"kind": "Coalition", "region_ids": ["central", "southwest"], "website": ""},
    )
    assert entry.before == {
        "kind": "service provider",
        "region_ids": ["southwest"],
        "website": "https://osn.example.org",
    }
    assert entry.after == {
        "kind": "coalition",
        "region_ids": ["central", "southwest"],
        "website": None,
    }
    org = get(orgs, "ozark-survivor-network")
    assert (org.kind, org.website) == ("coalition", None)
    before = state(orgs)
    assert (
        act(orgs, editing.edit_organisation, organisation_id=org.id, changes={"kind": "coalition"})
        is None
    )
    assert state(orgs) == before


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"kind": "club"}, "not a kind"),
        ({"region_ids": ["southwest", "mars"]}, "no region 'mars'"),
        ({"website": "javascript:alert(1)"}, "http:// or https://"),
        ({"website": "https://a b.org"}, "http:// or https://"),
        ({"name": "X"}, "cannot be edited here"),
    ],
)
def test_edit_refusals_write_nothing(orgs, changes, match):
    ozark = {"organisation_id": "ozark-survivor-network"}
    refused(orgs, editing.edit_organisation, match, ozark | {"changes": changes})


# --- retire and restore ------------------------------------------------------------


def test_retire_and_restore(orgs):
    entry = act(orgs, editing.set_retired, organisation_id="prairie-legal-aid", retired=True)
    assert (entry.action, entry.after) == ("retired", {"retired": True})
    assert get(orgs, "prairie-legal-aid").retired
    retire = {"organisation_id": "prairie-legal-aid", "retired": True}
    refused(orgs, editing.set_retired, "already retired", retire)
    entry = act(orgs, editing.set_retired, organisation_id="prairie-legal-aid", retired=False)
    assert (entry.action, entry.after) == ("restored", {"retired": False})
    assert not get(orgs, "prairie-legal-aid").retired


# --- strategy links ----------------------------------------------------------------


def test_link_and_unlink_a_resource_item(orgs):
    strategy = a_strategy(orgs)
    act(
        orgs,
        linking.link_strategy,
        strategy_id=strategy.id,
        resource_index=0,
        organisation_id="ozark-survivor-network",
    )
    with Session(orgs) as s:
        assert editing.links_of(s, "ozark-survivor-network") == [(strategy.id, 0)]
    entry = log(orgs, "ozark-survivor-network")[-1]
    assert entry.after == {
        "strategy_id": strategy.id,
        "resource_index": 0,
        "resource": strategy.resources[0],
    }
    act(
        orgs,
        linking.unlink_strategy,
        strategy_id=strategy.id,
        resource_index=0,
        organisation_id="ozark-survivor-network",
    )
    with Session(orgs) as s:
        assert editing.links_of(s, "ozark-survivor-network") == []
    assert log(orgs, "ozark-survivor-network")[-1].before == {
        "strategy_id": strategy.id,
        "resource_index": 0,
    }


def test_link_refusals_write_nothing(orgs):
    strategy = a_strategy(orgs)
    ozark = "ozark-survivor-network"
    link = {"strategy_id": strategy.id, "resource_index": 0, "organisation_id": ozark}
    act(orgs, linking.link_strategy, **link)
    refused(orgs, linking.link_strategy, "already names", link)
    refused(orgs, linking.link_strategy, "there is no item 100", link | {"resource_index": 99})
    refused(orgs, linking.link_strategy, "no strategy", link | {"strategy_id": "nowhere"})
    prairie = {"organisation_id": "prairie-legal-aid"}
    refused(orgs, linking.unlink_strategy, "is not linked", link | prairie)
    act(orgs, editing.set_retired, retired=True, **prairie)
    refused(orgs, linking.link_strategy, "is retired; restore it first", link | prairie)


def test_user_link_refused_for_a_retired_organisation(orgs):
    with write_session(orgs) as s:
        user = accounts.create_user(session=s, username="lee", role="lead", password=None)
        accounts.set_organisation(session=s, user=user, organisation_id="prairie-legal-aid")
    act(orgs, editing.set_retired, organisation_id="prairie-legal-aid", retired=True)
    before = state(orgs)
    for org_id, match in [("prairie-legal-aid", "is retired"), ("nobody", "no organisation")]:
        with pytest.raises(TrackerError, match=match), write_session(orgs) as s:
            user = accounts.require_user(session=s, username="lee")
            accounts.set_organisation(session=s, user=user, organisation_id=org_id)
        assert state(orgs) == before


# --- merge -------------------------------------------------------------------------


def test_merge_moves_names_links_users_and_regions(orgs):
    strategy = a_strategy(orgs)
    act(
        orgs,
        linking.link_strategy,
        strategy_id=strategy.id,
        resource_index=0,
        organisation_id="ozark-survivor-network",
    )
    with write_session(orgs) as s:
        user = accounts.create_user(session=s, username="lee", role="lead", password=None)
        accounts.set_organisation(session=s, user=user, organisation_id="ozark-survivor-network")
    survivor = act(
        orgs,
        linking.merge,
        organisation_id="ozark-survivor-network",
        into_id="prairie-legal-aid",
        expected_version=version(orgs, "ozark-survivor-network"),
        expected_into_version=version(orgs, "prairie-legal-aid"),
    )
    assert survivor.id == "prairie-legal-aid"
    merged = get(orgs, "ozark-survivor-network")
    assert (merged.retired, merged.merged_into_id, merged.name) == (
        True,
        "prairie-legal-aid",
        "Ozark Survivor Network",
    )
    assert names(orgs, merged.id) == []
    assert names(orgs, "prairie-legal-aid") == [
        "OSN",
        "Ozark Survivor Network",
        "PLA",
        "Prairie Legal Aid",
    ]
    with Session(orgs) as s:
        assert editing.links_of(s, "prairie-legal-aid") == [(strategy.id, 0)]
        assert editing.regions_of(s, "prairie-legal-aid") == ["kansas-city", "southwest"]
        lee = accounts.require_user(session=s, username="lee")
        assert lee.organisation_id == "prairie-legal-aid"
    [*_, retired] = log(orgs, merged.id)
    assert (retired.action, retired.after) == ("retired", {"merged_into": "prairie-legal-aid"})
    [*_, edited] = log(orgs, "prairie-legal-aid")
    assert edited.action == ChangeAction.EDITED
    assert edited.after is not None
    assert (edited.after["merged_from"], edited.after["strategy_links_moved"]) == (merged.id, 1)
    assert edited.after["users_moved"] == 1
    # the merged organisation's names now point at the survivor: a new one is refused
    again = {"name": "Ozark Survivor Network", "kind": "funder"}
    refused(orgs, editing.add_organisation, "already a name of Prairie", again)


def test_merge_keeps_one_link_when_both_name_the_item(orgs):
    strategy = a_strategy(orgs)
    item = {"strategy_id": strategy.id, "resource_index": 0}
    for org_id in ("ozark-survivor-network", "prairie-legal-aid"):
        act(orgs, linking.link_strategy, organisation_id=org_id, **item)
    act(orgs, linking.merge, organisation_id="ozark-survivor-network", into_id="prairie-legal-aid")
    with Session(orgs) as s:
        rows = s.exec(
            select(StrategyOrganisation.organisation_id).where(
                StrategyOrganisation.strategy_id == strategy.id,
                StrategyOrganisation.resource_index == 0,
                col(StrategyOrganisation.organisation_id).in_(
                    ["ozark-survivor-network", "prairie-legal-aid"]
                ),
            )
        ).all()
    assert rows == ["prairie-legal-aid"]


def test_merge_refusals_write_nothing(orgs):
    ozark, prairie = "ozark-survivor-network", "prairie-legal-aid"
    merge = linking.merge
    refused(orgs, merge, "into itself", {"organisation_id": ozark, "into_id": ozark})
    refused(orgs, merge, "no organisation", {"organisation_id": ozark, "into_id": "nobody"})
    seen = version(orgs, ozark)
    act(orgs, editing.add_name, organisation_id=ozark, name="Ozarks SN")
    stale = {"organisation_id": ozark, "into_id": prairie, "expected_version": seen}
    refused(orgs, merge, "after you opened the form", stale, StaleOrganisationEdit)
    act(orgs, editing.set_retired, organisation_id=prairie, retired=True)
    refused(
        orgs, merge, "is retired; restore it first", {"organisation_id": ozark, "into_id": prairie}
    )
    act(orgs, editing.set_retired, organisation_id=prairie, retired=False)
    act(orgs, editing.add_organisation, name="Third Org", kind="funder")
    act(orgs, merge, organisation_id=prairie, into_id=ozark)
    # prairie is merged into ozark: merging ozark into prairie would go round
    refused(orgs, merge, "would make a cycle", {"organisation_id": ozark, "into_id": prairie})
    into_merged = {"organisation_id": "third-org", "into_id": prairie}
    refused(orgs, merge, "was merged into 'ozark-survivor-network'", into_merged)
    refused(orgs, merge, "already merged", {"organisation_id": prairie, "into_id": "third-org"})
    restore = {"organisation_id": prairie, "retired": False}
    refused(orgs, editing.set_retired, "cannot be restored", restore)
    link = {"strategy_id": a_strategy(orgs).id, "resource_index": 0, "organisation_id": prairie}
    refused(orgs, linking.link_strategy, "was merged into", link)


def test_viewer_is_refused_every_change(orgs):
    ozark = "ozark-survivor-network"
    for change, kw in [
        (editing.rename, {"organisation_id": ozark, "name": "X"}),
        (editing.add_name, {"organisation_id": ozark, "name": "X"}),
        (editing.remove_name, {"organisation_id": ozark, "name": "OSN"}),
        (editing.edit_organisation, {"organisation_id": ozark, "changes": {"kind": "funder"}}),
        (editing.set_retired, {"organisation_id": ozark, "retired": True}),
        (linking.merge, {"organisation_id": ozark, "into_id": "prairie-legal-aid"}),
    ]:
        refused(orgs, change, "Only admins", kw | {"actor": VIEWER}, PermissionDenied)


# --- found in review ---------------------------------------------------------------


def test_a_merged_organisation_takes_no_more_names_or_edits(orgs):
    """Its names are its survivor's now: a spelling added to it stayed on the dead
    organisation, and the survivor could then not take it."""
    act(orgs, linking.merge, organisation_id="ozark-survivor-network", into_id="prairie-legal-aid")
    merged = {"organisation_id": "ozark-survivor-network"}
    for change, kw in (
        (editing.rename, {"name": "Ozark Network"}),
        (editing.add_name, {"name": "Ozark SN"}),
        (editing.remove_name, {"name": "OSN"}),
        (editing.edit_organisation, {"changes": {"kind": "funder"}}),
    ):
        message = refused(orgs, change, "was merged into", {**merged, **kw})
        assert "prairie-legal-aid" in message


def _cell(engine: Engine, strategy_id: str) -> list[str]:
    with Session(engine) as s:
        strategy = s.get(Strategy, strategy_id)
        assert strategy is not None
        return list(strategy.resources)


def _links(engine: Engine, strategy_id: str, org_id: str) -> list[int]:
    with Session(engine) as s:
        return sorted(
            s.exec(
                select(StrategyOrganisation.resource_index).where(
                    StrategyOrganisation.strategy_id == strategy_id,
                    StrategyOrganisation.organisation_id == org_id,
                )
            ).all()
        )


def test_links_follow_their_items_when_the_resources_cell_is_edited(orgs):
    """Links point at items by position: removing the first item moved every link onto
    the next item (or past the end). Now each moves with its item; one whose item is
    gone is removed."""
    from core.plan.editing import edit_item

    strategy_id = "state-housing.advocacy-partners"  # MCASDV, HT Taskforce, CATE
    cell = _cell(orgs, strategy_id)
    act(
        orgs,
        linking.link_strategy,
        organisation_id="ozark-survivor-network",
        strategy_id=strategy_id,
        resource_index=0,
    )
    act(
        orgs,
        linking.link_strategy,
        organisation_id="prairie-legal-aid",
        strategy_id=strategy_id,
        resource_index=1,
    )
    act(
        orgs,
        edit_item,
        kind="strategy",
        item_id=strategy_id,
        changes={"resources": [*cell[1:], "A new partner"]},
    )
    assert _links(orgs, strategy_id, "prairie-legal-aid") == [0]  # moved with its words
    assert _links(orgs, strategy_id, "ozark-survivor-network") == []  # its item is gone


def test_a_link_form_drawn_before_the_cell_changed_is_refused(orgs):
    """The form names the item by its words: saved after someone edited the cell, it
    would have linked whatever item now sits at that position."""
    strategy_id = a_strategy(orgs).id
    cell = _cell(orgs, strategy_id)
    message = refused(
        orgs,
        linking.link_strategy,
        "changed the resources",
        {
            "organisation_id": "ozark-survivor-network",
            "strategy_id": strategy_id,
            "resource_index": 0,
            "resource": cell[0] + " (as it was)",
        },
        error=StaleOrganisationEdit,
    )
    assert cell[0] in message
