"""Import stage 3 — one row of the file and its errors.

A FileRow holds a data row as read, the values its cells clean to (`cells`), and
every problem found in it as a RowError: the row as a spreadsheet numbers it (the
header is row 1), the column, the value and the reason. The later stages (`match`)
add their own errors to the row they concern, among them `consistent`'s for rows
that must agree; nothing is imported while any row has one. A file without rows or
without a required column fails as a whole (`file_problem`). The errors are shown
by row, then in the order of the export's columns (`in_file_order`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from core.io.columns import EXPORT_COLUMNS
from core.io.imports.cells import (
    BadCell,
    Clean,
    cell_text,
    clean_date,
    clean_term,
    clean_text,
    identifier,
    known,
    norm,
    optional_text,
    text_lines,
)
from core.io.imports.read import RawRow, is_blank
from core.plan.fields import DATE_AS_WRITTEN_MAX, LABEL_MAX, NUMBER_MAX, TEXT_MAX, TITLE_MAX

# Every row needs these; the id columns and the strategy's ultimate outcome, label,
# resources and tasks may be left out (an absent column changes nothing).
REQUIRED_COLUMNS = (
    "region",
    "logic_model",
    "need",
    "strategy",
    "term",
    "number",
    "text",
    "date_as_written",
    "due_date",
)


@dataclass(frozen=True)
class RowError:
    """One problem: `row` as a spreadsheet numbers it (the header is row 1), or None
    for the file as a whole; `value` is shortened for display."""

    row: int | None
    column: str | None
    value: str
    reason: str

    def __str__(self) -> str:
        if self.row is None:
            return self.reason
        where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
        return f'{where}, value "{self.value}": {self.reason}'


def shown(value: Any, limit: int = 60) -> str:
    """A cell's value for a message: shortened, invisible characters made visible."""
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, date) else str(value)
    short = text[:limit]
    out = "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in short)
    return out + (f"… ({len(text):,} characters)" if len(text) > limit else "")


@dataclass
class FileRow:
    """A data row: its cells as read, their clean values, and its errors. The
    strategy and outcome it describes are filled in by `match`."""

    number: int
    raw: RawRow
    values: dict[str, Any] = field(default_factory=dict)  # by column; region, need: ids
    source: dict[str, str] = field(default_factory=dict)  # region, need: the column used
    bad: set[str] = field(default_factory=set)
    errors: list[RowError] = field(default_factory=list)
    strategy_id: str | None = None
    outcome_id: str | None = None

    def fail(self, column: str, reason: str) -> None:
        shown_as = self.source.get(column, column)
        self.bad.add(column)
        self.errors.append(RowError(self.number, shown_as, shown(self.raw.get(shown_as)), reason))

    def ok(self, column: str) -> bool:
        return column in self.values and column not in self.bad

    def take(self, column: str, clean: Clean) -> None:
        """Clean the column's cell into `values`, if the file has the column."""
        if column not in self.raw:
            return
        try:
            self.values[column] = clean(self.raw[column])
        except BadCell as exc:
            self.fail(column, str(exc))

    def either(self, column: str, id_column: str) -> None:
        """region/need: given by id, by name, or both (then they must agree)."""
        by_id, by_name = self.values.pop(id_column, None), self.values.get(column)
        if id_column in self.bad or column in self.bad:
            self.bad.add(column)
            return
        if by_id is not None and by_name is not None and by_id != by_name:
            self.fail(column, f"does not match {id_column} {by_id!r}")
        elif by_id is None and by_name is None:
            self.fail(column, "empty")
        else:
            if by_name is None:
                self.source[column] = id_column
            self.values[column] = by_id or by_name


def file_problem(rows: list[RawRow]) -> RowError | None:
    """What is wrong with the file as a whole: no rows, or required columns missing."""
    if not [r for r in rows if not is_blank(r)]:
        return RowError(None, None, "", "The file has a header but no rows.")
    missing = [c for c in REQUIRED_COLUMNS if c not in rows[0]]
    if not missing:
        return None
    return RowError(
        None,
        None,
        ", ".join(missing),
        f"The file lacks required column{'s' if len(missing) > 1 else ''}: "
        f"{', '.join(missing)} (the template has every column).",
    )


def in_file_order(errors: list[RowError]) -> list[RowError]:
    """The errors by row, then in the order of the export's columns (the file as a
    whole first; a stable sort keeps the order they were found in otherwise)."""
    order = {c: i for i, c in enumerate(EXPORT_COLUMNS)}
    return sorted(errors, key=lambda e: (e.row or 0, order.get(e.column or "", -1)))


def parse_rows(rows: list[RawRow], regions: dict[str, str], needs: dict[str, str]) -> list[FileRow]:
    """Every row that is not blank, cleaned (`parse_row`); numbered as a spreadsheet
    numbers them (the header is row 1)."""
    return [
        parse_row(number, raw, regions, needs)
        for number, raw in enumerate(rows, start=2)
        if not is_blank(raw)
    ]


def parse_row(number: int, raw: RawRow, regions: dict[str, str], needs: dict[str, str]) -> FileRow:
    """Clean every cell of spreadsheet row `number`; `regions` and `needs` map a
    casefolded id or name to the id (see `match.Database`)."""
    row = FileRow(number, raw)
    if extra := raw.get(None):
        row.errors.append(
            RowError(number, None, shown(extra[0]), "more cells than the header has columns")
        )
    row.take("outcome_id", identifier("outcome_id"))
    row.take("region_id", known(regions, "region"))
    row.take("region", known(regions, "region"))
    row.either("region", "region_id")
    row.take("logic_model_id", identifier("logic_model_id"))
    row.take("logic_model", lambda v: clean_text(v, TITLE_MAX, required=True))
    row.take("logic_model_start", clean_date)
    row.take("need_id", known(needs, "need"))
    row.take("need", known(needs, "need"))
    row.either("need", "need_id")
    row.take("strategy_id", identifier("strategy_id"))
    row.take("strategy", lambda v: clean_text(v, TITLE_MAX, required=True))
    row.take("strategy_label", optional_text(LABEL_MAX))
    row.take("term", clean_term)
    row.take("number", optional_text(NUMBER_MAX))
    row.take("text", lambda v: clean_text(v, TEXT_MAX, required=True))
    row.take("date_as_written", optional_text(DATE_AS_WRITTEN_MAX))
    row.take("due_date", clean_date)
    row.take("ultimate_outcome", lambda v: clean_text(v, TEXT_MAX, required=False))
    row.take("resources", text_lines)
    row.take("tasks", text_lines)
    row.values["status"] = norm(cell_text(raw.get("status")))
    return row


def consistent(rows: list[FileRow], column: str, message: str, *, blank_inherits: bool) -> Any:
    """The value of `column` all rows share; rows that differ from the first good one
    fail with `message` (formatted with that row's number)."""
    ref: FileRow | None = None
    for row in rows:
        if not row.ok(column) or (blank_inherits and row.values[column] is None):
            continue
        if ref is None:
            ref = row
        elif row.values[column] != ref.values[column]:
            row.fail(column, message.format(row=ref.number))
    return ref.values[column] if ref else None
