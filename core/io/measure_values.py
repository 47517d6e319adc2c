"""Measure values as files: the values of the measures a filter selects as CSV or
Excel, and new values imported from such a file, all or nothing.

The export holds each value that counts (undone ones left out) with its measure and
outcome; who recorded it, its note and its evidence link follow the privacy rule of
`core.progress.notes` (a measure value is never published, so a file made for a
signed-out visitor holds neither notes nor evidence, and "a member" for who).

The import follows the plan import's stages (`core.io.imports`): `read_table` reads
the file, `cells` cleans each cell, every problem is reported with its row and
column, and nothing is written unless every row passes; then each value is recorded
through `core.measures.values.record_value` (the same checks and permissions as the
Record form) in the caller's one write transaction. A row whose measure already has
that value as of that date (or which repeats an earlier row) is skipped and reported,
so importing an exported file again records nothing. The measure, outcome_id and
recorded_by columns are read only: values are recorded by the importer.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from core.errors import TrackerError, UpdateRejected
from core.io.exports import escape, sheet_title
from core.io.imports.cells import BadCell, cell_text, clean_date
from core.io.imports.read import ImportFileError, RawRow, is_blank, read_table
from core.io.imports.rows import RowError, shown
from core.measures import queries, values
from core.models import Measure, MeasureKind
from core.people.permissions import Actor, PermissionDenied
from core.progress.filters import OutcomeFilter
from core.progress.notes import A_MEMBER, may_read_note
from core.progress.updates import validate_evidence_url
from core.store.db import DatabaseUnavailable, describe_db_error, write_session

COLUMNS = (
    "measure_id",
    "measure",
    "outcome_id",
    "value",
    "as_of",
    "recorded_by",
    "note",
    "evidence_url",
)
REQUIRED_COLUMNS = ("measure_id", "value", "as_of")
# A number as people write it: float() would also take "nan", "inf" and "1_000".
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?", re.IGNORECASE)
YES_NO = {"yes": 1.0, "no": 0.0, "y": 1.0, "n": 0.0, "true": 1.0, "false": 0.0}


# ---- export -------------------------------------------------------------------------


def export_rows(
    session: Session, flt: OutcomeFilter, *, today: date, members: bool
) -> list[dict[str, Any]]:
    """One row per value that counts, of the measures `flt` selects, in the plan's
    order then by date; notes, evidence and who only for `members`."""
    out = []
    for row in queries.measures(session, flt, today=today):
        m = row.measure
        for p in row.values:
            readable = may_read_note(members=members, published=False)
            out.append(
                {
                    "measure_id": m.id,
                    "measure": m.name,
                    "outcome_id": m.outcome_id or "",
                    "value": p.value,
                    "as_of": p.as_of,
                    "recorded_by": p.recorded_by if members else A_MEMBER,
                    "note": p.note if readable else "",
                    "evidence_url": (p.evidence_url or "") if readable else "",
                }
            )
    return out


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    return value


def to_csv(rows: Iterable[dict[str, Any]]) -> bytes:
    """UTF-8 with a byte-order mark and CRLF line ends, as the plan's export."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        cells = [_cell(row.get(c)) for c in COLUMNS]
        writer.writerow(["" if v is None else escape(str(v)) for v in cells])
    return buf.getvalue().encode("utf-8-sig")


def to_xlsx(rows: Iterable[dict[str, Any]], *, sheet_name: str = "Measure values") -> bytes:
    """One sheet: bold, frozen header; values as numbers, as-of dates as date cells."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet_title(sheet_name)
    ws.append(COLUMNS)
    for c in ws[1]:
        c.font = Font(bold=True)
    for row in rows:
        cells = [_cell(row.get(c)) for c in COLUMNS]
        ws.append([v if isinstance(v, int | float | date) else _xml_text(v) for v in cells])
    for (c,) in ws.iter_rows(min_row=2, min_col=5, max_col=5):
        c.number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A2"
    return _saved(wb)


def _xml_text(value: Any) -> str:
    # characters XML cannot hold (control characters) would make the workbook unsavable
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", escape(str(value)))


def _saved(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ---- import -------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedValue:
    """A row that passed: the value it records."""

    row: int
    measure_id: str
    measure: str
    value: float
    as_of: date
    note: str
    evidence_url: str | None


@dataclass
class ValuesReport:
    """What a values import found and did (or, for a dry run, would do)."""

    filename: str
    errors: list[RowError] = field(default_factory=list)
    planned: list[PlannedValue] = field(default_factory=list)
    skipped: list[tuple[PlannedValue, str]] = field(default_factory=list)  # and why
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def lines(self) -> list[str]:
        if self.errors:
            n = len({e.row for e in self.errors if e.row is not None})
            rows = f"{n} row{'s' if n != 1 else ''} with problems; " if n else ""
            return [f"{self.filename}: {rows}nothing was imported.", *map(str, self.errors)]
        n = len(self.planned)
        new = f"{n} new value{'s' if n != 1 else ''}"
        head = (
            f"Imported {self.filename}: recorded {new}."
            if self.applied
            else f"Checked {self.filename}; nothing was changed yet. Importing it records {new}."
        )
        skipped = [
            f"row {p.row}: {p.measure_id}, {p.value:g} as of {p.as_of}: {why}; skipped."
            for p, why in self.skipped
        ]
        return [head, *skipped]


class ValuesRejected(TrackerError):
    """The file has problems; nothing was written (the transaction rolls back)."""

    def __init__(self, report: ValuesReport):
        super().__init__("\n".join(report.lines()))
        self.report = report


def _number(raw: Any, kind: MeasureKind) -> float:
    """A value cell as a number: yes/no also as yes or no; "45%" and "$1,200" too."""
    if isinstance(raw, bool):
        if kind != MeasureKind.YES_NO:
            raise BadCell("not a number")
        return float(raw)
    if isinstance(raw, int | float):
        return float(raw)
    text = cell_text(raw).strip()
    if not text:
        raise BadCell("empty")
    if kind == MeasureKind.YES_NO and text.casefold() in YES_NO:
        return YES_NO[text.casefold()]
    if kind == MeasureKind.PERCENTAGE:
        text = text.removesuffix("%")
    if kind == MeasureKind.MONEY:
        text = text.removeprefix("$")
    if not _NUMBER.fullmatch(text.replace(",", "")):
        raise BadCell("not a number")
    return float(text.replace(",", ""))


def _bad(reason: UpdateRejected, field_name: str) -> BadCell:
    """A service's refusal as the cell's reason, without its "value: " prefix."""
    return BadCell(str(reason).removeprefix(f"{field_name}: "))


class _Row:
    """One data row being checked: its cells, its errors."""

    def __init__(self, number: int, raw: RawRow):
        self.number, self.raw, self.errors = number, raw, list[RowError]()

    def fail(self, column: str | None, reason: str) -> None:
        value = shown(self.raw.get(column)) if column else ""
        self.errors.append(RowError(self.number, column, value, reason))

    def text(self, column: str) -> str:
        return cell_text(self.raw.get(column)).strip()


def _measure(session: Session, row: _Row, actor: Actor) -> Measure | None:
    measure_id = row.text("measure_id")
    if not measure_id:
        row.fail("measure_id", "empty")
        return None
    measure = session.get(Measure, measure_id)
    if measure is None:
        row.fail("measure_id", "unknown measure id")
        return None
    outcome_id = row.text("outcome_id")
    if outcome_id and outcome_id != (measure.outcome_id or ""):
        row.fail("outcome_id", f"the measure belongs to outcome {measure.outcome_id or 'none'}")
    try:
        values.require_record(session, actor, measure)
    except UpdateRejected as exc:  # the measure or its outcome retired
        row.fail("measure_id", str(exc).rstrip("."))
    except PermissionDenied as exc:
        row.fail("measure_id", f"outside your scope: {exc}")
    return measure


def _planned(session: Session, row: _Row, actor: Actor, today: date) -> PlannedValue | None:
    """The value a row records, or None with its problems in `row.errors`."""
    if extra := row.raw.get(None):
        row.errors.append(
            RowError(row.number, None, shown(extra[0]), "more cells than the header has columns")
        )
    measure = _measure(session, row, actor)
    number = as_of = None
    if measure is not None:
        try:
            kind = MeasureKind(measure.kind)
            number = values.validate_value(kind, _number(row.raw.get("value"), kind), measure.unit)
        except BadCell as exc:
            row.fail("value", str(exc))
        except UpdateRejected as exc:
            row.fail("value", str(_bad(exc, "value")))
    try:
        day = clean_date(row.raw.get("as_of"))
        if day is None:
            raise BadCell("empty")
        as_of = values.validate_as_of(day, today)
    except BadCell as exc:
        row.fail("as_of", str(exc))
    except UpdateRejected as exc:
        row.fail("as_of", str(_bad(exc, "as-of date")))
    note = evidence = None
    try:
        note = values.validate_note(cell_text(row.raw.get("note")))
    except UpdateRejected as exc:
        row.fail("note", str(_bad(exc, "note")))
    try:
        evidence = validate_evidence_url(row.text("evidence_url"))
    except UpdateRejected as exc:
        row.fail("evidence_url", str(exc))
    if row.errors or measure is None or number is None or as_of is None or note is None:
        return None
    return PlannedValue(row.number, measure.id, measure.name, number, as_of, note, evidence)


def _file_problem(rows: list[RawRow], actor: Actor) -> str | None:
    if not (actor.is_lead or actor.is_admin):
        return "Only workgroup leads and admins can import measure values."
    if not [r for r in rows if not is_blank(r)]:
        return "The file has a header but no rows."
    missing = [c for c in REQUIRED_COLUMNS if c not in rows[0]]
    if missing:
        return (
            f"The file lacks required column{'s' if len(missing) > 1 else ''}: "
            f"{', '.join(missing)} (download the values to get every column)."
        )
    return None


def check(
    session: Session, rows: list[RawRow], *, actor: Actor, today: date, filename: str
) -> ValuesReport:
    """Every problem of the file, or what importing it records and skips; writes nothing."""
    report = ValuesReport(filename)
    if problem := _file_problem(rows, actor):
        report.errors = [RowError(None, None, "", problem)]
        return report
    checked = [_Row(n, raw) for n, raw in enumerate(rows, start=2) if not is_blank(raw)]
    planned = [_planned(session, row, actor, today) for row in checked]
    report.errors = [e for row in checked for e in row.errors]
    if report.errors:
        return report
    found = [p for p in planned if p is not None]
    recorded = queries.counted_values(session, {p.measure_id for p in found})
    seen: dict[tuple[str, date, float], int] = {}
    for p in found:
        key = (p.measure_id, p.as_of, p.value)
        if any((v.as_of, v.value) == key[1:] for v in recorded.get(p.measure_id, ())):
            report.skipped.append((p, "already recorded"))
        elif key in seen:
            report.skipped.append((p, f"repeats row {seen[key]}"))
        else:
            seen[key] = p.row
            report.planned.append(p)
    return report


def apply(
    session: Session,
    rows: list[RawRow],
    *,
    actor: Actor,
    today: date,
    filename: str,
    now: datetime | None = None,
) -> ValuesReport:
    """Check the file and record its new values in `session` (one write transaction,
    not committed here); ValuesRejected, so that nothing is written, when any row fails."""
    report = check(session, rows, actor=actor, today=today, filename=filename)
    if report.errors:
        raise ValuesRejected(report)
    for p in report.planned:
        try:
            values.record_value(
                session=session,
                actor=actor,
                measure_id=p.measure_id,
                value=p.value,
                as_of=p.as_of,
                today=today,
                note=p.note,
                evidence_url=p.evidence_url,
                now=now,
            )
        except (UpdateRejected, PermissionDenied) as exc:
            report.errors = [RowError(p.row, None, p.measure_id, str(exc))]
            raise ValuesRejected(report) from exc
    report.applied = True
    return report


def apply_file(
    session: Session, content: bytes, *, actor: Actor, today: date, filename: str
) -> ValuesReport:
    """`apply` to the rows of a .csv or .xlsx file (ImportFileError when unreadable)."""
    rows = read_table(content, filename)
    return apply(session, rows, actor=actor, today=today, filename=filename)


def import_values(
    engine: Engine,
    source: bytes,
    *,
    actor: Actor,
    today: date,
    filename: str = "the file",
    dry_run: bool = False,
) -> ValuesReport:
    """Read, check and (unless `dry_run`) import a .csv or .xlsx file of values; the
    report holds every problem, and then nothing was written."""
    try:
        rows = read_table(source, filename)
    except ImportFileError as exc:
        return ValuesReport(filename, errors=[RowError(None, None, "", str(exc))])
    try:
        if dry_run:
            with Session(engine) as session:
                return check(session, rows, actor=actor, today=today, filename=filename)
        with write_session(engine) as session:
            return apply(session, rows, actor=actor, today=today, filename=filename)
    except ValuesRejected as exc:
        return exc.report
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(describe_db_error(exc, engine)) from exc
