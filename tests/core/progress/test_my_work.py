"""My work: a lead's scope from their assignments, the grouping rule (first group met:
overdue, due in 30 days, Blocked, not updated in 30 days, the rest) and the counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session

from core.models import Outcome, Role, Status
from core.people import accounts
from core.people.permissions import Actor
from core.progress import my_work, queries
from core.progress.filters import OutcomeFilter
from core.progress.my_work import Group, LeadScope, group_of
from core.progress.updates import check_in, update_status

TODAY = date(2021, 6, 1)
NOON = datetime(2021, 6, 1, 12, 0, tzinfo=UTC)
STRATEGY = "st-louis.adult-shelter"


def _row(status: str = "Not started", due_in: int = 200, updated_days_ago: int | None = 1):
    updated = None if updated_days_ago is None else NOON - timedelta(days=updated_days_ago)
    return {"status": status, "due_date": TODAY + timedelta(days=due_in), "last_updated": updated}


@pytest.mark.parametrize(
    ("row", "group"),
    [
        (_row(due_in=-1), Group.OVERDUE),
        (_row("Blocked", due_in=-1, updated_days_ago=90), Group.OVERDUE),  # first met
        (_row(due_in=0), Group.DUE),
        (_row(due_in=30), Group.DUE),
        (_row("Blocked", due_in=10), Group.DUE),
        (_row(due_in=31), Group.REST),
        (_row("Blocked", due_in=31), Group.BLOCKED),
        (_row("Blocked", due_in=31, updated_days_ago=60), Group.BLOCKED),
        (_row(due_in=31, updated_days_ago=30), Group.STALE),
        (_row(due_in=31, updated_days_ago=29), Group.REST),
        (_row("In progress", due_in=400, updated_days_ago=None), Group.STALE),  # never
        (_row("Done", due_in=-100, updated_days_ago=400), Group.REST),  # closed
        (_row("Dropped", due_in=5, updated_days_ago=None), Group.REST),
    ],
)
def test_group_of_is_the_first_group_met(row, group):
    assert group_of(row, TODAY) is group


def test_grouped_orders_each_group():
    rows = [
        _row(due_in=-3),
        _row(due_in=-30),
        _row(due_in=20),
        _row(due_in=2),
        _row(due_in=90, updated_days_ago=40),
        _row(due_in=90, updated_days_ago=None),
    ]
    groups = my_work.grouped(rows, TODAY)
    assert list(groups) == list(Group)
    assert [r["due_date"] for r in groups[Group.OVERDUE]] == [
        TODAY - timedelta(days=30),
        TODAY - timedelta(days=3),
    ]
    assert [r["due_date"] for r in groups[Group.DUE]] == [
        TODAY + timedelta(days=2),
        TODAY + timedelta(days=20),
    ]
    assert [r["last_updated"] for r in groups[Group.STALE]] == [None, NOON - timedelta(days=40)]
    assert groups[Group.BLOCKED] == groups[Group.REST] == []


def test_counts_line_leaves_out_empty_groups():
    counts = {Group.OVERDUE: 3, Group.DUE: 2, Group.BLOCKED: 0, Group.STALE: 5, Group.REST: 9}
    assert my_work.counts_line(counts) == (
        "3 overdue · 2 due in the next 30 days · 5 not updated in 30 days"
    )
    assert my_work.counts_line({Group.BLOCKED: 1, Group.REST: 4}) == "1 blocked"
    assert my_work.counts_line({Group.REST: 4}) == ""


def _lead(session: Session, *, region: str | None = None, strategy: str | None = None) -> int:
    user = accounts.create_user(session=session, username="lee", role="lead", password=None)
    if region:
        accounts.assign(session=session, user=user, region_id=region)
    if strategy:
        accounts.assign(session=session, user=user, strategy_id=strategy)
    session.commit()
    assert user.id is not None
    return user.id


def test_lead_scope_is_their_assignments(session):
    user_id = _lead(session, region="southwest", strategy=STRATEGY)
    scope = my_work.lead_scope(session, user_id)
    assert scope == LeadScope(region_ids=("southwest",), strategy_ids=(STRATEGY,))
    assert my_work.scope_region_ids(session, scope) == ("st-louis", "southwest")
    assert my_work.lead_scope(session, None).empty
    assert my_work.scope_region_ids(session, LeadScope()) == ()


def test_scope_rows_are_the_scopes_outcomes_only(session):
    scope = my_work.lead_scope(session, _lead(session, region="southwest", strategy=STRATEGY))
    rows = my_work.scope_rows(session, scope, TODAY, members=True)
    southwest = queries.outcome_rows(session, OutcomeFilter(regions=("southwest",)))
    everything = queries.outcome_rows(session)
    strategy = [r for r in everything if r["strategy_id"] == STRATEGY]
    assert strategy and southwest
    assert {r["outcome_id"] for r in rows} == {r["outcome_id"] for r in southwest + strategy}
    assert all(r["group"] in {g.value for g in Group} for r in rows)
    assert "schedule" in rows[0] and "freshness_days" in rows[0]


def test_an_empty_scope_has_no_rows(session):
    # outcome_ids=() would mean the whole plan: an empty scope must give nothing.
    assert my_work.scope_rows(session, LeadScope(), TODAY, members=True) == []


def test_groups_agree_with_the_sql_schedule_counts(session):
    scope = LeadScope(region_ids=("southwest",))
    groups = my_work.grouped(my_work.scope_rows(session, scope, TODAY, members=True), TODAY)
    sql = queries.schedule_counts(
        session, TODAY, my_work.DUE_DAYS, OutcomeFilter(regions=("southwest",))
    )
    assert len(groups[Group.OVERDUE]) == sql["overdue"] > 0
    assert len(groups[Group.DUE]) == sql["due_soon"]


def test_a_check_in_moves_a_stale_outcome_out_of_stale(session):
    scope = LeadScope(region_ids=("southwest",))
    rows = my_work.scope_rows(session, scope, TODAY, members=True)
    stale = next(r for r in rows if r["group"] == Group.STALE.value)
    lead = Actor(
        user_id=9,
        username="lee",
        display_name="Lee",
        role=Role.LEAD,
        region_ids=frozenset({"southwest"}),
    )
    outcome = session.get(Outcome, stale["outcome_id"])
    check_in(
        session=session,
        actor=lead,
        outcome_id=stale["outcome_id"],
        expected_version=outcome.version,
        now=NOON,
    )
    session.commit()
    after = {r["outcome_id"]: r for r in my_work.scope_rows(session, scope, TODAY, members=True)}
    assert after[stale["outcome_id"]]["group"] == Group.REST.value
    assert after[stale["outcome_id"]]["freshness_days"] == 0
    assert after[stale["outcome_id"]]["status"] == stale["status"]


def test_a_blocked_outcome_waits_in_blocked(session):
    scope = LeadScope(region_ids=("southwest",))
    rows = my_work.scope_rows(session, scope, TODAY, members=True)
    later = next(r for r in rows if r["group"] == Group.STALE.value)
    outcome = session.get(Outcome, later["outcome_id"])
    update_status(
        session=session,
        actor=Actor(user_id=1, username="ada", display_name="Ada", role=Role.ADMIN),
        outcome_id=later["outcome_id"],
        expected_version=outcome.version,
        new_status=Status.BLOCKED.value,
        note="No venue",
        now=NOON - timedelta(days=45),
    )
    session.commit()
    after = {r["outcome_id"]: r for r in my_work.scope_rows(session, scope, TODAY, members=True)}
    assert after[later["outcome_id"]]["group"] == Group.BLOCKED.value
