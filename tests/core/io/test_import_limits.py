"""Bounded reading of import files: a workbook is streamed and refused at row
MAX_ROWS + 1 (not after reading all of it), a zip bomb is refused before it is
unpacked, and blank rows at the end of a sheet do not count."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from core.io.columns import EXPORT_COLUMNS
from core.io.imports import MAX_ROWS, ImportFileError, read_table
from core.io.imports import read as read_module


def workbook(rows: int, *, blank_after: int = 0) -> bytes:
    """A streamed (write-only) workbook: the export's header, `rows` one-cell rows,
    then `blank_after` rows of empty strings (as a sheet formatted further down)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(EXPORT_COLUMNS)
    for i in range(rows):
        ws.append([f"state.x.short.{i}"])
    for _ in range(blank_after):
        ws.append(["", None])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture
def rows_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many rows the reader took from the sheet (one count per file read)."""
    counts: list[int] = []
    original = read_module._sheet_rows

    def counting(*args):
        counts.append(0)
        for row in original(*args):
            counts[-1] += 1
            yield row

    monkeypatch.setattr(read_module, "_sheet_rows", counting)
    return counts


def test_read_table_stops_a_long_workbook_at_the_row_limit(rows_read: list[int]) -> None:
    content = workbook(20_000)

    with pytest.raises(ImportFileError) as refused:
        read_table(content, "huge.xlsx")

    assert str(refused.value) == (
        f"huge.xlsx has more than {MAX_ROWS:,} rows; a logic model file has at most {MAX_ROWS:,}."
    )
    assert rows_read == [MAX_ROWS + 2]  # the header, MAX_ROWS rows, and the one too many


def test_read_table_takes_a_workbook_of_exactly_the_limit(rows_read: list[int]) -> None:
    rows = read_table(workbook(MAX_ROWS, blank_after=300), "full.xlsx")

    assert len(rows) == MAX_ROWS
    assert rows[-1]["outcome_id"] == f"state.x.short.{MAX_ROWS - 1}"


def test_read_table_stops_a_long_csv_at_the_row_limit() -> None:
    content = ("outcome_id\n" + "x\n" * (MAX_ROWS + 1) + "\n" * 50).encode()

    with pytest.raises(ImportFileError, match=f"more than {MAX_ROWS:,} rows"):
        read_table(content, "huge.csv")
    assert len(read_table(("outcome_id\n" + "x\n" * MAX_ROWS + "\n" * 50).encode(), "a.csv")) == (
        MAX_ROWS
    )


def test_read_table_refuses_a_zip_bomb_before_unpacking_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    buf = io.BytesIO(workbook(3))
    with zipfile.ZipFile(buf, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", b"\0" * (read_module.MAX_XLSX_BYTES + 1))
    content = buf.getvalue()
    assert len(content) < 1_000_000  # small on disk, over the cap once unpacked

    def never(*_args, **_kwargs):
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr(read_module, "load_workbook", never)
    with pytest.raises(ImportFileError) as refused:
        read_table(content, "bomb.xlsx")

    assert str(refused.value).startswith("bomb.xlsx unpacks to 50 MB; a logic model workbook")


def test_read_table_refuses_a_damaged_workbook() -> None:
    content = workbook(3)[:-200]  # the zip's directory cut off

    with pytest.raises(ImportFileError, match="could not be read as an Excel workbook"):
        read_table(content, "cut.xlsx")
