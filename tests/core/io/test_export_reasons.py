"""The export's read-only reason columns (issue 14 item 5): latest note, evidence,
schedule and days overdue; the note only as the reader may see it; ignored by the import."""

from __future__ import annotations

import csv
import io
from datetime import date

from openpyxl import load_workbook
from sqlmodel import Session

from core.io import exports
from core.io.columns import EXPORT_COLUMNS
from core.io.exports import OUTPUT_ONLY_COLUMNS
from core.io.imports import import_file
from core.progress.filters import OutcomeFilter
from core.progress.queries import export_rows
from tests.core.progress.test_status_updates import ADMIN, SW_LEAD, SW_OUTCOME, save

REASON_COLUMNS = ("latest_note", "evidence_url", "schedule", "days_overdue")
TODAY = date(2030, 1, 1)  # after every due date of the seeded plan
SOUTHWEST = OutcomeFilter(logic_models=("southwest",), today=TODAY)


def rows(engine, *, members: bool) -> dict[str, dict]:
    with Session(engine) as session:
        return {r["outcome_id"]: r for r in export_rows(session, SOUTHWEST, members=members)}


def block(engine) -> None:
    save(
        engine,
        SW_LEAD,
        SW_OUTCOME,
        "Blocked",
        note="=Waiting on the county's data",
        evidence_url="https://example.org/letter",
    )


def test_columns_are_in_the_export_and_read_only():
    for name in REASON_COLUMNS:
        assert name in EXPORT_COLUMNS and name in OUTPUT_ONLY_COLUMNS
        assert name in exports.COLUMN_NOTES


def test_members_get_the_blocked_reason_schedule_and_days_overdue(engine):
    block(engine)
    row = rows(engine, members=True)[SW_OUTCOME]
    assert row["latest_note"] == "=Waiting on the county's data"
    assert row["evidence_url"] == "https://example.org/letter"
    assert row["schedule"] == "Overdue"
    assert row["days_overdue"] == (TODAY - date.fromisoformat(row["due_date"])).days > 0
    data = exports.to_csv([row]).decode("utf-8-sig")
    record = next(csv.DictReader(io.StringIO(data)))
    assert record["latest_note"] == "'=Waiting on the county's data"  # no formula
    assert record["days_overdue"] == str(row["days_overdue"])
    ws = load_workbook(io.BytesIO(exports.to_xlsx([row]))).active
    cells = {ws.cell(1, i).value: ws.cell(2, i).value for i in range(1, ws.max_column + 1)}
    assert cells["days_overdue"] == row["days_overdue"]
    assert cells["schedule"] == "Overdue"


def test_signed_out_readers_get_no_unpublished_note(engine):
    block(engine)
    row = rows(engine, members=False)[SW_OUTCOME]
    assert row["latest_note"] is None and row["evidence_url"] is None
    assert row["schedule"] == "Overdue"


def test_closed_and_open_outcomes_have_no_days_overdue(engine):
    save(engine, SW_LEAD, SW_OUTCOME, "Done")
    row = rows(engine, members=True)[SW_OUTCOME]
    assert (row["schedule"], row["days_overdue"]) == ("Closed", None)
    with Session(engine) as session:
        early = export_rows(session, OutcomeFilter(today=date(2000, 1, 1)))
    assert {r["schedule"] for r in early} <= {"On time", "Due soon", "Closed"}
    assert all(r["days_overdue"] is None for r in early)


def test_reimport_ignores_the_reason_columns(engine):
    block(engine)
    data = exports.to_csv(list(rows(engine, members=True).values()))
    report = import_file(engine, data, filename="southwest.csv", actor=ADMIN)
    assert report.errors == [] and report.applied
    assert not any(c["new"] or c["changed"] or c["retired"] for c in report.counts.values())
    assert report.plan is not None
    assert not any("ignored" in note for note in report.plan.notes)
