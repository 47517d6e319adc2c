"""Files for people: a view of the plan as CSV or Excel, the import template, and a
calendar (.ics) of due dates.

Every file uses the export's columns (`core.io.columns.EXPORT_COLUMNS`), so a file
downloaded from the app can be edited and imported back (`core.io.imports`). Each
outcome's latest note and evidence link (its standing reason, e.g. why it is Blocked)
are read-only columns, filled as `core.progress.queries.outcome_rows` gives them to
the reader: a file made for a signed-out visitor holds published notes only.

Spreadsheet cells are protected against formula injection (OWASP): a cell that
starts with = + - @, a tab or a carriage return gets a leading apostrophe, and so
does one whose apostrophes are followed by such a character ("'=x" → "''=x"), so
that `unescape` gives back every value exactly.
"""

from __future__ import annotations

import csv
import io
import re
import textwrap
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, TextIO

from icalendar import Alarm, Calendar, Event
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from core.io.columns import EXPORT_COLUMNS
from core.models import Term
from core.progress.schedule import is_closed

Row = Mapping[str, Any]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A line feed too: an .xlsx file turns a carriage return into one (XML line ends).
_ESCAPE = re.compile(r"^'*[=+\-@\t\r\n]")
_ESCAPED = re.compile(r"^'+[=+\-@\t\r\n]")

DATE_COLUMNS = ("logic_model_start", "due_date", "baseline_due_date")
# Read by people, ignored by the import (statuses change only through status updates).
OUTPUT_ONLY_COLUMNS = (
    "baseline_due_date",
    "date_basis",
    "date_flag",
    "flags",
    "status",
    "last_updated",
    "latest_note",
    "evidence_url",
    "schedule",
    "days_overdue",
)

# What each column holds; the template's notes sheet and data/README.md say the same.
COLUMN_NOTES = {
    "outcome_id": "The outcome's id. Keep it to edit that outcome; leave it empty for a "
    "new one (matched by strategy, term and number, or by text when unnumbered).",
    "region_id": "The logic model's region id (e.g. southwest); or leave it empty and "
    "give the region's name.",
    "region": "The region's name (or id).",
    "logic_model_id": "The logic model's id. Empty: the logic model of that region with "
    "this title, or a new one.",
    "logic_model": "The logic model's title (the table's heading).",
    "logic_model_start": "Where a new logic model's timeline starts (YYYY-MM-DD); an "
    "existing one moves only by re-baselining in the app.",
    "need_id": "The need the strategy addresses (e.g. housing); or give its label.",
    "need": "The need's label (or id).",
    "strategy_id": "The strategy's id. Empty: the strategy of this logic model with "
    "this title, or a new one.",
    "strategy": "What the app calls the strategy (its label, else its first resource).",
    "strategy_label": "The row's own label, as written (may be empty).",
    "term": "short, medium or long.",
    "number": "The item number as written (1, 2, a), or empty.",
    "text": "The outcome, verbatim (up to 2,000 characters).",
    "date_as_written": "The target date as written (6/2020, March/April), or empty.",
    "due_date": "The due date, YYYY-MM-DD (or M/D/YYYY). Empty for a new outcome: taken "
    "from date_as_written. Changing it re-dates the outcome.",
    "baseline_due_date": "The report's own date (read only).",
    "date_basis": "How the due date was read from the report (read only).",
    "date_flag": "A defect of the report's date (read only).",
    "flags": "Editorial flags of the report (read only).",
    "status": "The latest status (read only: statuses change only through status updates).",
    "last_updated": "When the status last changed (read only).",
    "latest_note": "The outcome's latest note, e.g. why it is Blocked (read only; "
    "unpublished notes only for signed-in members).",
    "evidence_url": "The evidence link of that note (read only).",
    "schedule": "On time, Due soon, Overdue or Closed, as of the export's day (read only).",
    "days_overdue": "Days past the due date when Overdue, else empty (read only).",
    "ultimate_outcome": "The strategy's ultimate outcome (same on every row of a strategy).",
    "resources": "The strategy's resources, one per line (same on every row of a strategy).",
    "tasks": "The strategy's tasks, one per line (same on every row of a strategy).",
}

TEMPLATE_EXAMPLE = {
    "region": "Southwest",
    "logic_model": "Example workgroup: replace with your logic model's title",
    "logic_model_start": "2026-07-01",
    "need": "Housing and shelter",
    "strategy": "Example strategy",
    "strategy_label": "Example strategy",
    "term": Term.SHORT.value,
    "number": "1",
    "text": "Example: identify 3-5 key stakeholders to form a working group by 12/2026.",
    "date_as_written": "12/2026",
    "due_date": "2026-12-31",
    "ultimate_outcome": "Example: accessible shelter for trafficking survivors",
    "resources": "CATE\nLocal shelters",
    "tasks": "1. Convene a working group.\n2. Review shelter policies.",
}

TEMPLATE_NOTES = (
    "One file holds one logic model, one row per outcome; delete the example row.",
    "The import checks the whole file first and imports nothing unless every row passes.",
    "Rows that match the plan change nothing, so importing the same file twice is harmless.",
    "Status columns are not imported: statuses change only through status updates.",
    "Outcomes missing from the file are reported and left as they are.",
)

UID_DOMAIN = "mo-plan-tracker"
PRODID = "-//Missouri Anti-Trafficking Plan Tracker//mo-plan-tracker//EN"
# Each event reminds a week and a day before its due date.
ALARMS_BEFORE = (timedelta(days=7), timedelta(days=1))


def view_name(parts: Iterable[str]) -> str:
    """A view's name from its regions' and needs' names (none: the whole plan)."""
    return ", ".join(parts) or "All outcomes"


def calendar_name(view: str) -> str:
    return f"Missouri anti-trafficking plan: {view}"


def escape(value: str) -> str:
    """`value` made safe to open in a spreadsheet: never read as a formula."""
    return "'" + value if _ESCAPE.match(value) else value


def unescape(value: str) -> str:
    """The inverse of `escape`."""
    return value[1:] if _ESCAPED.match(value) else value


def _text(value: Any) -> str:
    return "" if value is None else escape(str(value))


def write_csv(rows: Iterable[Row], out: TextIO, *, lineterminator: str = "\r\n") -> None:
    writer = csv.writer(out, lineterminator=lineterminator)
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        writer.writerow([_text(row.get(col)) for col in EXPORT_COLUMNS])


def to_csv(rows: Iterable[Row]) -> bytes:
    """UTF-8 with a byte-order mark (so Excel reads accents, right-to-left text and
    emoji correctly) and CRLF line ends (RFC 4180)."""
    buf = io.StringIO(newline="")
    write_csv(rows, buf)
    return buf.getvalue().encode("utf-8-sig")


_WRAPPED = {
    "logic_model",
    "strategy",
    "text",
    "latest_note",
    "ultimate_outcome",
    "resources",
    "tasks",
}
_MAX_WIDTH = {"text": 80, "latest_note": 60, "ultimate_outcome": 50, "resources": 40, "tasks": 60}


def sheet_title(name: str) -> str:
    """A valid worksheet name: at most 31 characters, none of []:*?/\\."""
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", name).strip().strip("'")
    return " ".join(cleaned.split())[:31] or "Outcomes"


def _excel_value(col: str, value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value  # days_overdue: a number cell
    try:
        if col in DATE_COLUMNS:
            return value if isinstance(value, date) else date.fromisoformat(str(value))
        if col == "last_updated":
            when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
            # Excel has no time zones: UTC, without the offset.
            return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when
    except ValueError:
        pass  # not a date after all: written as text
    # Characters XML cannot hold (control characters; the import refuses them too).
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", escape(str(value)))


def _sheet(wb: Workbook, rows: Iterable[Row], title: str):
    ws = wb.active
    ws.title = sheet_title(title)
    ws.append(EXPORT_COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    widths = {col: len(col) for col in EXPORT_COLUMNS}
    for row in rows:
        values = [_excel_value(col, row.get(col)) for col in EXPORT_COLUMNS]
        ws.append(values)
        for col, value in zip(EXPORT_COLUMNS, values, strict=True):
            if isinstance(value, str):
                longest = max(len(line) for line in value.splitlines() or [""])
                widths[col] = max(widths[col], longest)
    for i, col in enumerate(EXPORT_COLUMNS, 1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = min(max(widths[col], 8), _MAX_WIDTH.get(col, 30)) + 2
        if col in DATE_COLUMNS:
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = "yyyy-mm-dd"
        elif col == "last_updated":
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = "yyyy-mm-dd hh:mm"
        elif col in _WRAPPED:
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    return ws


def to_xlsx(rows: Iterable[Row], *, sheet_name: str = "Outcomes") -> bytes:
    """One sheet named for the view: bold, frozen header; dates as date cells."""
    wb = Workbook()
    _sheet(wb, rows, sheet_name)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def template_rows() -> list[dict[str, Any]]:
    """The template's one example row (ids empty: the import finds or creates them)."""
    return [{col: TEMPLATE_EXAMPLE.get(col) for col in EXPORT_COLUMNS}]


def template_csv() -> bytes:
    return to_csv(template_rows())


def template_xlsx() -> bytes:
    """The example row on the first sheet (the one the import reads) and a second
    sheet of notes, one line per column."""
    wb = Workbook()
    _sheet(wb, template_rows(), "Logic model")
    notes = wb.create_sheet("How to fill it in")
    notes.append(["column", "read by the import", "what it holds"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for col in EXPORT_COLUMNS:
        read = "no" if col in OUTPUT_ONLY_COLUMNS else "yes"
        notes.append([col, read, COLUMN_NOTES[col]])
    notes.append([])
    for line in TEMPLATE_NOTES:
        notes.append([line])
    notes.column_dimensions["A"].width = 20
    notes.column_dimensions["B"].width = 18
    notes.column_dimensions["C"].width = 100
    notes.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _summary(row: Row, width: int = 80) -> str:
    text = textwrap.shorten(str(row["text"]), width=width, placeholder="…")
    return f"{row['region']}: {text}"


def _description(row: Row) -> str:
    term = Term(row["term"]).label if row["term"] in set(Term) else row["term"]
    number = f" (item {row['number']})" if row.get("number") else ""
    written = f" (as written: {row['date_as_written']})" if row.get("date_as_written") else ""
    lines = [
        str(row["text"]),
        "",
        f"Region: {row['region']}",
        f"Logic model: {row['logic_model']}",
        f"Strategy: {row['strategy']}",
        f"Need: {row['need']}",
        f"Term: {term}{number}",
        f"Status: {row['status']}",
        f"Due: {_day(row['due_date']).isoformat()}{written}",
    ]
    if row.get("baseline_due_date"):
        lines.append(f"The report's date: {_day(row['baseline_due_date']).isoformat()}")
    lines.append(f"Outcome id: {row['outcome_id']}")
    return "\n".join(lines)


def _alarm(before: timedelta, summary: str) -> Alarm:
    alarm = Alarm.new(
        description=f"Due in {before.days} day{'s' if before.days != 1 else ''}: {summary}"
    )
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", -before)
    return alarm


def to_ics(
    rows: Iterable[Row],
    *,
    calendar_name: str,
    now: datetime | None = None,
    link: Callable[[Row], str] | None = None,
) -> bytes:
    """An iCalendar file: one all-day event per open outcome on its due date (Done and
    Dropped outcomes are left out: the calendar lists what is still to do), with
    reminders 7 days and 1 day before. Each event's UID is `<outcome_id>@mo-plan-tracker`
    and its SEQUENCE the times the outcome was re-dated, so importing a newer file, or
    a subscribed feed's refresh, moves the events instead of duplicating them.
    `link(row)`, when given, is each event's URL (back to the app)."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC)
    cal = Calendar.new(
        name=calendar_name,
        prodid=PRODID,
        uid=f"{re.sub(r'[^a-z0-9]+', '-', calendar_name.lower()).strip('-')}@{UID_DOMAIN}",
        description="Due dates of the Missouri anti-trafficking strategic plan's outcomes.",
    )
    for row in rows:
        if is_closed(row["status"]):
            continue
        due = _day(row["due_date"])
        event = Event.new(
            uid=f"{row['outcome_id']}@{UID_DOMAIN}",
            start=due,
            end=due + timedelta(days=1),
            stamp=stamp,
            summary=_summary(row),
            description=_description(row),
            categories=[str(row["region"]), str(row["need"])],
            sequence=int(row.get("redate_count") or 0),
            url=link(row) if link is not None else None,
            subcomponents=[_alarm(before, _summary(row, 60)) for before in ALARMS_BEFORE],
        )
        event.add("transp", "TRANSPARENT")  # a milestone, not a busy block of time
        cal.add_component(event)
    return cal.to_ical()
