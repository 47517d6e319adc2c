"""The shared filter by organisation (core/progress/filters.py): every view narrows to
the strategies naming the organisation or one merged into it."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, delete

from core.io.report import describe_filter
from core.measures import queries as measure_queries
from core.models import (
    Organisation,
    OrganisationName,
    OrganisationRegion,
    StrategyOrganisation,
)
from core.progress import queries
from core.progress.filters import OutcomeFilter, describe

TASKFORCE = "state-housing.ht-taskforce"  # State
LEGAL = "southwest.legal-services"  # Southwest
SHELTER = "southwest.minor-shelter"


def clear_organisations(session: Session) -> None:
    """The seeded plan's organisations out, so each test states its own."""
    for table in (OrganisationName, OrganisationRegion, StrategyOrganisation, Organisation):
        session.exec(delete(table))  # type: ignore[call-overload]
    session.flush()


@pytest.fixture
def linked(session: Session) -> Session:
    """CATE names the task force and legal services; the coalition names the task
    force, and MOCADSV (merged into it) legal services; Burrell the minor shelter."""
    clear_organisations(session)
    session.add_all(
        [
            Organisation(id="cate", name="CATE", kind="coalition"),
            Organisation(id="mcasdv", name="MO Coalition", kind="coalition"),
            Organisation(id="burrell", name="Burrell", kind="health provider"),
        ]
    )
    session.flush()
    session.add(Organisation(id="mocadsv", name="MOCADSV", retired=True, merged_into_id="mcasdv"))
    session.flush()
    session.add(Organisation(id="old", name="Old", retired=True, merged_into_id="mocadsv"))
    session.flush()
    for strategy, org in [
        (TASKFORCE, "cate"),
        (LEGAL, "cate"),
        (TASKFORCE, "mcasdv"),
        (LEGAL, "mocadsv"),
        (SHELTER, "old"),  # a merge of a merge
    ]:
        session.add(
            StrategyOrganisation(strategy_id=strategy, resource_index=0, organisation_id=org)
        )
    session.commit()
    return session


def strategies(session: Session, flt: OutcomeFilter) -> set[str]:
    return {r["strategy_id"] for r in queries.outcome_rows(session, flt)}


def test_filter_by_organisation_keeps_its_strategies_and_merged_ones(linked: Session) -> None:
    assert strategies(linked, OutcomeFilter(organisations=("cate",))) == {TASKFORCE, LEGAL}
    assert strategies(linked, OutcomeFilter(organisations=("mcasdv",))) == {
        TASKFORCE,
        LEGAL,
        SHELTER,
    }
    assert strategies(linked, OutcomeFilter(organisations=("mocadsv",))) == {LEGAL, SHELTER}
    assert strategies(linked, OutcomeFilter(organisations=("atlantis",))) == set()


def test_filter_by_organisation_narrows_counts_and_combines(linked: Session) -> None:
    every = sum(queries.status_counts(linked).values())
    cate = sum(queries.status_counts(linked, OutcomeFilter(organisations=("cate",))).values())
    state = OutcomeFilter(organisations=("cate",), regions=("state",))

    assert 0 < cate < every
    assert cate == len(queries.outcome_rows(linked, OutcomeFilter(organisations=("cate",))))
    assert strategies(linked, state) == {TASKFORCE}
    assert strategies(linked, OutcomeFilter(organisations=("cate", "burrell"))) == {
        TASKFORCE,
        LEGAL,
    }


def test_measures_follow_the_organisation_filter(linked: Session) -> None:
    day = date(2021, 6, 1)
    rows = measure_queries.measures(linked, OutcomeFilter(organisations=("burrell",)), today=day)
    cate = measure_queries.measures(linked, OutcomeFilter(organisations=("cate",)), today=day)

    assert rows == []  # Burrell names no strategy: nor any region's measure
    assert cate and {r.strategy_id for r in cate} <= {TASKFORCE, LEGAL}


def test_describe_names_the_organisation() -> None:
    flt = OutcomeFilter(regions=("southwest",), organisations=("cate", "atlantis"))

    words = describe(flt, regions={"southwest": "Southwest"}, organisations={"cate": "CATE"})

    assert words == "Region: Southwest; Organisation: CATE, atlantis"  # unknown: as it is
    assert describe(OutcomeFilter()) == ""


def test_the_printed_report_names_the_organisation(linked: Session) -> None:
    flt = OutcomeFilter(organisations=("cate",), needs=("legal-services",))

    assert describe_filter(linked, flt) == "Need: Legal services; Organisation: CATE"
