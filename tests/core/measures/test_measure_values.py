"""Recording and undoing measure values (core/measures/values.py), and reading them
back with their state (core/measures/queries.py), on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from core.errors import UpdateRejected
from core.measures import queries
from core.measures.state import MeasureState
from core.measures.values import record_value, undo_value
from core.models import Measure, MeasureValue, Outcome, Role
from core.people.permissions import ANONYMOUS_VIEWER, Actor, PermissionDenied
from core.progress.filters import OutcomeFilter
from core.store import chain

TODAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
STAKEHOLDERS = "st-louis.adult-shelter.short.1.stakeholders"  # range 3-5, due 6/2020
KC_SURVIVORS = "kansas-city.survivors-served"
ADMIN = Actor(user_id=1, username="ada", display_name="Ada", role=Role.ADMIN)
STL_LEAD = Actor(
    user_id=2,
    username="sam",
    display_name="Sam",
    role=Role.LEAD,
    region_ids=frozenset({"st-louis"}),
    scope_labels=("St. Louis",),
)
KC_STRATEGY_LEAD = Actor(
    user_id=3,
    username="kim",
    display_name="Kim",
    role=Role.LEAD,
    strategy_ids=frozenset({"kansas-city.legal-services"}),
    scope_labels=("Legal Services (Kansas City)",),
)
VIEWER = Actor(user_id=4, username="val", display_name="Val", role=Role.VIEWER)


def record(session: Session, measure_id: str = STAKEHOLDERS, actor: Actor = STL_LEAD, **kw):
    args = dict(value=4, as_of=date(2026, 11, 30), note="", evidence_url=None) | kw
    return record_value(
        session=session, actor=actor, measure_id=measure_id, today=TODAY, now=NOW, **args
    )


def values(session: Session) -> list[MeasureValue]:
    return list(session.exec(select(MeasureValue).order_by(MeasureValue.id)).all())


def test_record_value_writes_every_field(session):
    entry = record(
        session, value="4", note="  Met with four  ", evidence_url="HTTPS://Example.org/a"
    )
    session.commit()
    [row] = values(session)
    assert (row.id, row.measure_id, row.value, row.as_of) == (
        entry.id,
        STAKEHOLDERS,
        4.0,
        date(2026, 11, 30),
    )
    assert (row.recorded_by, row.note, row.evidence_url) == (
        "sam",
        "Met with four",
        "https://example.org/a",
    )
    assert row.recorded_at == NOW and row.reverts_id is None and len(row.chain_hash or "") == 64
    report = chain.verify_connection(session.connection())
    assert report.ok, report.summary()
    assert report.rows["measure_value"] == 1


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"value": 2.5}, "value: a count measure takes whole numbers \\(stakeholders\\), not 2.5"),
        ({"value": -1}, "value: a count measure takes values at least 0, not -1"),
        ({"value": "many"}, "value: “many” is not a number"),
        ({"value": ""}, "value: enter a number"),
        ({"value": None}, "value: enter a number"),
        ({"value": float("nan")}, "value: enter a finite number"),
        ({"as_of": date(2026, 12, 2)}, "as-of date: 2026-12-02 is in the future"),
        ({"as_of": date(1989, 12, 31)}, "as-of date: 1989-12-31 is before 1990"),
        ({"as_of": "2026-11-30"}, "as-of date: choose the date"),
        ({"note": "a\x00b"}, "note: it contains a NUL character"),
        ({"note": "x" * 5_001}, "note: 5,001 characters"),
        ({"evidence_url": "javascript:alert(1)"}, "evidence link must be a full web address"),
    ],
)
def test_record_value_bad_input_refused_naming_the_field(session, kw, message):
    with pytest.raises(UpdateRejected, match=message):
        record(session, **kw)
    session.rollback()
    assert values(session) == []


@pytest.mark.parametrize(
    ("kind", "good", "bad", "message"),
    [
        ("percentage", 99.5, 100.5, "between 0 and 100"),
        ("yes/no", True, 2, "takes 1 \\(yes\\) or 0 \\(no\\)"),
        ("money", 1234.56, -0.01, "at least 0"),
    ],
)
def test_record_value_checked_for_the_measures_kind(session, kind, good, bad, message):
    measure = session.get(Measure, STAKEHOLDERS)
    measure.kind = kind
    session.add(measure)
    session.flush()
    assert record(session, value=good).value == float(good)
    with pytest.raises(UpdateRejected, match=message):
        record(session, value=bad)


@pytest.mark.parametrize(
    ("actor", "measure_id", "message"),
    [
        (ANONYMOUS_VIEWER, STAKEHOLDERS, "Sign in to update outcomes"),
        (VIEWER, STAKEHOLDERS, "Viewers cannot update outcomes"),
        (STL_LEAD, KC_SURVIVORS, "You can update outcomes of St. Louis only"),
        (KC_STRATEGY_LEAD, KC_SURVIVORS, "Legal Services \\(Kansas City\\) only"),
        (KC_STRATEGY_LEAD, STAKEHOLDERS, "Legal Services \\(Kansas City\\) only"),
    ],
)
def test_record_value_outside_scope_refused(session, actor, measure_id, message):
    with pytest.raises(PermissionDenied, match=message):
        record(session, measure_id, actor)
    session.rollback()
    assert values(session) == []


def test_record_value_in_scope_of_strategy_region_and_admin(session):
    record(session, "kansas-city.legal-services.long.2.pro-bono-attorneys", KC_STRATEGY_LEAD)
    record(session, KC_SURVIVORS, ADMIN, value=130)
    record(session, "st-louis.survivors-served", STL_LEAD, value=60)
    assert len(values(session)) == 3


def test_record_value_retired_or_unknown_refused(session):
    with pytest.raises(UpdateRejected, match="There is no measure 'nope'"):
        record(session, "nope")
    outcome = session.get(Outcome, "st-louis.adult-shelter.short.1")
    outcome.retired = True
    session.add(outcome)
    session.flush()
    with pytest.raises(UpdateRejected, match="outcome has been retired"):
        record(session)
    measure = session.get(Measure, KC_SURVIVORS)
    measure.retired = True
    session.add(measure)
    session.flush()
    with pytest.raises(UpdateRejected, match="This measure has been retired"):
        record(session, KC_SURVIVORS, ADMIN)


def test_undo_value_writes_a_compensating_entry(session):
    first = record(session, value=3, as_of=date(2026, 10, 1))
    second = record(session, value=6, as_of=date(2026, 11, 1))
    undo = undo_value(session=session, actor=STL_LEAD, value_id=second.id, now=NOW)
    assert (undo.reverts_id, undo.value, undo.as_of, undo.recorded_by) == (
        second.id,
        6.0,
        date(2026, 11, 1),
        "sam",
    )
    assert undo.note == f"Undo of value #{second.id} (6 as of 2026-11-01)."
    counted = queries.counted_values(session, [STAKEHOLDERS])[STAKEHOLDERS]
    assert [p.id for p in counted] == [first.id]  # the undone value and the undo left out
    assert len(values(session)) == 3  # nothing deleted
    with pytest.raises(UpdateRejected, match=f"#{second.id} has already been undone"):
        undo_value(session=session, actor=STL_LEAD, value_id=second.id)
    with pytest.raises(UpdateRejected, match="This entry is an undo"):
        undo_value(session=session, actor=STL_LEAD, value_id=undo.id)
    with pytest.raises(UpdateRejected, match="There is no recorded value #999"):
        undo_value(session=session, actor=STL_LEAD, value_id=999)
    with pytest.raises(PermissionDenied):
        undo_value(session=session, actor=KC_STRATEGY_LEAD, value_id=first.id)


def test_measure_values_append_only(session):
    record(session)
    session.commit()
    for statement in ("UPDATE measure_value SET value = 1", "DELETE FROM measure_value"):
        with pytest.raises(DBAPIError, match="measure history is append-only"):
            session.execute(text(statement))
        session.rollback()
    assert len(values(session)) == 1


# --- reading measures with their state ---------------------------------------------


def by_id(rows) -> dict[str, queries.MeasureRow]:
    return {r.measure.id: r for r in rows}


def test_measures_with_latest_value_and_state(session):
    rows = by_id(queries.measures(session, OutcomeFilter(), today=TODAY))
    assert len(rows) == 21
    stake = rows[STAKEHOLDERS]
    assert (stake.subject, stake.region_id, stake.by) == ("outcome", "st-louis", date(2020, 6, 30))
    assert stake.state == MeasureState.OFF_TRACK  # no value, long past its outcome's date
    assert rows[KC_SURVIVORS].state == MeasureState.NO_TARGET
    assert rows[KC_SURVIVORS].measure.baseline_value == 119
    record(session, value=2, as_of=date(2026, 1, 1))
    record(session, value=4, as_of=date(2026, 6, 1))
    record(session, value=1, as_of=date(2025, 1, 1))  # recorded late, an older date
    stake = by_id(queries.measures(session, OutcomeFilter(), today=TODAY))[STAKEHOLDERS]
    assert [p.value for p in stake.values] == [1, 2, 4]
    assert stake.latest.value == 4 and stake.state == MeasureState.ON_TRACK


def test_measures_follow_the_shared_filters(session):
    def ids(**kw):
        return set(by_id(queries.measures(session, OutcomeFilter(**kw), today=TODAY)))

    stl = ids(regions=("st-louis",))
    assert stl == {
        STAKEHOLDERS,
        "st-louis.mental-healthcare.short.1.professionals",
        "st-louis.legal-services.short.1.professionals",
        "st-louis.legal-services.medium.2.legal-issues",
        "st-louis.survivors-served",
    }
    legal = ids(needs=("legal-services",))
    assert "st-louis.survivors-served" not in legal and len(legal) == 5
    assert ids(regions=("st-louis",), terms=("medium",)) == {
        "st-louis.legal-services.medium.2.legal-issues"
    }
    assert ids(search="stakeholders") == {STAKEHOLDERS}
    assert ids(regions=("metro-east",)) == set()
