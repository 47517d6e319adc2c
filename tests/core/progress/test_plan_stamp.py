"""The plan stamp: the part of the data stamp that only a change of the plan moves, so
reference data keyed on it (ui/data.py: regions, needs, logic models, strategies,
flags) is not rebuilt after every status save, and is after a plan edit."""

from __future__ import annotations

from sqlmodel import Session, select

from core.models import Role, Status
from core.people.permissions import Actor
from core.plan.editing import edit_item
from core.progress.queries import data_stamp, plan_stamp
from core.progress.updates import update_status
from core.store.db import write_session

OUTCOME = "southwest.legal-services.short.1"
STRATEGY = "southwest.legal-services"
ADMIN = Actor(user_id=1, username="ada", display_name="Ada", role=Role.ADMIN)


def stamps(engine) -> tuple[tuple, tuple]:
    with Session(engine) as session:
        full = data_stamp(session)
    return full, plan_stamp(full)


def save_status(engine, status: Status) -> None:
    """A lead's status save on the fresh plan's OUTCOME (version 1)."""
    with write_session(engine) as s:
        update_status(
            session=s,
            actor=ADMIN,
            outcome_id=OUTCOME,
            expected_version=1,
            new_status=status.value,
            note="saved",
        )


def record_a_value(engine, value: float) -> None:
    """An admin records `value` for the plan's first measure."""
    from datetime import date

    from core.measures.values import record_value
    from core.models import Measure

    with Session(engine) as session:
        measure = session.exec(select(Measure)).first()
        assert measure is not None
        measure_id = measure.id
    with write_session(engine) as s:
        record_value(
            session=s,
            actor=ADMIN,
            measure_id=measure_id,
            value=value,
            as_of=date(2021, 1, 4),
            today=date(2026, 12, 1),
        )


def test_plan_stamp_stays_on_status_save_and_moves_on_plan_edit(engine):
    full, plan = stamps(engine)
    save_status(engine, Status.IN_PROGRESS)
    saved_full, saved_plan = stamps(engine)
    assert saved_full != full  # every cached result of the page is read again
    assert saved_plan == plan  # the reference data is not

    with write_session(engine) as s:
        entry = edit_item(
            session=s,
            actor=ADMIN,
            kind="strategy",
            item_id=STRATEGY,
            changes={"tasks": "Meet the county's legal aid office."},
            reason="bench: plan stamp",
        )
    assert entry is not None
    edited_full, edited_plan = stamps(engine)
    assert edited_full != saved_full
    assert edited_plan != saved_plan


def test_data_stamp_moves_when_a_value_is_recorded_or_a_link_changes(engine):
    """Evaluation, Partners and the measures' views are cached on the data stamp: a
    recorded value (it moved nothing before: figures stayed stale for ten minutes) and
    a reload's new organisation link must move it; neither is a plan change for the
    reference data beyond the links."""
    from core.models import StrategyOrganisation

    full, plan = stamps(engine)
    record_a_value(engine, 1)
    valued_full, valued_plan = stamps(engine)
    assert valued_full != full and valued_plan == plan

    with write_session(engine) as s:
        s.add(StrategyOrganisation(strategy_id=STRATEGY, resource_index=0, organisation_id="cate"))
    linked_full, linked_plan = stamps(engine)
    assert linked_full != valued_full and linked_plan != valued_plan


def _version(engine) -> int:
    from core.models import Outcome

    with Session(engine) as session:
        outcome = session.get(Outcome, OUTCOME)
        assert outcome is not None
        return outcome.version


def test_data_stamp_moves_with_every_change_to_an_outcome(engine):
    """Issue 15: the stamp reads indexes only, no longer summing every outcome's version
    and time (15 ms a run at 100,000 outcomes); each way an outcome changes still moves
    it, through the status update or the plan change it leaves."""
    from datetime import date

    from core.plan.redating import rebaseline, redate_outcome
    from core.progress.updates import check_in, revert_update

    def changes(write, *, of_the_plan: bool = False) -> bool:
        """Whether the write moved the data stamp; and its plan part exactly when it
        changed the plan (the Timeline's tree and the reference data are keyed on it)."""
        before, before_plan = stamps(engine)
        version = _version(engine)
        with write_session(engine) as s:
            write(s, version)
        after, after_plan = stamps(engine)
        assert (after_plan != before_plan) == of_the_plan
        return after != before

    assert changes(
        lambda s, v: update_status(
            session=s,
            actor=ADMIN,
            outcome_id=OUTCOME,
            expected_version=v,
            new_status=Status.IN_PROGRESS.value,
            note="started",
        )
    )
    assert changes(
        lambda s, v: check_in(session=s, actor=ADMIN, outcome_id=OUTCOME, expected_version=v)
    )
    from core.models import StatusUpdate

    with Session(engine) as session:
        latest = max(u.id for u in session.exec(select(StatusUpdate)).all())
    assert changes(
        lambda s, v: revert_update(
            session=s, actor=ADMIN, status_update_id=latest, expected_version=v
        )
    )
    assert changes(
        lambda s, v: edit_item(
            session=s,
            actor=ADMIN,
            kind="outcome",
            item_id=OUTCOME,
            changes={"text": "Reworded outcome."},
            reason="stamp test",
        ),
        of_the_plan=True,
    )
    assert changes(
        lambda s, v: redate_outcome(
            session=s,
            actor=ADMIN,
            outcome_id=OUTCOME,
            due_date=date(2022, 3, 31),
            reason="the county started later",
        ),
        of_the_plan=True,
    )
    assert changes(
        lambda s, v: rebaseline(
            session=s,
            actor=ADMIN,
            start_date=date(2020, 1, 1),
            reason="real start",
            region_id="southwest",
        ),
        of_the_plan=True,
    )


def test_measures_stamp_stays_on_a_status_save_and_moves_with_a_value(engine):
    """Issue 15: the measures' rows (20,000 at 100,000 outcomes, seconds to read) are
    keyed on the plan and the values: a status save no longer reads them again."""
    from core.progress.queries import measures_stamp

    def measures_part() -> tuple:
        return measures_stamp(stamps(engine)[0])

    before = measures_part()
    save_status(engine, Status.DONE)
    assert measures_part() == before
    record_a_value(engine, 2)
    assert measures_part() != before
