"""Changing the plan: re-baselining arithmetic, re-dating, adding, editing, retiring;
every change logged; retired items out of views and rates."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import func
from sqlmodel import Session, select

from core.errors import UpdateRejected
from core.models import ChangeAction, LogicModel, Outcome, PlanChange, Role, Status
from core.people.permissions import Actor, PermissionDenied
from core.plan.dates import describe_offset, is_month_end, shift_date, start_offset
from core.plan.editing import (
    create_logic_model,
    create_outcome,
    create_strategy,
    edit_item,
    set_retired,
)
from core.plan.loading import load_plan
from core.plan.redating import preview_rebaseline, rebaseline, redate_outcome
from core.progress import activity, queries
from core.progress.filters import OutcomeFilter
from core.progress.schedule import Schedule
from core.progress.updates import update_status
from core.store.db import write_session

ADMIN = Actor(user_id=1, username="ada", display_name="Ada", role=Role.ADMIN)
LEAD = Actor(
    user_id=2,
    username="sam",
    display_name="Sam",
    role=Role.LEAD,
    region_ids=frozenset({"southwest"}),
)
SW_OUTCOME = "southwest.legal-services.short.1"  # "by 2/2020" → 2020-02-29
REPORT_START = date(2019, 7, 1)


def change_count(engine) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(PlanChange)).one()


def get(engine, model, item_id):
    with Session(engine) as s:
        return s.get(model, item_id)


def dues(engine, logic_model_id: str) -> dict[str, date]:
    with Session(engine) as s:
        rows = queries.outcome_rows(s, OutcomeFilter(logic_models=(logic_model_id,)))
    return {r["outcome_id"]: r["due_date"] for r in rows}


# ---- date arithmetic --------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "offset", "expected"),
    [
        # month ends stay month ends, whatever the month's length
        (date(2020, 2, 29), relativedelta(months=1), date(2020, 3, 31)),
        (date(2020, 1, 31), relativedelta(months=1), date(2020, 2, 29)),  # leap year
        (date(2021, 1, 31), relativedelta(months=1), date(2021, 2, 28)),
        (date(2020, 2, 29), relativedelta(years=1), date(2021, 2, 28)),
        (date(2020, 2, 29), relativedelta(years=4), date(2024, 2, 29)),
        (date(2020, 4, 30), relativedelta(months=1), date(2020, 5, 31)),
        # year boundaries, both ways
        (date(2020, 12, 31), relativedelta(months=2), date(2021, 2, 28)),
        (date(2021, 1, 31), relativedelta(months=-2), date(2020, 11, 30)),
        (date(2020, 11, 30), relativedelta(months=3), date(2021, 2, 28)),
        # a mid-month date moves by exactly the offset
        (date(2020, 3, 15), relativedelta(years=5, months=10, days=3), date(2026, 1, 18)),
        (date(2019, 12, 20), relativedelta(days=15), date(2020, 1, 4)),
        # a day offset on a month end: lands in a month, takes that month's end
        (date(2020, 6, 30), relativedelta(months=1, days=14), date(2020, 8, 31)),
    ],
)
def test_shift_date(day, offset, expected):
    assert shift_date(day, offset) == expected


def test_start_offset_and_description():
    offset = start_offset(REPORT_START, date(2025, 3, 1))
    assert (offset.years, offset.months, offset.days) == (5, 8, 0)
    assert describe_offset(offset) == "5 years, 8 months later"
    assert describe_offset(start_offset(date(2020, 1, 1), date(2019, 12, 31))) == "1 day earlier"
    assert describe_offset(relativedelta()) == "no change"


# ---- re-baselining ---------------------------------------------------------------


def test_rebaseline_logic_model_shifts_every_date_and_keeps_gaps(engine):
    before = dues(engine, "southwest")
    with write_session(engine) as s:
        moves = rebaseline(
            session=s,
            actor=ADMIN,
            logic_model_id="southwest",
            start_date=date(2025, 3, 1),
            reason="Workgroup formed in March 2025",
        )
    after = dues(engine, "southwest")
    assert len(moves) == len(before) == 32
    offset = relativedelta(years=5, months=8)
    for oid, due in before.items():
        assert after[oid] == shift_date(due, offset)
    # "by 2/2020" is now "by 10/2025", still month end
    assert after[SW_OUTCOME] == date(2025, 10, 31)

    # the report's gaps between milestones are kept (month ends: in months)
    def month(d: date) -> int:
        return d.year * 12 + d.month

    for a, b in itertools.pairwise(sorted(before)):
        if is_month_end(before[a]) and is_month_end(before[b]):
            assert month(after[b]) - month(after[a]) == month(before[b]) - month(before[a])
    oc = get(engine, Outcome, SW_OUTCOME)
    assert oc.baseline_due_date == date(2020, 2, 29)  # the report's date stays as baseline
    assert oc.redate_count == 1
    assert get(engine, LogicModel, "southwest").start_date == date(2025, 3, 1)
    # other logic models are untouched
    assert dues(engine, "northwest") == dues(engine, "northwest")
    assert get(engine, LogicModel, "northwest").start_date == REPORT_START


def test_rebaseline_is_logged_with_reason_in_one_batch(engine):
    with write_session(engine) as s:
        rebaseline(
            session=s,
            actor=ADMIN,
            logic_model_id="southwest",
            start_date=date(2025, 3, 1),
            reason="Workgroup formed",
        )
    with Session(engine) as s:
        log = activity.plan_changes(s, limit=None)
    assert len(log) == 33  # the logic model + its 32 outcomes
    assert {c["batch"] for c in log} == {log[0]["batch"]}
    assert {c["action"] for c in log} == {ChangeAction.REBASELINED}
    assert {c["changed_by"] for c in log} == {"ada"}
    assert {c["reason"] for c in log} == {"Workgroup formed"}
    lm = next(c for c in log if c["subject_kind"] == "logic_model")
    assert lm["before"] == {"start_date": "2019-07-01"}
    assert lm["after"]["start_date"] == "2025-03-01"
    oc = next(c for c in log if c["subject_id"] == SW_OUTCOME)
    assert oc["before"] == {"due_date": "2020-02-29"} and oc["after"] == {"due_date": "2025-10-31"}


def test_rebaseline_region_moves_each_logic_model(engine):
    with write_session(engine) as s:
        moves = rebaseline(
            session=s, actor=ADMIN, region_id="state", start_date=date(2024, 1, 1), reason="Adopted"
        )
    assert {m.logic_model_id for m in moves} == {"state-housing", "state-mental-health"}
    assert get(engine, LogicModel, "state-housing").start_date == date(2024, 1, 1)
    assert get(engine, LogicModel, "state-mental-health").start_date == date(2024, 1, 1)


def test_rebaseline_twice_keeps_month_ends_and_counts(engine):
    for start in (date(2025, 3, 1), date(2026, 1, 1)):
        with write_session(engine) as s:
            rebaseline(
                session=s, actor=ADMIN, logic_model_id="southwest", start_date=start, reason="r"
            )
    oc = get(engine, Outcome, SW_OUTCOME)
    assert oc.due_date == date(2026, 8, 31)  # 2/2020 + 6 years 6 months
    assert oc.redate_count == 2


def test_preview_matches_rebaseline_and_writes_nothing(engine):
    with Session(engine) as s:
        preview = preview_rebaseline(
            session=s, logic_model_id="southwest", start_date=date(2025, 3, 1)
        )
    assert change_count(engine) == 0
    with write_session(engine) as s:
        moves = rebaseline(
            session=s,
            actor=ADMIN,
            logic_model_id="southwest",
            start_date=date(2025, 3, 1),
            reason="r",
        )
    assert preview == moves


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_rebaseline_needs_a_reason(engine, reason):
    with pytest.raises(UpdateRejected, match="reason"), write_session(engine) as s:
        rebaseline(
            session=s,
            actor=ADMIN,
            logic_model_id="southwest",
            start_date=date(2025, 3, 1),
            reason=reason,
        )
    assert change_count(engine) == 0
    assert get(engine, Outcome, SW_OUTCOME).due_date == date(2020, 2, 29)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"logic_model_id": "southwest", "start_date": date(2019, 7, 1)}, "already starts"),
        ({"logic_model_id": "southwest", "start_date": date(1025, 3, 1)}, "check the year"),
        ({"logic_model_id": "nowhere", "start_date": date(2025, 3, 1)}, "no logic model"),
        ({"region_id": "atlantis", "start_date": date(2025, 3, 1)}, "no region"),
        ({"start_date": date(2025, 3, 1)}, "either one logic model or one region"),
        (
            {
                "logic_model_id": "southwest",
                "region_id": "southwest",
                "start_date": date(2025, 3, 1),
            },
            "either one logic model or one region",
        ),
    ],
)
def test_rebaseline_refuses_bad_requests(engine, kwargs, message):
    with pytest.raises(UpdateRejected, match=message), write_session(engine) as s:
        rebaseline(session=s, actor=ADMIN, reason="r", **kwargs)
    assert change_count(engine) == 0


def test_only_admins_change_the_plan(engine):
    with pytest.raises(PermissionDenied), write_session(engine) as s:
        rebaseline(
            session=s,
            actor=LEAD,
            logic_model_id="southwest",
            start_date=date(2025, 3, 1),
            reason="r",
        )
    with pytest.raises(PermissionDenied), write_session(engine) as s:
        redate_outcome(
            session=s, actor=LEAD, outcome_id=SW_OUTCOME, due_date=date(2026, 1, 31), reason="r"
        )
    with pytest.raises(PermissionDenied), write_session(engine) as s:
        edit_item(
            session=s,
            actor=LEAD,
            kind="outcome",
            item_id=SW_OUTCOME,
            changes={"text": "x"},
            reason="r",
        )
    assert change_count(engine) == 0


def test_rebaselined_outcomes_are_no_longer_overdue(engine):
    today = date(2026, 11, 21)
    flt = OutcomeFilter(logic_models=("southwest",), schedules=(Schedule.OVERDUE,), today=today)
    with Session(engine) as s:
        assert len(queries.outcome_rows(s, flt)) == 32
    with write_session(engine) as s:
        rebaseline(
            session=s,
            actor=ADMIN,
            logic_model_id="southwest",
            start_date=date(2026, 9, 1),
            reason="r",
        )
    with Session(engine) as s:
        assert queries.outcome_rows(s, flt) == []


# ---- re-dating one outcome ---------------------------------------------------------


def test_redate_outcome_records_slip_and_count(engine):
    with write_session(engine) as s:
        redate_outcome(
            session=s,
            actor=ADMIN,
            outcome_id=SW_OUTCOME,
            due_date=date(2020, 4, 30),
            reason="Waiting on the grant",
            expected_due_date=date(2020, 2, 29),
        )
    with Session(engine) as s:
        row = queries.outcome_rows(s, OutcomeFilter(outcome_ids=(SW_OUTCOME,)))[0]
        log = activity.plan_changes(s, subject_id=SW_OUTCOME)
    assert row["due_date"] == date(2020, 4, 30)
    assert row["baseline_due_date"] == date(2020, 2, 29)
    assert row["slip_days"] == 61
    assert row["redate_count"] == 1
    assert log[0]["action"] == ChangeAction.REDATED
    assert log[0]["reason"] == "Waiting on the grant"


def test_redate_refuses_when_someone_moved_it_first(engine):
    with write_session(engine) as s:
        redate_outcome(
            session=s, actor=ADMIN, outcome_id=SW_OUTCOME, due_date=date(2020, 5, 31), reason="a"
        )
    with pytest.raises(UpdateRejected, match="Someone moved"), write_session(engine) as s:
        redate_outcome(
            session=s,
            actor=ADMIN,
            outcome_id=SW_OUTCOME,
            due_date=date(2020, 6, 30),
            reason="b",
            expected_due_date=date(2020, 2, 29),
        )
    assert get(engine, Outcome, SW_OUTCOME).due_date == date(2020, 5, 31)
    assert change_count(engine) == 1


def test_redate_keeps_open_status_forms_valid(engine):
    version = get(engine, Outcome, SW_OUTCOME).version
    with write_session(engine) as s:
        redate_outcome(
            session=s, actor=ADMIN, outcome_id=SW_OUTCOME, due_date=date(2021, 1, 31), reason="r"
        )
    with write_session(engine) as s:
        update_status(
            session=s,
            actor=LEAD,
            outcome_id=SW_OUTCOME,
            expected_version=version,
            new_status=Status.IN_PROGRESS,
        )


def test_reload_of_data_keeps_rebaselined_dates(engine, data_copy):
    with write_session(engine) as s:
        rebaseline(
            session=s,
            actor=ADMIN,
            logic_model_id="southwest",
            start_date=date(2025, 3, 1),
            reason="r",
        )
    before = dues(engine, "southwest")
    load_plan(engine, data_copy)
    assert dues(engine, "southwest") == before
    assert get(engine, LogicModel, "southwest").start_date == date(2025, 3, 1)


# ---- adding, editing, retiring -------------------------------------------------------


def test_add_a_new_workgroup_plan(engine):
    with write_session(engine) as s:
        lm = create_logic_model(
            session=s,
            actor=ADMIN,
            region_id="central",
            title="Youth host homes",
            start_date=date(2026, 1, 1),
            reason="New workgroup",
        )
        st = create_strategy(
            session=s,
            actor=ADMIN,
            logic_model_id=lm.id,
            need_id="minor-shelter",
            title="Host homes for youth",
            resources=["Host families", "Case managers"],
            tasks="Recruit host families\nTrain case managers",
            reason="New workgroup",
        )
        oc = create_outcome(
            session=s,
            actor=ADMIN,
            strategy_id=st.id,
            term="short",
            number="1",
            text="Recruit 5 host families",
            due_date=date(2026, 6, 30),
            reason="New workgroup",
        )
        ids = (lm.id, st.id, oc.id)
    assert ids == (
        "central-youth-host-homes",
        "central-youth-host-homes.host-homes-for-youth",
        "central-youth-host-homes.host-homes-for-youth.short.1",
    )
    with Session(engine) as s:
        row = queries.outcome_rows(s, OutcomeFilter(outcome_ids=(ids[2],)))[0]
        log = activity.plan_changes(s)
    assert row["region_id"] == "central" and row["need_id"] == "minor-shelter"
    assert row["due_date"] == row["baseline_due_date"] == date(2026, 6, 30)
    assert row["date_as_written"] == "6/30/2026"
    assert get(engine, type(st), ids[1]).tasks == ["Recruit host families", "Train case managers"]
    assert [c["action"] for c in log] == ["created"] * 3
    assert log[0]["after"]["text"] == "Recruit 5 host families"


def test_edit_records_before_and_after_and_refuses_stale_forms(engine):
    old = get(engine, Outcome, SW_OUTCOME)
    with write_session(engine) as s:
        entry = edit_item(
            session=s,
            actor=ADMIN,
            kind="outcome",
            item_id=SW_OUTCOME,
            changes={"text": "  A corrected   sentence. "},
            reason="Typo in the report",
            expected={"text": old.text},
        )
        assert entry.before == {"text": old.text}
        assert entry.after == {"text": "A corrected sentence."}
    new = get(engine, Outcome, SW_OUTCOME)
    assert new.text == "A corrected sentence."
    assert new.version == old.version + 1  # a status form opened on the old text is refused
    with pytest.raises(UpdateRejected, match="after you opened"), write_session(engine) as s:
        edit_item(
            session=s,
            actor=ADMIN,
            kind="outcome",
            item_id=SW_OUTCOME,
            changes={"text": "Other"},
            reason="r",
            expected={"text": old.text},
        )
    # an edit that changes nothing writes nothing
    with write_session(engine) as s:
        assert (
            edit_item(
                session=s,
                actor=ADMIN,
                kind="outcome",
                item_id=SW_OUTCOME,
                changes={"text": "A corrected sentence."},
                reason="r",
            )
            is None
        )
    assert change_count(engine) == 1


@pytest.mark.parametrize(
    ("kind", "changes", "message"),
    [
        ("outcome", {"text": ""}, "cannot be empty"),
        ("outcome", {"text": "x" * 100_000}, "keep it under"),
        ("outcome", {"text": "a\x00b"}, "NUL"),
        ("outcome", {"term": "eventually"}, "not a term"),
        ("outcome", {"due_date": date(2030, 1, 1)}, "cannot be edited here"),
        ("outcome", {"status": "Done"}, "cannot be edited here"),
        ("strategy", {"need_id": "unicorns"}, "no need"),
        ("logic_model", {"region_id": "atlantis"}, "no region"),
    ],
)
def test_edit_validation(engine, kind, changes, message):
    item = {
        "outcome": SW_OUTCOME,
        "strategy": "southwest.legal-services",
        "logic_model": "southwest",
    }
    with pytest.raises(UpdateRejected, match=message), write_session(engine) as s:
        edit_item(
            session=s, actor=ADMIN, kind=kind, item_id=item[kind], changes=changes, reason="r"
        )
    assert change_count(engine) == 0


def test_edit_keeps_right_to_left_text_and_emoji(engine):
    text = "تأمين سكن آمن للناجين 🏠"
    with write_session(engine) as s:
        edit_item(
            session=s,
            actor=ADMIN,
            kind="outcome",
            item_id=SW_OUTCOME,
            changes={"text": text},
            reason="r",
        )
    assert get(engine, Outcome, SW_OUTCOME).text == text


def test_retired_items_leave_views_and_rates_and_come_back(engine):
    with Session(engine) as s:
        total = sum(c["total"] for c in queries.completion(s, by=("region",)))
        sw_rows = len(queries.outcome_rows(s, OutcomeFilter(regions=("southwest",))))
    with write_session(engine) as s:
        set_retired(
            session=s,
            actor=ADMIN,
            kind="strategy",
            item_id="southwest.legal-services",
            retired=True,
            reason="Merged into the statewide legal services workgroup",
        )
    with Session(engine) as s:
        assert sum(c["total"] for c in queries.completion(s, by=("region",))) == total - 11
        assert len(queries.outcome_rows(s, OutcomeFilter(regions=("southwest",)))) == sw_rows - 11
        kept = queries.outcome_rows(s, OutcomeFilter(regions=("southwest",), include_retired=True))
        assert len(kept) == sw_rows  # kept, with their history
        log = activity.plan_changes(s, subject_id="southwest.legal-services")
    assert log[0]["action"] == ChangeAction.RETIRED
    with pytest.raises(UpdateRejected, match="already retired"), write_session(engine) as s:
        set_retired(
            session=s,
            actor=ADMIN,
            kind="strategy",
            item_id="southwest.legal-services",
            retired=True,
            reason="again",
        )
    with write_session(engine) as s:
        set_retired(
            session=s,
            actor=ADMIN,
            kind="strategy",
            item_id="southwest.legal-services",
            retired=False,
            reason="Workgroup resumed",
        )
    with Session(engine) as s:
        assert sum(c["total"] for c in queries.completion(s, by=("region",))) == total
    assert change_count(engine) == 2


def test_retired_logic_model_cannot_be_rebaselined(engine):
    with write_session(engine) as s:
        set_retired(
            session=s, actor=ADMIN, kind="logic_model", item_id="central", retired=True, reason="r"
        )
    with pytest.raises(UpdateRejected, match="retired"), write_session(engine) as s:
        rebaseline(
            session=s,
            actor=ADMIN,
            logic_model_id="central",
            start_date=date(2025, 1, 1),
            reason="r",
        )


def test_plan_change_log_is_append_only(engine):
    with write_session(engine) as s:
        redate_outcome(
            session=s, actor=ADMIN, outcome_id=SW_OUTCOME, due_date=date(2021, 1, 31), reason="r"
        )
    with Session(engine) as s:
        entry = s.exec(select(PlanChange)).one()
        entry.reason = "rewritten"
        s.add(entry)
        with pytest.raises(Exception, match="append-only"):
            s.commit()
        s.rollback()
        s.delete(s.exec(select(PlanChange)).one())
        with pytest.raises(Exception, match="append-only"):
            s.commit()
