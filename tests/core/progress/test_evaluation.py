"""The plan's own evaluation (core.progress.evaluation): each figure on a small
hand-built history of the seeded plan, per region now and period by period."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from sqlmodel import Session, col, select

from core.models import (
    Assignment,
    ChangeAction,
    Comment,
    Measure,
    MeasureValue,
    Organisation,
    Outcome,
    PlanChange,
    Status,
    StatusUpdate,
    User,
)
from core.progress import counted, evaluation

TODAY = date(2021, 6, 15)
SW_1 = "southwest.legal-services.short.1"
SW_2 = "southwest.legal-services.short.2"
SW_3 = "southwest.legal-services.short.3"


def user(
    session: Session, username: str, *, region: str | None = None, strategy: str | None = None
):
    person = User(username=username, display_name=username.title())
    session.add(person)
    session.flush()
    if region or strategy:
        session.add(Assignment(user_id=person.id, region_id=region, strategy_id=strategy))
    return person


def update(
    session: Session,
    outcome_id: str,
    new: str,
    when: datetime,
    by: str = "lead-sw",
    org: str | None = None,
) -> StatusUpdate:
    outcome = session.get(Outcome, outcome_id)
    assert outcome is not None
    entry = StatusUpdate(
        outcome_id=outcome_id,
        changed_at=when,
        changed_by=by,
        old_status=outcome.status,
        new_status=new,
        organisation_id=org,
    )
    outcome.status = new
    session.add_all([entry, outcome])
    session.flush()
    return entry


@pytest.fixture
def plan(session: Session) -> Session:
    """Southwest: a region lead and a strategy lead who update, a visitor-admin who
    updates without an assignment; a Kansas City lead who never updates."""
    user(session, "lead-sw", region="southwest")
    user(session, "lead-sw-legal", strategy="southwest.legal-services")
    user(session, "admin")
    user(session, "lead-kc", region="kansas-city")
    session.add_all(
        [Organisation(id="legal-aid", name="Legal Aid"), Organisation(id="shelter", name="Shelter")]
    )
    session.flush()
    day = lambda m, d: datetime(2021, m, d, 12, tzinfo=UTC)  # noqa: E731
    update(session, SW_1, Status.DONE.value, day(2, 10), org="legal-aid")
    update(session, SW_2, Status.IN_PROGRESS.value, day(5, 1), by="lead-sw-legal", org="shelter")
    update(session, SW_2, Status.DONE.value, day(5, 20), by="lead-sw-legal")
    update(session, SW_3, Status.IN_PROGRESS.value, day(5, 21), by="admin", org="legal-aid")
    session.add(
        Comment(
            outcome_id=SW_3,
            author="lead-sw",
            created_at=day(5, 22),
            body="x",
            organisation_id="shelter",
        )
    )
    session.add(
        PlanChange(
            changed_at=day(4, 1),
            changed_by="admin",
            subject_kind="logic_model",
            subject_id="southwest",
            action=ChangeAction.REBASELINED.value,
            reason="Started in 2021",
        )
    )
    measure = Measure(id="test.sw.survivors", region_id="southwest", name="Survivors served")
    session.add(measure)
    session.flush()
    first = MeasureValue(
        measure_id=measure.id,
        value=10,
        as_of=date(2021, 5, 1),
        recorded_by="lead-sw",
        recorded_at=day(5, 2),
    )
    second = MeasureValue(
        measure_id=measure.id,
        value=12,
        as_of=date(2021, 5, 2),
        recorded_by="lead-sw",
        recorded_at=day(5, 3),
    )
    session.add_all([first, second])
    session.flush()
    undo = MeasureValue(
        measure_id=measure.id,
        value=12,
        as_of=date(2021, 5, 2),
        recorded_by="lead-sw",
        recorded_at=day(5, 4),
        reverts_id=second.id,
    )
    session.add(undo)
    session.commit()
    return session


def row(frame: pd.DataFrame, region: str, period: str | None = None) -> dict:
    rows = frame[frame["region"] == region]
    if period is not None:
        rows = rows[rows["period"] == period]
    assert len(rows) == 1
    return rows.iloc[0].to_dict()


def test_current_figures_per_region(plan):
    now = evaluation.current(plan, TODAY)
    sw, kc = row(now, "Southwest"), row(now, "Kansas City")

    assert list(now["region"])[:2] == ["State", "St. Louis"]  # every region, in order
    assert sw["leads_assigned"] == 2 and kc["leads_assigned"] == 1
    assert sw["active_leads"] == 1  # lead-sw-legal: the admin has no assignment, and
    # lead-sw updated in February, over 90 days ago
    assert sw["updates"] == 3  # the three since March 17
    assert sw["open_outcomes"] == 30  # 32 less the two Done
    assert sw["open_fresh_share"] == pytest.approx(1 / 30)  # SW_3, updated in May
    assert sw["rebaselined"] == "Yes" and sw["last_rebaselined"] == date(2021, 4, 1)
    assert kc["rebaselined"] == "No" and pd.isna(kc["last_rebaselined"])
    assert sw["values_recorded"] == 1  # the undone value and its undo do not count
    assert sw["measures_reported"] == 1
    assert sw["outcomes_done"] == 2
    assert sw["organisations"] == 2  # legal-aid (updates), shelter (update, comment)
    assert kc["active_leads"] == kc["updates"] == kc["organisations"] == 0
    assert kc["open_fresh_share"] == 0.0


def test_median_days_from_due_date_to_done(plan):
    due = {o: plan.get(Outcome, o).due_date for o in (SW_1, SW_2)}  # type: ignore[union-attr]
    days = sorted([(date(2021, 2, 10) - due[SW_1]).days, (date(2021, 5, 20) - due[SW_2]).days])

    sw = row(evaluation.current(plan, TODAY), "Southwest")
    assert sw["median_days_to_done"] == pytest.approx(sum(days) / 2)


def test_over_time_by_month(plan):
    series = evaluation.over_time(plan, TODAY, "month")

    assert set(series["period"]) == {"2021-02", "2021-03", "2021-04", "2021-05", "2021-06"}
    assert len(series) == 9 * 5  # one row per region × period
    feb, may = row(series, "Southwest", "2021-02"), row(series, "Southwest", "2021-05")
    assert (feb["active_leads"], feb["updates"], feb["outcomes_done"]) == (1, 1, 1)
    assert (may["active_leads"], may["updates"], may["outcomes_done"]) == (1, 3, 1)
    assert may["values_recorded"] == 1 and may["organisations"] == 2
    assert row(series, "Southwest", "2021-04")["rebaselines"] == 1
    march = row(series, "Southwest", "2021-03")
    assert march["updates"] == 0 and pd.isna(march["median_days_to_done"])


def test_over_time_by_quarter(plan):
    series = evaluation.over_time(plan, TODAY, "quarter")

    assert list(series[series["region"] == "Southwest"]["period"]) == ["2021-Q1", "2021-Q2"]
    q2 = row(series, "Southwest", "2021-Q2")
    assert q2["active_leads"] == 1  # lead-sw-legal; distinct people, not summed months
    assert q2["updates"] == 3 and q2["rebaselines"] == 1 and q2["outcomes_done"] == 1


def test_empty_plan_has_zeros_for_this_period(session):
    series = evaluation.over_time(session, TODAY)
    assert list(series["period"].unique()) == ["2021-06"]
    assert series[["active_leads", "updates", "organisations"]].to_numpy().sum() == 0
    now = evaluation.current(session, TODAY)
    assert len(now) == 9 and set(now["rebaselined"]) == {"No"}


def test_labels_name_every_column_in_words():
    assert set(evaluation.CURRENT) <= set(evaluation.LABELS)
    assert set(evaluation.SERIES) <= set(evaluation.LABELS)
    assert "Region" in evaluation.with_labels(pd.DataFrame(columns=["region"])).columns


def test_csv_files_name_columns_in_words(plan):
    from core.io import evaluation_export

    series = evaluation.over_time(plan, TODAY, "quarter")
    data = evaluation_export.series_csv(series)
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 9 * 2  # one row per region × period
    assert list(rows[0])[:3] == ["Region", "Period", "Active leads"]
    sw = next(r for r in rows if r["Region"] == "Southwest" and r["Period"] == "2021-Q2")
    assert sw["Status updates"] == "3" and sw["Logic models re-baselined"] == "1"

    table = evaluation.current(plan, TODAY)
    table.loc[0, "region"] = "=HYPERLINK(1)"  # a cell a spreadsheet would run
    rows = list(
        csv.DictReader(io.StringIO(evaluation_export.current_csv(table).decode("utf-8-sig")))
    )
    assert len(rows) == 9 and rows[0]["Region"] == "'=HYPERLINK(1)"
    sw = next(r for r in rows if r["Region"] == "Southwest")
    assert sw["Re-baselined"] == "Yes" and sw["Last re-baselined"] == "2021-04-01"
    assert sw["Share of open outcomes updated in the last 90 days"] == "0.0333"


def test_undos_merges_and_removed_comments_do_not_inflate_the_figures(plan):
    """Found in review, each failing on the first version: an undo counted as a status
    update and its organisation as contributing; a merged organisation counted twice
    (history keeps the id it was written under); days to Done measured to the undo
    that restored Done rather than to the day it was marked Done."""
    day = lambda m, d: datetime(2021, m, d, 12, tzinfo=UTC)  # noqa: E731
    plan.add(Organisation(id="oops", name="Oops Org"))
    plan.flush()
    # SW_1 (Done on Feb 10) reopened by mistake on June 1 by "oops", undone on June 2
    mistake = update(plan, SW_1, Status.IN_PROGRESS.value, day(6, 1), org="oops")
    plan.add(
        StatusUpdate(
            outcome_id=SW_1,
            changed_at=day(6, 2),
            changed_by="lead-sw",
            old_status=Status.IN_PROGRESS.value,
            new_status=Status.DONE.value,
            organisation_id="oops",
            reverts_id=mistake.id,
        )
    )
    outcome = plan.get(Outcome, SW_1)
    assert outcome is not None
    outcome.status = Status.DONE.value
    plan.add(outcome)
    # a removed comment of "oops" counts for nothing either
    plan.add(
        Comment(
            outcome_id=SW_3,
            author="lead-sw",
            created_at=day(6, 3),
            body="",
            removed_at=day(6, 4),
            organisation_id="oops",
        )
    )
    # "shelter" merged into "legal-aid": one organisation contributing, not two
    shelter = plan.get(Organisation, "shelter")
    assert shelter is not None
    shelter.merged_into_id, shelter.retired = "legal-aid", True
    plan.add(shelter)
    plan.commit()

    sw = row(evaluation.current(plan, TODAY), "Southwest")
    assert sw["updates"] == 3  # as before: the mistake and its undo cancel out
    assert sw["organisations"] == 1
    due = plan.get(Outcome, SW_1).due_date  # type: ignore[union-attr]
    other = plan.get(Outcome, SW_2).due_date  # type: ignore[union-attr]
    days = sorted([(date(2021, 2, 10) - due).days, (date(2021, 5, 20) - other).days])
    assert sw["median_days_to_done"] == pytest.approx(sum(days) / 2)
    june = row(evaluation.over_time(plan, TODAY, "month"), "Southwest", "2021-06")
    assert june["updates"] == 0 and june["organisations"] == 0


def test_a_strategy_lead_is_active_only_in_their_strategys_region(plan):
    """Found in issue 15, failing on the first version: a strategy's lead counted as an
    active lead of every region they updated in (the region test of the strategy
    assignment did not correlate with the outcome's region)."""
    kc = plan.exec(
        select(Outcome.id).where(col(Outcome.id).startswith("kansas-city.")).limit(1)
    ).one()
    update(
        plan, kc, Status.IN_PROGRESS.value, datetime(2021, 6, 1, 12, tzinfo=UTC), "lead-sw-legal"
    )
    plan.commit()
    assert row(evaluation.current(plan, TODAY), "Kansas City")["active_leads"] == 0
    june = row(evaluation.over_time(plan, TODAY, "month"), "Kansas City", "2021-06")
    assert june["active_leads"] == 0 and june["updates"] == 1
    assert row(evaluation.current(plan, TODAY), "Southwest")["active_leads"] == 1  # theirs


def test_both_plans_of_the_counted_rule_agree(plan):
    """counted.counts (by outcome) and counted.counts_every (one set of undone ids) pick
    the same entries: undos, redos, an undo of a redo, a revert naming another outcome."""
    day = lambda d: datetime(2021, 6, d, 12, tzinfo=UTC)  # noqa: E731

    def undo(outcome_id: str, of: StatusUpdate, when: datetime) -> StatusUpdate:
        entry = StatusUpdate(
            outcome_id=outcome_id,
            changed_at=when,
            changed_by="lead-sw",
            old_status=of.new_status,
            new_status=of.old_status,
            reverts_id=of.id,
        )
        plan.add(entry)
        plan.flush()
        return entry

    first = update(plan, SW_3, Status.BLOCKED.value, day(1))
    undone = undo(SW_3, first, day(2))  # first undone
    redo = undo(SW_3, undone, day(3))  # … redone: first counts again
    undo(SW_3, redo, day(4))  # the redo undone: the rule reads one redo deep
    second = update(plan, SW_3, Status.BLOCKED.value, day(5))
    undo(SW_1, second, day(6))  # names another outcome's entry: second still counts
    plan.commit()
    ids = lambda rule: set(plan.exec(select(StatusUpdate.id).where(rule)).all())  # noqa: E731
    assert ids(counted.counts()) == ids(counted.counts_every())
    assert {first.id, second.id} <= ids(counted.counts())
