"""Measure values as files (core/io/measure_values.py): the export and its privacy,
the all-or-nothing import with a refusal per bad cell naming its row and column,
and duplicates skipped, on both backends."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from core.io import measure_values as mv
from core.measures.values import record_value
from core.models import Measure, MeasureValue, Outcome, Role
from core.people.permissions import Actor
from core.progress.filters import OutcomeFilter

TODAY = date(2026, 12, 1)
STAKEHOLDERS = "st-louis.adult-shelter.short.1.stakeholders"  # count, range 3-5
STL_OUTCOME = "st-louis.adult-shelter.short.1"
KC_SURVIVORS = "kansas-city.survivors-served"
STL_LEAD = Actor(
    user_id=2,
    username="sam",
    display_name="Sam",
    role=Role.LEAD,
    region_ids=frozenset({"st-louis"}),
    scope_labels=("St. Louis",),
)
VIEWER = Actor(user_id=4, username="val", display_name="Val", role=Role.VIEWER)
GOOD = {"measure_id": STAKEHOLDERS, "value": "4", "as_of": "2026-11-30"}


@pytest.fixture
def kinds(session: Session) -> Session:
    """A percentage, a yes/no and a money measure on a St. Louis outcome."""
    for kind in ("percentage", "yes/no", "money"):
        session.add(
            Measure(
                id=f"test.{kind.replace('/', '-')}", outcome_id=STL_OUTCOME, name=kind, kind=kind
            )
        )
    session.commit()
    return session


def csv_file(*rows: dict) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=mv.COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode()


def run(session: Session, content: bytes, actor: Actor = STL_LEAD, name: str = "v.csv"):
    session.commit()  # end the test's read transaction: the import opens its own
    engine = session.get_bind()
    return mv.import_values(engine, content, actor=actor, today=TODAY, filename=name)


def recorded(session: Session) -> list[MeasureValue]:
    session.expire_all()
    return list(session.exec(select(MeasureValue).order_by(MeasureValue.id)).all())


def record(session: Session, measure_id=STAKEHOLDERS, value=4, note="Met four", url=None):
    record_value(
        session=session,
        actor=STL_LEAD,
        measure_id=measure_id,
        value=value,
        as_of=date(2026, 11, 30),
        today=TODAY,
        note=note,
        evidence_url=url,
    )
    session.commit()


def test_import_records_every_new_value(session):
    report = run(
        session, csv_file(GOOD | {"note": " Met four ", "evidence_url": "https://a.org/x"})
    )
    assert report.ok and report.applied, report.lines()
    [entry] = recorded(session)
    assert (entry.measure_id, entry.value, entry.as_of, entry.recorded_by) == (
        STAKEHOLDERS,
        4.0,
        date(2026, 11, 30),
        "sam",
    )
    assert (entry.note, entry.evidence_url) == ("Met four", "https://a.org/x")
    assert report.lines()[0] == "Imported v.csv: recorded 1 new value."


def test_dry_run_writes_nothing(session):
    engine = session.get_bind()
    report = mv.import_values(
        engine, csv_file(GOOD), actor=STL_LEAD, today=TODAY, filename="v.csv", dry_run=True
    )
    assert report.ok and not report.applied and len(report.planned) == 1
    assert "nothing was changed yet" in report.lines()[0]
    assert recorded(session) == []


BAD = [
    ({"value": "four"}, "value", "not a number"),
    ({"value": ""}, "value", "empty"),
    ({"value": "nan"}, "value", "not a number"),
    ({"value": "2.5"}, "value", "whole numbers"),
    ({"value": "-1"}, "value", "at least 0"),
    ({"measure_id": "test.percentage", "value": "120"}, "value", "between 0 and 100"),
    ({"measure_id": "test.yes-no", "value": "maybe"}, "value", "not a number"),
    ({"measure_id": "test.yes-no", "value": "2"}, "value", "1 (yes) or 0 (no)"),
    ({"measure_id": "test.money", "value": "-5"}, "value", "at least 0"),
    ({"as_of": "2026-12-02"}, "as_of", "2026-12-02 is in the future"),
    ({"as_of": "next week"}, "as_of", "unparseable date"),
    ({"as_of": ""}, "as_of", "empty"),
    ({"measure_id": "no.such.measure"}, "measure_id", "unknown measure id"),
    ({"measure_id": ""}, "measure_id", "empty"),
    ({"measure_id": KC_SURVIVORS}, "measure_id", "outside your scope: You can update"),
    ({"outcome_id": "st-louis.other"}, "outcome_id", f"belongs to outcome {STL_OUTCOME}"),
    ({"evidence_url": "not a link"}, "evidence_url", "evidence link"),
]


@pytest.mark.parametrize(("change", "column", "reason"), BAD)
def test_bad_cell_refused_naming_row_and_column_nothing_written(kinds, change, column, reason):
    report = run(kinds, csv_file(GOOD, GOOD | {"as_of": "2026-11-01"} | change))
    assert not report.ok and not report.applied
    [error] = report.errors
    assert (error.row, error.column) == (3, column), report.lines()
    assert reason in error.reason
    assert report.lines()[0] == "v.csv: 1 row with problems; nothing was imported."
    assert recorded(kinds) == []  # the good row 2 is not written either


@pytest.mark.parametrize("retire", ["outcome", "measure"])
def test_value_for_a_retired_outcome_or_measure_refused(session, retire):
    item = session.get(Outcome, STL_OUTCOME) if retire == "outcome" else None
    item = item or session.get(Measure, STAKEHOLDERS)
    item.retired = True
    session.commit()
    report = run(session, csv_file(GOOD))
    [error] = report.errors
    assert (error.row, error.column) == (2, "measure_id")
    assert f"{retire} has been retired" in error.reason
    assert recorded(session) == []


def test_every_problem_of_every_row_reported(session):
    report = run(session, csv_file(GOOD | {"value": "x", "as_of": "2030-01-01"}, {"value": "1"}))
    assert [(e.row, e.column) for e in report.errors] == [
        (2, "value"),
        (2, "as_of"),
        (3, "measure_id"),
        (3, "as_of"),
    ]
    assert report.lines()[0].startswith("v.csv: 2 rows with problems")


def test_yes_no_takes_yes_no_and_one_zero(kinds):
    rows = [
        {"measure_id": "test.yes-no", "value": v, "as_of": f"2026-11-{d:02}"}
        for d, v in enumerate(["yes", "No", "1", "0"], start=1)
    ]
    report = run(kinds, csv_file(*rows))
    assert report.ok, report.lines()
    assert [v.value for v in recorded(kinds)] == [1.0, 0.0, 1.0, 0.0]


def test_viewer_cannot_import(session):
    report = run(session, csv_file(GOOD), actor=VIEWER)
    [error] = report.errors
    assert error.row is None and "Only workgroup leads and admins" in error.reason
    assert recorded(session) == []


def test_file_without_required_columns_refused(session):
    report = run(session, b"measure_id,value\r\nx,1\r\n")
    [error] = report.errors
    assert "lacks required column: as_of" in error.reason


def test_unreadable_file_refused(session):
    report = run(session, b"", name="v.csv")
    assert not report.ok and "is empty" in report.errors[0].reason


def test_apply_raises_so_the_transaction_writes_nothing(session):
    rows = [GOOD, GOOD | {"value": "x"}]
    raw = [{k: r.get(k) for k in mv.COLUMNS} for r in rows]
    with pytest.raises(mv.ValuesRejected) as caught:
        mv.apply(session, raw, actor=STL_LEAD, today=TODAY, filename="v.csv")
    assert caught.value.report.errors[0].row == 3
    assert "nothing was imported" in str(caught.value)
    session.rollback()
    assert recorded(session) == []


def test_duplicates_in_the_file_and_the_database_skipped_and_reported(session):
    record(session)
    report = run(session, csv_file(GOOD, GOOD | {"value": "5"}, GOOD | {"value": "5"}))
    assert report.ok and report.applied
    assert [v.value for v in recorded(session)] == [4.0, 5.0]
    assert report.lines() == [
        "Imported v.csv: recorded 1 new value.",
        f"row 2: {STAKEHOLDERS}, 4 as of 2026-11-30: already recorded; skipped.",
        f"row 4: {STAKEHOLDERS}, 5 as of 2026-11-30: repeats row 3; skipped.",
    ]


def test_export_holds_counted_values_with_notes_for_members(session):
    record(session, note="Met four", url="https://a.org/x")
    record(session, value=5, note="=cmd")
    [first, second] = mv.export_rows(session, OutcomeFilter(), today=TODAY, members=True)
    assert first == {
        "measure_id": STAKEHOLDERS,
        "measure": session.get(Measure, STAKEHOLDERS).name,
        "outcome_id": STL_OUTCOME,
        "value": 4.0,
        "as_of": date(2026, 11, 30),
        "recorded_by": "sam",
        "note": "Met four",
        "evidence_url": "https://a.org/x",
    }
    text = mv.to_csv([first, second]).decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(mv.COLUMNS)
    assert ",4,2026-11-30,sam,Met four," in text
    assert ",'=cmd," in text  # never read as a formula


def test_signed_out_export_holds_no_notes_evidence_or_names(session):
    record(session, note="Met Jane at the shelter", url="https://a.org/x")
    [row] = mv.export_rows(session, OutcomeFilter(), today=TODAY, members=False)
    assert (row["note"], row["evidence_url"], row["recorded_by"]) == ("", "", "a member")
    for content in (mv.to_csv([row]), mv.to_xlsx([row])):
        assert b"Jane" not in content and b"a.org" not in content


def test_export_follows_the_filter(session):
    record(session)
    flt = OutcomeFilter(regions=("kansas-city",))
    assert mv.export_rows(session, flt, today=TODAY, members=True) == []


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_round_trip_export_then_import_skips_every_row(session, fmt):
    record(session)
    record(session, value=5)
    rows = mv.export_rows(session, OutcomeFilter(), today=TODAY, members=True)
    content = mv.to_csv(rows) if fmt == "csv" else mv.to_xlsx(rows)
    report = run(session, content, name=f"values.{fmt}")
    assert report.ok and report.applied and report.planned == []
    assert [why for _, why in report.skipped] == ["already recorded"] * 2
    assert len(recorded(session)) == 2
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(content)).worksheets[0]
        assert sheet["D2"].value == 4 and sheet["E2"].is_date


def test_excel_export_holds_a_note_with_control_characters(session):
    record(session, note="line\x01break")
    rows = mv.export_rows(session, OutcomeFilter(), today=TODAY, members=True)
    sheet = load_workbook(io.BytesIO(mv.to_xlsx(rows))).worksheets[0]
    assert sheet["G2"].value == "line\ufffdbreak"
