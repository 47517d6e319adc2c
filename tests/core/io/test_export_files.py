"""Files for people: CSV and Excel protected against formula injection, the import
template, the .ics calendar, and `python -m core export --format xlsx|ics`."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar
from openpyxl import load_workbook

from core.cli.main import main
from core.io import exports
from core.io.columns import EXPORT_COLUMNS
from core.io.exports import FORMULA_START, escape, unescape
from core.progress.filters import OutcomeFilter
from core.progress.queries import export_rows

STL = OutcomeFilter(regions=("st-louis",))
FORMULA_TEXTS = [
    "=1+1",
    "+1 plus",
    "-2 minus",
    "@SUM(A1)",
    "\t=tab",
    "\r=cr",
    "'=quoted already",
    "''+twice",
    "'plain apostrophe",
    '=HYPERLINK("http://example.com","click")',
]
cell_texts = st.one_of(
    st.sampled_from(FORMULA_TEXTS),
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=30),
    st.builds(lambda p, s: p + s, st.sampled_from([*FORMULA_START, "\n", "'", "''"]), st.text()),
)
HYPOTHESIS = settings(max_examples=60, deadline=None, database=None)


def rows_with(values: list[str]) -> list[dict]:
    """Export-shaped rows whose every text column holds one of `values`."""
    out = []
    for i, value in enumerate(values):
        row = dict.fromkeys(EXPORT_COLUMNS, value)
        row.update(
            due_date="2020-06-30",
            baseline_due_date="2020-06-30",
            logic_model_start="2019-07-01",
            last_updated=None if i % 2 else "2020-05-01 12:00:00+00:00",
        )
        out.append(row)
    return out


def xlsx_cells(data: bytes, sheet: int = 0) -> list[list]:
    ws = load_workbook(io.BytesIO(data)).worksheets[sheet]
    return [[c for c in row] for row in ws.iter_rows()]


# ---- escaping -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=x", "''=x"),  # so that unescaping gives back the apostrophe
        ("'x", "'x"),
        ("x=1", "x=1"),
        ("", ""),
    ],
)
def test_escape_examples(value, escaped):
    assert escape(value) == escaped
    assert unescape(escaped) == value


@HYPOTHESIS
@given(cell_texts)
def test_escape_is_safe_and_reversible(value):
    escaped = escape(value)
    assert not escaped.startswith(FORMULA_START)
    assert unescape(escaped) == value


@HYPOTHESIS
@given(st.lists(cell_texts, min_size=1, max_size=5))
def test_csv_cells_never_start_with_a_formula_character(values):
    text = exports.to_csv(rows_with(values)).decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text, newline="")))
    assert header == EXPORT_COLUMNS
    for row, value in zip(rows, values, strict=True):
        for column, cell in zip(header, row, strict=True):
            assert not cell.startswith(FORMULA_START), (column, cell)
            if column not in exports.DATE_COLUMNS and column != "last_updated":
                assert unescape(cell) == value


@settings(max_examples=25, deadline=None, database=None)
@given(st.lists(cell_texts, min_size=1, max_size=4))
def test_xlsx_cells_are_never_formulas(values):
    cells = xlsx_cells(exports.to_xlsx(rows_with(values)))
    header = [c.value for c in cells[0]]
    assert header == EXPORT_COLUMNS
    for row, value in zip(cells[1:], values, strict=True):
        for column, cell in zip(header, row, strict=True):
            assert cell.data_type != "f", (column, cell.value)
            if isinstance(cell.value, str):
                assert not cell.value.startswith(FORMULA_START), (column, cell.value)
            if column in exports.DATE_COLUMNS or column == "last_updated":
                assert cell.value is None or isinstance(cell.value, datetime), (column, cell)
            else:
                # XML keeps line ends as line feeds
                value = value.replace("\r\n", "\n").replace("\r", "\n")
                expected = exports.ILLEGAL_CHARACTERS_RE.sub("\ufffd", value) or None
                assert (unescape(cell.value) if cell.value else None) == expected


# ---- CSV and Excel of the plan -----------------------------------------------------------


def test_to_csv_is_excel_friendly(plan_session):
    rows = export_rows(plan_session, STL)
    data = exports.to_csv(rows)
    assert data.startswith(b"\xef\xbb\xbf")  # byte-order mark: Excel reads UTF-8
    text = data.decode("utf-8-sig")
    assert text.split("\r\n", 1)[0] == ",".join(EXPORT_COLUMNS)
    parsed = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(parsed) == len(rows) == 21
    assert parsed[0] == {k: "" if v is None else str(v) for k, v in rows[0].items()}


def test_to_xlsx_layout(plan_session):
    rows = export_rows(plan_session, STL)
    wb = load_workbook(io.BytesIO(exports.to_xlsx(rows, sheet_name="St. Louis: [all]?")))
    ws = wb.worksheets[0]
    assert ws.title == "St. Louis all"
    assert ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]] == EXPORT_COLUMNS
    assert all(c.font.bold for c in ws[1])
    assert ws.max_row == len(rows) + 1
    col = {name: i for i, name in enumerate(EXPORT_COLUMNS)}
    first = next(ws.iter_rows(min_row=2, max_row=2))
    assert first[col["due_date"]].value == datetime(2020, 6, 30)  # a date cell, not text
    assert first[col["due_date"]].number_format == "yyyy-mm-dd"
    assert first[col["text"]].value == rows[0]["text"]
    assert first[col["resources"]].value == rows[0]["resources"]
    assert "\n" in first[col["resources"]].value
    widths = {ws.cell(1, i + 1).column_letter: None for i in range(len(EXPORT_COLUMNS))}
    assert all(ws.column_dimensions[letter].width >= 8 for letter in widths)
    assert ws.column_dimensions["N"].width == 82  # text: capped, wrapped


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("", "Outcomes"),
        ("a" * 40, "a" * 31),
        ("Kansas City, Legal services", "Kansas City, Legal services"),
    ],
)
def test_sheet_title(name, title):
    assert exports.sheet_title(name) == title


def test_to_xlsx_keeps_right_to_left_text_and_emoji():
    text = "مرحبا بالعالم 🏠 שלום"
    cells = xlsx_cells(exports.to_xlsx(rows_with([text])))
    assert cells[1][EXPORT_COLUMNS.index("text")].value == text


# ---- template -----------------------------------------------------------------------


def test_template_csv_has_the_export_columns_and_an_example():
    header, example = list(csv.reader(io.StringIO(exports.template_csv().decode("utf-8-sig"))))
    assert header == EXPORT_COLUMNS
    row = dict(zip(header, example, strict=True))
    assert row["outcome_id"] == row["strategy_id"] == row["logic_model_id"] == ""
    assert row["term"] == "short" and row["due_date"] == "2026-12-31"


def test_template_xlsx_explains_every_column():
    wb = load_workbook(io.BytesIO(exports.template_xlsx()))
    assert wb.sheetnames == ["Logic model", "How to fill it in"]
    assert [c.value for c in wb.worksheets[0][1]] == EXPORT_COLUMNS
    notes = {row[0]: row[1:] for row in wb.worksheets[1].iter_rows(min_row=2, values_only=True)}
    for column in EXPORT_COLUMNS:
        read, what = notes[column]
        assert what
        assert read == ("no" if column in exports.OUTPUT_ONLY_COLUMNS else "yes")
    assert notes["status"][0] == "no"


# ---- calendar -------------------------------------------------------------------------


def test_to_ics_parses_with_one_event_per_open_outcome(plan_session):
    rows = export_rows(plan_session, STL)
    rows[0] = {**rows[0], "status": "Done"}
    rows[1] = {**rows[1], "status": "Dropped"}
    rows[2] = {**rows[2], "status": "Blocked"}
    now = datetime(2021, 6, 1, 12, 0, tzinfo=UTC)
    cal = Calendar.from_ical(exports.to_ics(rows, calendar_name="Plan: St. Louis", now=now))

    assert str(cal["X-WR-CALNAME"]) == "Plan: St. Louis"
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    open_rows = rows[2:]
    assert len(events) == len(open_rows) == 19
    for row in open_rows:
        event = events[f"{row['outcome_id']}@mo-plan-tracker"]
        due = date.fromisoformat(row["due_date"])
        assert event.decoded("DTSTART") == due
        assert event.decoded("DTEND") == due + timedelta(days=1)
        assert event.decoded("DTSTAMP") == now
        assert str(event["SUMMARY"]).startswith("St. Louis: ")
        assert len(str(event["SUMMARY"])) <= len("St. Louis: ") + 80
        description = str(event["DESCRIPTION"])
        assert row["text"] in description
        assert f"Status: {row['status']}" in description
        assert f"The report's date: {row['baseline_due_date']}" in description
        assert f"Logic model: {row['logic_model']}" in description
        categories = [str(c) for c in event["CATEGORIES"].cats]
        assert categories == [row["region"], row["need"]]


def test_to_ics_escapes_nothing_by_hand():
    rows = rows_with(["Commas, semicolons; back\\slash"])
    rows[0].update(status="Not started", term="short", outcome_id="x.short.1")
    cal = Calendar.from_ical(exports.to_ics(rows, calendar_name="A, b; c"))
    (event,) = cal.walk("VEVENT")
    assert "Commas, semicolons; back\\slash" in str(event["DESCRIPTION"])
    assert str(cal["X-WR-CALNAME"]) == "A, b; c"


# ---- python -m core export --------------------------------------------------------------


def test_cli_export_xlsx_needs_output(capsys):
    assert main(["export", "--format", "xlsx"]) == 2
    assert "give --output" in capsys.readouterr().err


def test_cli_export_unknown_region(capsys):
    assert main(["export", "--region", "atlantis"]) == 2
    assert "no region 'atlantis'" in capsys.readouterr().err


def test_cli_export_formats_for_a_region_and_need(tmp_path, capsys):
    xlsx, ics, csv_file = tmp_path / "v.xlsx", tmp_path / "v.ics", tmp_path / "v.csv"
    args = ["--region", "st-louis", "--need", "housing"]
    assert main(["export", "--format", "xlsx", *args, "--output", str(xlsx)]) == 0
    assert main(["export", "--format", "ics", *args, "-o", str(ics)]) == 0
    assert main(["export", "--format", "csv", *args, "-o", str(csv_file)]) == 0
    out = capsys.readouterr().out
    assert out.count("Wrote 7 outcomes (St. Louis, Housing and shelter)") == 3

    ws = load_workbook(xlsx).worksheets[0]
    assert ws.title == "St. Louis, Housing and shelter"
    assert ws.max_row == 8
    cal = Calendar.from_ical(ics.read_bytes())
    assert len(cal.walk("VEVENT")) == 7
    assert "St. Louis, Housing and shelter" in str(cal["X-WR-CALNAME"])
    rows = list(csv.DictReader(io.StringIO(csv_file.read_bytes().decode("utf-8-sig"))))
    assert {r["region_id"] for r in rows} == {"st-louis"}
    assert {r["need_id"] for r in rows} == {"housing"}


def test_cli_export_ics_to_stdout(capsys):
    assert main(["export", "--format", "ics", "--region", "southwest"]) == 0
    cal = Calendar.from_ical(capsys.readouterr().out)
    assert str(cal["NAME"]) == "Missouri anti-trafficking plan: Southwest"
    assert {str(c) for e in cal.walk("VEVENT") for c in e["CATEGORIES"].cats} >= {"Southwest"}
