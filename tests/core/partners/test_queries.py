"""Who works on what (core.partners.queries): an organisation's outcomes and activity,
merged organisations counted as their survivor, the collaboration network, and per
region and month how many organisations contribute, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, delete, select

from core.models import (
    Comment,
    MeasureValue,
    Organisation,
    OrganisationName,
    OrganisationRegion,
    StatusUpdate,
    StrategyOrganisation,
    User,
)
from core.partners import queries

TASKFORCE = "state-housing.ht-taskforce"  # State
LEGAL = "southwest.legal-services"  # Southwest
SW_SHELTER = "southwest.minor-shelter"
SW_OUTCOME = "southwest.legal-services.short.1"
STATE_OUTCOME = "state-housing.ht-taskforce.short.1"
SW_MEASURE = "southwest.survivors-served"  # a region's measure (no outcome, no strategy)


def clear_organisations(session: Session) -> None:
    """The seeded plan's organisations out, so each test states its own."""
    for table in (OrganisationName, OrganisationRegion, StrategyOrganisation, Organisation):
        session.exec(delete(table))  # type: ignore[call-overload]
    session.flush()


def when(month: int, day: int = 3) -> datetime:
    return datetime(2021, month, day, 15, 0, tzinfo=UTC)


@pytest.fixture
def partners(session: Session) -> Session:
    """Four organisations: CATE and the coalition share two strategies; MOCADSV was
    merged into the coalition (its link and activity count as the coalition's); a
    generic group shares a strategy with CATE."""
    clear_organisations(session)
    session.add_all(
        [
            Organisation(id="cate", name="CATE", kind="coalition", position=1),
            Organisation(id="mcasdv", name="MO Coalition", kind="coalition", position=2),
            Organisation(id="dsv", name="Local DSV agencies", kind="generic group", position=3),
            Organisation(id="burrell", name="Burrell", kind="health provider", position=4),
        ]
    )
    session.flush()
    session.add(
        Organisation(
            id="mocadsv", name="MOCADSV", kind="coalition", retired=True, merged_into_id="mcasdv"
        )
    )
    session.flush()
    for strategy, org in [
        (TASKFORCE, "cate"),
        (TASKFORCE, "mcasdv"),
        (LEGAL, "cate"),
        (LEGAL, "mocadsv"),  # through the merge: the coalition's
        (LEGAL, "dsv"),
        (SW_SHELTER, "burrell"),
    ]:
        session.add(
            StrategyOrganisation(strategy_id=strategy, resource_index=0, organisation_id=org)
        )
    session.commit()
    return session


def _status_update(outcome: str, org: str | None, at: datetime) -> StatusUpdate:
    return StatusUpdate(
        outcome_id=outcome,
        changed_at=at,
        changed_by="ada",
        old_status="Not started",
        new_status="In progress",
        organisation_id=org,
    )


@pytest.fixture
def activity_rows(partners: Session) -> Session:
    s = partners
    s.add_all(
        [
            _status_update(SW_OUTCOME, "cate", when(3)),
            _status_update(SW_OUTCOME, "mocadsv", when(3, 9)),  # the coalition's
            _status_update(STATE_OUTCOME, "mcasdv", when(3, 10)),
            _status_update(STATE_OUTCOME, None, when(3, 11)),  # no organisation: not counted
            _status_update(STATE_OUTCOME, "cate", when(4)),
        ]
    )
    s.add(
        Comment(
            outcome_id=SW_OUTCOME,
            author="ada",
            created_at=when(4),
            body="hi",
            organisation_id="burrell",
        )
    )
    s.add(
        Comment(
            outcome_id=SW_OUTCOME,
            author="ada",
            created_at=when(4),
            removed_at=when(4, 5),
            organisation_id="dsv",
        )
    )
    s.add(
        MeasureValue(
            measure_id=SW_MEASURE,
            value=3,
            as_of=date(2021, 5, 1),
            recorded_by="ada",
            recorded_at=when(5),
            organisation_id="mocadsv",
        )
    )
    s.commit()
    return s


def test_survivors_follow_the_merge_chain(partners: Session) -> None:
    partners.add(Organisation(id="old", name="Old name", merged_into_id="mocadsv", retired=True))
    partners.commit()

    survivors = queries.survivors(partners)

    assert survivors["old"] == survivors["mocadsv"] == survivors["mcasdv"] == "mcasdv"
    assert survivors["cate"] == "cate"
    assert set(queries.merged_ids(partners, "mcasdv")) == {"mcasdv", "mocadsv", "old"}
    assert queries.resolve(partners, "old") == "mcasdv"
    assert queries.resolve(partners, "atlantis") is None


def test_organisations_leave_out_merged_ones_and_generic_on_request(partners: Session) -> None:
    every = queries.organisations(partners)
    named = queries.organisations(partners, include_generic=False)

    assert list(every["organisation_id"]) == ["cate", "mcasdv", "dsv", "burrell"]
    assert list(named["organisation_id"]) == ["cate", "mcasdv", "burrell"]


def test_links_count_a_merged_organisation_as_its_survivor(partners: Session) -> None:
    links = queries.links(partners)

    pairs = set(zip(links["organisation_id"], links["strategy_id"], strict=True))
    assert pairs == {
        ("cate", TASKFORCE),
        ("mcasdv", TASKFORCE),
        ("cate", LEGAL),
        ("mcasdv", LEGAL),
        ("burrell", SW_SHELTER),
    }
    assert set(links.loc[links["strategy_id"] == LEGAL, "region"]) == {"Southwest"}
    with_generic = queries.links(partners, include_generic=True)
    assert ("dsv", LEGAL) in set(
        zip(with_generic["organisation_id"], with_generic["strategy_id"], strict=True)
    )


def test_network_edges_weigh_shared_strategies(partners: Session) -> None:
    nodes, edges = queries.network(queries.links(partners))

    assert edges.to_dict("records") == [{"source": "cate", "target": "mcasdv", "weight": 2}]
    cate = nodes.set_index("organisation_id").loc["cate"]
    assert cate["strategies"] == 2 and cate["kind"] == "coalition"
    assert "burrell" in set(nodes["organisation_id"])  # a node without edges


def test_network_per_region_and_with_generic_groups(partners: Session) -> None:
    _, southwest = queries.network(queries.links(partners, region_id="southwest"))
    _, generic = queries.network(queries.links(partners, include_generic=True))

    assert southwest.to_dict("records") == [{"source": "cate", "target": "mcasdv", "weight": 1}]
    assert {"source": "cate", "target": "dsv", "weight": 1} in generic.to_dict("records")
    assert {"source": "dsv", "target": "mcasdv", "weight": 1} in generic.to_dict("records")


def test_network_of_no_links_is_empty(session: Session) -> None:
    clear_organisations(session)
    nodes, edges = queries.network(queries.links(session))

    assert nodes.empty and edges.empty
    assert queries.matrix(queries.links(session)).empty


def test_matrix_marks_each_strategy_naming_an_organisation(partners: Session) -> None:
    table = queries.matrix(queries.links(partners))

    assert list(table.columns) == [TASKFORCE, LEGAL, SW_SHELTER]  # the plan's order
    assert table.loc["CATE"].tolist() == [1, 1, 0]
    assert table.loc["Burrell"].tolist() == [0, 0, 1]


def test_organisation_outcomes_and_strategy_summary(partners: Session) -> None:
    outcomes = queries.organisation_outcomes(partners, "mcasdv")
    summary = queries.strategy_summary(outcomes)

    assert set(outcomes["strategy_id"]) == {TASKFORCE, LEGAL}  # LEGAL through MOCADSV
    assert list(summary["region"]) == ["State", "Southwest"]
    assert summary["outcomes"].sum() == len(outcomes) > 0
    assert queries.organisation_outcomes(partners, "atlantis").empty


def test_activity_counts_each_kind_per_month(activity_rows: Session) -> None:
    coalition = queries.activity(activity_rows, "mcasdv")
    cate = queries.activity(activity_rows, "cate")

    assert [(r["month"].month, r["kind"], r["count"]) for r in coalition.to_dict("records")] == [
        (3, "Status updates", 2),  # its own and MOCADSV's
        (5, "Measure values", 1),
    ]
    assert cate["count"].sum() == 2
    assert queries.activity(activity_rows, "dsv").empty  # its one comment was removed
    assert queries.activity(activity_rows, "atlantis").empty


def test_contributing_counts_distinct_organisations_per_region_and_month(
    activity_rows: Session,
) -> None:
    rows = queries.contributing(activity_rows)

    got = {(r["month"].month, r["region"]): r["organisations"] for r in rows.to_dict("records")}
    assert got == {
        (3, "State"): 1,  # the coalition (the update without an organisation is not counted)
        (3, "Southwest"): 2,  # CATE and the coalition (through MOCADSV)
        (4, "State"): 1,  # CATE
        (4, "Southwest"): 1,  # Burrell's comment
        (5, "Southwest"): 1,  # the coalition's measure value (a region's measure)
    }
    assert list(rows.columns) == ["month", "region_id", "region", "organisations"]


def test_user_organisation_is_its_survivor(partners: Session) -> None:
    partners.add(User(username="kim", display_name="Kim", organisation_id="mocadsv"))
    partners.add(User(username="lee", display_name="Lee"))
    partners.commit()
    kim = partners.exec(select(User).where(User.username == "kim")).one()
    lee = partners.exec(select(User).where(User.username == "lee")).one()

    assert queries.user_organisation(partners, kim.id) == "mcasdv"
    assert queries.user_organisation(partners, lee.id) is None
    assert queries.user_organisation(partners, None) is None
