"""Progress against plan over time (core.progress.burnup): Done from the status
history against due on current and on the report's dates, by month; statewide, per
region and per need; on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest
from sqlmodel import Session, col, select

from core.models import Outcome, Status, StatusUpdate
from core.progress.burnup import burnup, period_key, period_sql, standing
from core.progress.filters import OutcomeFilter

TODAY = date(2021, 6, 15)
SW = "southwest.legal-services.short.1"  # due in the report's first months
SW_2 = "southwest.legal-services.short.2"
PLAN = 248


def move(
    session: Session, outcome_id: str, new: str, when: datetime, reverts: int | None = None
) -> StatusUpdate:
    """A status update as the tracker writes it: history entry and the outcome's status."""
    outcome = session.get(Outcome, outcome_id)
    assert outcome is not None
    entry = StatusUpdate(
        outcome_id=outcome_id,
        changed_at=when,
        changed_by="ada",
        old_status=outcome.status,
        new_status=new,
        reverts_id=reverts,
    )
    outcome.status = new
    session.add_all([entry, outcome])
    session.commit()
    return entry


def at(frame: pd.DataFrame, month: str, key: str = "") -> dict:
    rows = frame[(frame["month"] == pd.Timestamp(month)) & (frame["key"] == key)]
    assert len(rows) == 1, (month, key)
    return rows.iloc[0].to_dict()


def done_by_month(frame: pd.DataFrame, key: str = "") -> dict[str, int | None]:
    d = frame[frame["key"] == key]
    return {
        f"{m:%Y-%m}": (None if pd.isna(v) else int(v))
        for m, v in zip(d["month"], d["done"], strict=True)
    }


def test_burnup_without_history_is_due_lines_only(session):
    frame = burnup(session, today=TODAY)

    now = at(frame, "2021-06-01")
    assert now["done"] == 0
    assert frame["due_current"].is_monotonic_increasing
    assert frame["due_current"].iloc[-1] == PLAN  # every outcome has a due date
    assert frame["due_report"].iloc[-1] == PLAN
    assert list(frame["label"].unique()) == ["All outcomes"]


def test_done_counts_until_undone(session):
    done = move(session, SW, Status.DONE.value, datetime(2021, 3, 10, tzinfo=UTC))
    move(session, SW, Status.IN_PROGRESS.value, datetime(2021, 5, 2, tzinfo=UTC), done.id)

    months = done_by_month(burnup(session, today=TODAY))
    assert [months[m] for m in ("2021-02", "2021-03", "2021-04", "2021-05", "2021-06")] == [
        0,
        1,
        1,
        0,
        0,
    ]


def test_done_to_done_and_reopening_count_once(session):
    move(session, SW, Status.DONE.value, datetime(2021, 1, 5, tzinfo=UTC))
    move(session, SW, Status.DONE.value, datetime(2021, 1, 6, tzinfo=UTC))  # a note
    move(session, SW_2, Status.BLOCKED.value, datetime(2021, 1, 7, tzinfo=UTC))
    move(session, SW_2, Status.DONE.value, datetime(2021, 2, 1, tzinfo=UTC))
    move(session, SW, Status.IN_PROGRESS.value, datetime(2021, 4, 1, tzinfo=UTC))  # reopened
    move(session, SW, Status.DONE.value, datetime(2021, 4, 20, tzinfo=UTC))

    months = done_by_month(burnup(session, today=TODAY))
    assert [months[m] for m in ("2021-01", "2021-02", "2021-03", "2021-04")] == [1, 2, 2, 2]


def test_done_stops_at_this_month(session):
    move(session, SW, Status.DONE.value, datetime(2021, 3, 10, tzinfo=UTC))

    months = done_by_month(burnup(session, today=TODAY))
    assert months["2021-06"] == 1
    assert months["2021-07"] is None  # the future is not known
    assert max(months) > "2021-07"  # the due lines run on to the last due date


def test_redated_outcome_moves_current_line_not_the_reports(session):
    before = burnup(session, today=TODAY)
    outcome = session.get(Outcome, SW)
    assert outcome is not None
    old_month = f"{outcome.due_date:%Y-%m}-01"
    outcome.due_date = date(2030, 6, 30)  # re-dated past the plan's end
    session.add(outcome)
    session.commit()

    after = burnup(session, today=TODAY)
    assert at(after, old_month)["due_current"] == at(before, old_month)["due_current"] - 1
    assert at(after, old_month)["due_report"] == at(before, old_month)["due_report"]
    assert at(after, "2030-05-01")["due_current"] == PLAN - 1
    assert at(after, "2030-06-01")["due_current"] == PLAN


def test_dropped_is_not_due_and_retired_is_left_out(session):
    move(session, SW, Status.DROPPED.value, datetime(2021, 2, 1, tzinfo=UTC))
    retired = session.get(Outcome, SW_2)
    assert retired is not None
    move(session, SW_2, Status.DONE.value, datetime(2021, 2, 1, tzinfo=UTC))
    retired.retired = True
    session.add(retired)
    session.commit()

    frame = burnup(session, today=TODAY)
    assert frame["due_current"].iloc[-1] == PLAN - 2
    assert frame["due_report"].iloc[-1] == PLAN - 2
    assert at(frame, "2021-06-01")["done"] == 0  # the retired outcome's Done is gone too


def test_per_region_and_per_need(session):
    move(session, SW, Status.DONE.value, datetime(2021, 3, 10, tzinfo=UTC))

    regions = burnup(session, today=TODAY, by="region")
    now = standing(regions, TODAY).set_index("key")
    assert list(now["label"])[:2] == ["State", "St. Louis"]  # the plan's order
    assert now.loc["southwest", "done"] == 1
    assert now["done"].drop("southwest").sum() == 0
    totals = regions.groupby("key")["due_current"].max()
    assert totals["southwest"] == 32 and totals.sum() == PLAN

    needs = standing(burnup(session, today=TODAY, by="need"), TODAY).set_index("key")
    assert needs.loc["legal-services", "done"] == 1
    assert needs["done"].sum() == 1


def test_filter_is_honoured(session):
    move(session, SW, Status.DONE.value, datetime(2021, 3, 10, tzinfo=UTC))
    flt = OutcomeFilter(regions=("central",))

    frame = burnup(session, flt, today=TODAY, by="region")
    assert set(frame["key"]) == {"central"}
    assert frame["due_current"].iloc[-1] == 21
    assert int(frame["done"].max()) == 0
    assert burnup(session, OutcomeFilter(search="zzzznotfound"), today=TODAY).empty


@pytest.mark.parametrize("period", ["month", "quarter"])
def test_period_in_sql_and_python_agree(session, period):
    stmt = select(
        col(Outcome.due_date), period_sql(col(Outcome.due_date), _dialect(session), period)
    )
    rows = session.exec(stmt.limit(60)).all()
    assert rows
    assert all(key == period_key(day, period) for day, key in rows)
    assert period_key(date(2026, 12, 1), "quarter") == "2026-Q4"


@pytest.mark.parametrize("period", ["month", "quarter"])
def test_period_of_a_time_in_sql_and_python_agree(session, period):
    """Times at the edges of months and quarters, as the history stores them (UTC)."""
    times = [
        datetime(2020, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2021, 1, 1, 0, 0, tzinfo=UTC),
        datetime(2021, 3, 31, 23, 0, tzinfo=UTC),
        datetime(2021, 4, 1, 0, 0, 1, tzinfo=UTC),
        datetime(2021, 9, 30, 12, 0, tzinfo=UTC),
        datetime(2021, 10, 1, 0, 0, tzinfo=UTC),
    ]
    for when in times:
        move(session, SW, Status.IN_PROGRESS.value, when)
    session.commit()
    stmt = select(
        col(StatusUpdate.changed_at),
        period_sql(col(StatusUpdate.changed_at), _dialect(session), period),
    ).order_by(col(StatusUpdate.id))
    got = [key for _, key in session.exec(stmt).all()]
    assert got == [period_key(when.date(), period) for when in times]


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def test_limit_keeps_the_first_groups_and_counts_them_all(session):
    frame = burnup(session, today=TODAY, by="region", limit=2)

    assert list(frame["label"].unique()) == ["State", "St. Louis"]
    assert frame.attrs["groups"] == 9


@pytest.mark.parametrize("by", [None, "region", "need"])
@pytest.mark.parametrize(
    "flt",
    [OutcomeFilter(), OutcomeFilter(regions=("southwest",)), OutcomeFilter(statuses=("Done",))],
    ids=["all", "southwest", "by-status"],
)
def test_live_steps_are_the_steps_of_the_whole_history(engine, by, flt) -> None:
    """Issue 15: the burn-up's steps kept current by a server (the Done steps of each
    save added to those before; the due counts the plan's less the Dropped outcomes')
    are those read from the whole history, after any run of saves, undos and drops,
    and so is the burn-up drawn from them."""
    import random

    from core.progress.burnup import LiveSteps, steps_of
    from tests.core.progress.test_tally import random_change

    today = date(2021, 6, 1)
    live = LiveSteps(flt, by)
    with Session(engine) as session:
        ids = sorted(session.exec(select(Outcome.id)).all())
        assert dict(live.steps(session)) == dict(steps_of(session, flt, by))
    rng = random.Random(15)
    for _ in range(8):
        for _ in range(rng.choice([1, 2, 5])):
            random_change(engine, rng, ids)
        with Session(engine) as session:
            kept = live.steps(session)
            assert dict(kept) == dict(steps_of(session, flt, by))
            pd.testing.assert_frame_equal(
                burnup(session, flt, today=today, by=by, steps=kept),
                burnup(session, flt, today=today, by=by),
            )
