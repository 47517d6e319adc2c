"""Partners page and the organisation filter (AppTest): the page says so when no
organisation is recorded; ?org= picks the organisation; the sidebar's Organisation
filter narrows the Overview; a member's "My organisation's work" sets it."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, delete, select
from streamlit.testing.v1 import AppTest

from core.models import (
    Organisation,
    OrganisationName,
    OrganisationRegion,
    StrategyOrganisation,
    User,
)
from core.progress import queries
from core.progress.filters import OutcomeFilter
from core.store.db import write_session

from .conftest import PASSWORD, by_label, make_user, shown, texts
from .test_updates import sign_in

PAGE = "pages/partners.py"
PICK = "partners_org_pick"
TASKFORCE = "state-housing.ht-taskforce"
LEGAL = "southwest.legal-services"


def clear_organisations(engine: Engine) -> None:
    """The seeded plan's organisations out, so a test states its own."""
    with write_session(engine) as session:
        for table in (OrganisationName, OrganisationRegion, StrategyOrganisation, Organisation):
            session.exec(delete(table))  # type: ignore[call-overload]


@pytest.fixture
def orgs(db: Engine) -> Engine:
    """CATE (named in two strategies), a coalition sharing one of them (its name is
    markdown that must show literally), and KC CASE, named in none."""
    clear_organisations(db)
    with write_session(db) as session:
        session.add_all(
            [
                Organisation(id="cate", name="CATE", kind="coalition", position=1),
                Organisation(id="mco", name="MO *Coalition*", kind="coalition", position=2),
                Organisation(id="kc", name="KC CASE", kind="service provider", position=3),
            ]
        )
        session.flush()
        for strategy, org in [(TASKFORCE, "cate"), (LEGAL, "cate"), (TASKFORCE, "mco")]:
            session.add(
                StrategyOrganisation(strategy_id=strategy, resource_index=0, organisation_id=org)
            )
    return db


def partners_page(new_app, **query: str) -> AppTest:
    at = new_app()
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_page_without_organisations_says_so(db, new_app) -> None:
    clear_organisations(db)
    at = partners_page(new_app)

    assert texts(at.title) == ["Partners"]
    assert "No organisations are recorded yet." in texts(at.info)


@pytest.mark.backends("sqlite", "postgresql")
def test_page_runs_on_the_plan_s_organisations(db, new_app) -> None:
    with Session(db) as session:
        some = session.exec(select(StrategyOrganisation.organisation_id)).first()
    assert some is not None
    at = partners_page(new_app, org=some)

    assert at.selectbox(key=PICK).value == some
    assert len(at.get("vega_lite_chart")) == 2
    assert not at.error


@pytest.mark.backends("sqlite", "postgresql")
def test_a_link_with_org_picks_the_organisation(orgs, new_app) -> None:
    at = partners_page(new_app, org="cate")

    assert at.selectbox(key=PICK).value == "cate"
    assert "CATE" in texts(at.subheader)
    body = texts(at.markdown)
    assert any(t.startswith("CATE is named in 2 strategies across 2 regions:") for t in body)
    assert (
        "2 organisations named in 2 strategies; 1 pair of organisations shares at least one."
        in body
    )
    assert "No one from CATE has written a status update, comment or measure value yet." in texts(
        at.info
    )
    assert len(at.get("vega_lite_chart")) == 2  # the network and the matrix (tabs)
    assert not at.error


def test_picking_an_organisation_writes_the_link(orgs, new_app) -> None:
    at = partners_page(new_app)
    assert at.selectbox(key=PICK).value is None

    at.selectbox(key=PICK).select("mco").run()

    assert not at.exception, [e.message for e in at.exception]
    assert at.query_params["org"] == "mco"
    assert at.session_state["f_org"] == ["mco"]
    # Text people typed shows literally: the asterisks are escaped.
    assert r"MO \*Coalition\*" in [s.value for s in at.subheader]


def test_sidebar_organisation_filter_narrows_the_overview(orgs, new_app) -> None:
    with Session(orgs) as session:
        every = queries.completion(session, OutcomeFilter())[0]
        cate = queries.completion(session, OutcomeFilter(organisations=("cate",)))[0]
    assert 0 < cate["active"] < every["active"]
    at = new_app().run()

    at.sidebar.multiselect(key="f_org").set_value(["cate"]).run()

    assert not at.exception, [e.message for e in at.exception]
    assert at.query_params["org"] == "cate"
    assert "Organisation: CATE" in shown(at.caption[0].value)
    completion = by_label(at.metric, "Completion")
    assert f"{cate['done']} done ÷ {cate['active']} active" in completion.help


def test_my_organisation_s_work_sets_the_filter(orgs, new_app) -> None:
    user_id = make_user(orgs, "kim", "viewer")
    with write_session(orgs) as session:
        user = session.get(User, user_id)
        assert user is not None
        user.organisation_id = "kc"
    at = new_app().run()
    assert "My organisation's work" not in [b.label for b in at.sidebar.button]
    sign_in(at, "kim", PASSWORD)

    by_label(at.sidebar.button, "My organisation's work").click().run()

    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["f_org"] == ["kc"]
    assert at.query_params["org"] == "kc"
    assert "Showing your organisation's work: KC CASE." in texts(at.sidebar.caption)


def test_a_link_to_a_merged_organisation_opens_its_survivor(orgs, new_app) -> None:
    """A link shared before a merge (`?org=<merged id>`) showed the whole plan, the
    organisation silently dropped; it now opens the one it was merged into."""
    with write_session(orgs) as session:
        mco = session.get(Organisation, "mco")
        assert mco is not None
        mco.merged_into_id, mco.retired = "cate", True
        session.add(mco)
    at = partners_page(new_app, org="mco")

    assert at.selectbox(key=PICK).value == "cate"
    assert at.session_state["f_org"] == ["cate"]


def test_a_retired_organisation_is_not_in_the_network(orgs, new_app) -> None:
    with write_session(orgs) as session:
        mco = session.get(Organisation, "mco")
        assert mco is not None
        mco.retired = True
        session.add(mco)
    at = partners_page(new_app)

    body = texts(at.markdown)
    assert any(t.startswith("1 organisation named in 2 strategies") for t in body), body
