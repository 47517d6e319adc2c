"""Import stage 1 — the file → raw rows.

Reads a .csv file (UTF-8, with or without a byte-order mark; comma, semicolon or tab
separated) or the first sheet of an .xlsx workbook into one dict per data row, keyed
by the header's column names. A file that cannot be a logic model's table is refused
with an ImportFileError whose message says what to do: empty, the old .xls format,
not a table at all, no header, a column named twice, more than MAX_ROWS rows, or a
workbook that unpacks to more than MAX_XLSX_BYTES. Rows are read one at a time
(workbooks in openpyxl's streaming mode), so a file is refused at row MAX_ROWS + 1
rather than after reading all of it.
Nothing here knows the plan: the cells are cleaned in `cells`, the rows checked in `rows`.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter
from collections.abc import Generator, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from core.errors import TrackerError

MAX_ROWS = 5_000
# A logic model's 5,000 rows unpack to a few MB; a zip bomb unpacks to gigabytes.
MAX_XLSX_BYTES = 50_000_000

# One data row: column name → cell as read; the key None holds the cells beyond the
# header's columns (a list), when there are any.
RawRow = dict[str | None, Any]

_ZIP = b"PK\x03\x04"  # how an .xlsx file (a zip archive) begins


class ImportFileError(TrackerError, ValueError):
    """The file cannot be read as a table; the message says why and what to do."""


def read_table(source: str | Path | bytes, filename: str | None = None) -> list[RawRow]:
    """The data rows of a .csv (UTF-8, with or without a byte-order mark) or .xlsx
    file (its first sheet), as dicts keyed by the header's column names. Blank rows
    are kept (as rows of empty cells), so row i of the result is spreadsheet row i + 2.
    Cells beyond the header's columns are kept under the key None.
    Raises ImportFileError with a message for the user."""
    content, name = _content(source, filename)
    with closing(_cells(content, name)) as cells:
        return _as_dicts(cells, name)


def is_blank(cells: RawRow | list[Any]) -> bool:
    """Whether a row (as read, or as a list of cells) has nothing but empty cells."""
    values = cells.values() if isinstance(cells, dict) else cells
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _content(source: str | Path | bytes, filename: str | None) -> tuple[bytes, str]:
    """The file's bytes and the name to call it by in messages."""
    if isinstance(source, bytes):
        return source, filename or "the file"
    path = Path(source)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    return content, filename or path.name


# The format is told by the name; a zip archive without a known suffix is taken as .xlsx.
def _cells(content: bytes, name: str) -> Generator[list[Any]]:
    suffix = Path(name).suffix.lower()
    if not content.strip():
        raise ImportFileError(f"{name} is empty.")
    if suffix == ".xls":
        raise ImportFileError(
            f"{name} is in the old Excel 97–2003 format. Save it as an Excel workbook "
            "(.xlsx) or as CSV UTF-8, then upload it again."
        )
    if suffix == ".xlsx" or (suffix != ".csv" and content.startswith(_ZIP)):
        return _xlsx_cells(content, name)
    if suffix != ".csv":
        raise ImportFileError(
            f"{name} is not a .csv or .xlsx file. Download the template from the app, "
            "fill it in and save it as .xlsx or CSV UTF-8."
        )
    if content.startswith(_ZIP):
        raise ImportFileError(
            f"{name} is an Excel workbook named .csv; rename it to .xlsx, or save it "
            "from Excel as CSV UTF-8."
        )
    return _csv_cells(content, name)


# The separator is the one of , ; and tab that the first line uses most.
def _csv_cells(content: bytes, name: str) -> Generator[list[Any]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"{name} is not UTF-8 text (byte {exc.start + 1} cannot be read). In Excel, "
            "save it as “CSV UTF-8 (Comma delimited)”."
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    return _csv_rows(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), name)


def _csv_rows(reader: Iterator[list[str]], name: str) -> Generator[list[Any]]:
    try:
        yield from reader
    except csv.Error as exc:
        raise ImportFileError(f"{name} could not be read as CSV: {exc}.") from None


def _xlsx_cells(content: bytes, name: str) -> Generator[list[Any]]:
    """The first sheet's rows, streamed (openpyxl's read-only mode). Formulas are read
    as written (data_only=False): "=1+1" typed in a cell is imported as that text."""
    damaged = ImportFileError(
        f"{name} could not be read as an Excel workbook (.xlsx). Is it another kind "
        "of file, or damaged?"
    )
    _check_unpacked_size(content, name, damaged)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
        sheet = workbook.worksheets[0]
    except Exception:  # openpyxl raises many kinds; none of them is for the user
        raise damaged from None
    return _sheet_rows(workbook, sheet.iter_rows(values_only=True), damaged)


def _check_unpacked_size(content: bytes, name: str, damaged: ImportFileError) -> None:
    """Refuse a workbook whose parts unpack to more than MAX_XLSX_BYTES (zipfile reads
    no more than the sizes its directory declares, so they bound the work)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise damaged from None
    if unpacked > MAX_XLSX_BYTES:
        raise ImportFileError(
            f"{name} unpacks to {unpacked / 1e6:,.0f} MB; a logic model workbook holds at "
            f"most {MAX_XLSX_BYTES / 1e6:,.0f} MB. Is it the right file? Save only the "
            "logic model's sheet, or save it as CSV UTF-8."
        )


def _sheet_rows(
    workbook: Any, rows: Iterator[tuple[Any, ...]], damaged: ImportFileError
) -> Generator[list[Any]]:
    try:
        for row in rows:
            yield list(row)
    except Exception:  # a part of the workbook that cannot be parsed, found mid-sheet
        raise damaged from None
    finally:
        workbook.close()


# Blank rows are kept (row i of the result is spreadsheet row i + 2), except at the end.
def _as_dicts(cells: Iterator[list[Any]], name: str) -> list[RawRow]:
    first = next(cells, None)
    if first is None or (is_blank(first) and all(is_blank(raw) for raw in cells)):
        raise ImportFileError(f"{name} is empty.")
    header = _header(first, name)
    rows: list[RawRow] = []
    blanks = 0  # blank rows read since the last row with a value
    for raw in cells:
        if is_blank(raw):
            blanks += 1
            continue
        if len(rows) + blanks + 1 > MAX_ROWS:
            raise ImportFileError(
                f"{name} has more than {MAX_ROWS:,} rows; a logic model file has at most "
                f"{MAX_ROWS:,}."
            )
        rows += [_row_dict(header, []) for _ in range(blanks)]
        rows.append(_row_dict(header, raw))
        blanks = 0
    return rows


def _header(first: list[Any], name: str) -> list[str]:
    """The column names of the first row ("" for an empty cell); at least one, none twice."""
    header = [_column_name(cell) for cell in first]
    if not any(header):
        raise ImportFileError(
            f"The first row of {name} is empty; it must name the columns (see the template)."
        )
    seen = Counter(h for h in header if h)
    if twice := sorted(h for h, n in seen.items() if n > 1):
        raise ImportFileError(f"The header of {name} names {', '.join(twice)} more than once.")
    return header


def _column_name(cell: Any) -> str:
    """A header cell as a column name: its words joined by "_", in lower case."""
    if cell is None or not str(cell).strip():
        return ""
    return "_".join(str(cell).split()).lower().lstrip("\ufeff")


def _row_dict(header: list[str], raw: list[Any]) -> RawRow:
    row: RawRow = {h: None for h in header if h}
    extra = []
    for i, value in enumerate(raw):
        if i < len(header) and header[i]:
            row[header[i]] = value
        elif value not in (None, ""):
            extra.append(value)
    if extra:
        row[None] = extra
    return row
