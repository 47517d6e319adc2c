"""Importing a logic model from a CSV or Excel file with the export's columns.

The whole file is checked first: every bad row is reported with its row number as a
spreadsheet shows it (the header is row 1), the column, the value and the reason,
and nothing is imported unless every row passes. Then one write transaction applies
it through `core.plan_changes`, which checks that the actor is an admin and writes
each change to the plan's change log (one batch per import). Rows that match the
database change nothing, so importing the same file again changes nothing.

Rows are matched by id; an empty id is found by what the row says (see `validate`).
Status columns are not imported: statuses change only through status updates.
Outcomes of the logic model that the file leaves out are reported and left as they
are, unless the import is asked to retire them.
"""

from __future__ import annotations

import csv
import getpass
import io
import re
import uuid
from collections import Counter
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import Engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from core.errors import TrackerError, UpdateRejected
from core.io.columns import EXPORT_COLUMNS
from core.io.exports import unescape
from core.models import (
    DateBasis,
    DateFlag,
    LogicModel,
    Need,
    Outcome,
    Plan,
    PlanChange,
    Region,
    Role,
    Strategy,
    Term,
)
from core.people.accounts import get_user_by_username
from core.people.permissions import Actor, PermissionDenied, actor_for, require_admin
from core.plan import changelog, editing, ids, redating
from core.plan.changelog import KINDS
from core.plan.dates import parse_date_as_written
from core.plan.fields import (
    DATE_AS_WRITTEN_MAX,
    EARLIEST,
    ITEM_MAX,
    LABEL_MAX,
    LATEST,
    NUMBER_MAX,
    TEXT_MAX,
    TITLE_MAX,
    TextProblem,
    fold_whitespace,
    text_problem,
)
from core.plan.ids import Taken, new_logic_model_id, new_outcome_id, new_strategy_id
from core.store.db import DatabaseUnavailable, describe_db_error, write_session

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
MAX_ROWS = 5_000
ID_MAX = {  # the id columns' lengths
    f"{kind}_id": ids.id_limit(model) for kind, model in changelog.MODELS.items()
}
KIND_PLURAL = {"logic_model": "logic model", "strategy": "strategies", "outcome": "outcomes"}

_ID = re.compile(r"^[A-Za-z0-9._-]+$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_STRATEGY_FIELDS = ("need", "strategy", "strategy_label", "ultimate_outcome", "resources", "tasks")
_LOGIC_MODEL_FIELDS = ("logic_model_id", "region", "logic_model", "logic_model_start")


class ImportFileError(TrackerError, ValueError):
    """The file cannot be read as a table; the message says why and what to do."""


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


def read_table(source: str | Path | bytes, filename: str | None = None) -> list[dict[str, Any]]:
    """The data rows of a .csv (UTF-8, with or without a byte-order mark) or .xlsx
    file (its first sheet), as dicts keyed by the header's column names. Blank rows
    are kept (as rows of empty cells), so row i of the result is spreadsheet row i + 2.
    Cells beyond the header's columns are kept under the key None.
    Raises ImportFileError with a message for the user."""
    if isinstance(source, bytes):
        content, name = source, filename or "the file"
    else:
        path = Path(source)
        name = filename or path.name
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise ImportFileError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    suffix = Path(name).suffix.lower()
    if not content.strip():
        raise ImportFileError(f"{name} is empty.")
    if suffix == ".xls":
        raise ImportFileError(
            f"{name} is in the old Excel 97–2003 format. Save it as an Excel workbook "
            "(.xlsx) or as CSV UTF-8, then upload it again."
        )
    if suffix == ".xlsx" or (suffix != ".csv" and content.startswith(b"PK\x03\x04")):
        cells = _xlsx_cells(content, name)
    elif suffix == ".csv":
        if content.startswith(b"PK\x03\x04"):
            raise ImportFileError(
                f"{name} is an Excel workbook named .csv; rename it to .xlsx, or save it "
                "from Excel as CSV UTF-8."
            )
        cells = _csv_cells(content, name)
    else:
        raise ImportFileError(
            f"{name} is not a .csv or .xlsx file. Download the template from the app, "
            "fill it in and save it as .xlsx or CSV UTF-8."
        )
    return _as_dicts(cells, name)


def _csv_cells(content: bytes, name: str) -> list[list[Any]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"{name} is not UTF-8 text (byte {exc.start + 1} cannot be read). In Excel, "
            "save it as “CSV UTF-8 (Comma delimited)”."
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise ImportFileError(f"{name} could not be read as CSV: {exc}.") from None


def _xlsx_cells(content: bytes, name: str) -> list[list[Any]]:
    try:
        workbook = load_workbook(io.BytesIO(content), data_only=False)
    except Exception:  # openpyxl raises many kinds; none of them is for the user
        raise ImportFileError(
            f"{name} could not be read as an Excel workbook (.xlsx). Is it another kind "
            "of file, or damaged?"
        ) from None
    try:
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _as_dicts(cells: list[list[Any]], name: str) -> list[dict[str, Any]]:
    while cells and _blank(cells[-1]):
        cells.pop()
    if not cells:
        raise ImportFileError(f"{name} is empty.")
    header = [
        "_".join(str(c).split()).lower() if c is not None and str(c).strip() else ""
        for c in cells[0]
    ]
    header = [h.lstrip("\ufeff") for h in header]
    if not any(header):
        raise ImportFileError(
            f"The first row of {name} is empty; it must name the columns (see the template)."
        )
    seen = Counter(h for h in header if h)
    if twice := sorted(h for h, n in seen.items() if n > 1):
        raise ImportFileError(f"The header of {name} names {', '.join(twice)} more than once.")
    if len(cells) - 1 > MAX_ROWS:
        raise ImportFileError(
            f"{name} has {len(cells) - 1:,} rows; a logic model file has at most {MAX_ROWS:,}."
        )
    rows = []
    for raw in cells[1:]:
        row: dict[str, Any] = {h: None for h in header if h}
        extra = []
        for i, value in enumerate(raw):
            if i < len(header) and header[i]:
                row[header[i]] = value
            elif value not in (None, ""):
                extra.append(value)
        if extra:
            row[None] = extra
        rows.append(row)
    return rows


def _blank(cells) -> bool:
    values = cells.values() if isinstance(cells, dict) else cells
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


class _Bad(ValueError):
    """A cell's problem, as the reason shown to the user."""


def _norm(value: Any) -> str:
    """Whitespace collapsed, as the plan stores text (core.plan.fields)."""
    return fold_whitespace(value)


def _cell_text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, datetime):
        raw = raw.date() if raw.time() == datetime.min.time() else raw
    if isinstance(raw, date):
        return raw.isoformat()
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return unescape(str(raw))


def _text(raw: Any, limit: int, *, required: bool) -> str:
    text = fold_whitespace(_cell_text(raw))
    problem = text_problem(text, limit, required=required)
    if problem is TextProblem.TOO_LONG:
        raise _Bad(f"too long: {len(text):,} characters (the limit is {limit:,})")
    if problem is not None:
        raise _Bad(problem.value)
    return text


def _optional(limit: int):
    return lambda raw: _text(raw, limit, required=False) or None


def _lines(raw: Any) -> list[str]:
    text = _cell_text(raw)
    if "\x00" in text:
        raise _Bad("NUL character")
    items = [fold_whitespace(line) for line in text.splitlines()]
    items = [item for item in items if item]
    for item in items:
        problem = text_problem(item, ITEM_MAX, required=False)
        if problem is TextProblem.TOO_LONG:
            raise _Bad(f"a line is too long: {len(item):,} characters (the limit is {ITEM_MAX:,})")
        if problem is not None:
            raise _Bad(problem.value)
    return items


def _date(raw: Any) -> date | None:
    if isinstance(raw, datetime):
        day = raw.date()
    elif isinstance(raw, date):
        day = raw
    else:
        text = _cell_text(raw).strip()
        if not text:
            return None
        if "\x00" in text:
            raise _Bad("NUL character")
        if m := _ISO_DATE.match(text):
            year, month, dd = (int(g) for g in m.groups())
        elif m := _US_DATE.match(text):
            month, dd, year = (int(g) for g in m.groups())
        else:
            raise _Bad("unparseable date (write it as YYYY-MM-DD)")
        try:
            day = date(year, month, dd)
        except ValueError:
            raise _Bad("impossible date") from None
    if not EARLIEST <= day <= LATEST:
        raise _Bad(f"date outside {EARLIEST.year}–{LATEST.year}")
    return day


def _term(raw: Any) -> str:
    text = _text(raw, 20, required=True).lower()
    text = text.removesuffix(" term").removesuffix("-term")
    try:
        return Term(text).value
    except ValueError:
        raise _Bad("unknown term (use short, medium or long)") from None


def _identifier(column: str):
    def clean(raw: Any) -> str | None:
        text = _cell_text(raw).strip()
        if not text:
            return None
        if "\x00" in text:
            raise _Bad("NUL character")
        if not _ID.match(text):
            raise _Bad("not an id (letters, digits, '.', '-' and '_' only)")
        if len(text) > ID_MAX[column]:
            raise _Bad(f"too long for an id (the limit is {ID_MAX[column]} characters)")
        return text

    return clean


def _known(lookup: dict[str, str], what: str):
    def clean(raw: Any) -> str | None:
        text = _text(raw, 200, required=False)
        if not text:
            return None
        if (found := lookup.get(text.casefold())) is None:
            raise _Bad(f"unknown {what}")
        return found

    return clean


def _columns(model, *names: str):
    return [getattr(model, name) for name in names]


@dataclass
class _Database:
    """What validation compares the file with, read as plain rows (no ORM objects)."""

    regions: dict[str, str]  # casefolded id or name → id
    needs: dict[str, str]
    baseline_start: date
    logic_models: dict[str, Any]  # id → row with the fields below
    strategies: dict[str, Any]
    outcomes: dict[str, Any]

    @classmethod
    def read(cls, session: Session) -> _Database:
        def names(rows, label: str) -> dict[str, str]:
            out = {getattr(r, label).casefold(): r.id for r in rows}
            out.update({r.id.casefold(): r.id for r in rows})
            return out

        def by_id(stmt) -> dict[str, Any]:
            return {row.id: row for row in session.exec(stmt).all()}

        plan = session.get(Plan, 1)
        lm = _columns(LogicModel, "id", "region_id", "title", "start_date", "position", "retired")
        st = _columns(
            Strategy,
            *("id", "logic_model_id", "need_id", "label", "title", "resources", "tasks"),
            *("ultimate_outcome", "retired"),
        )
        oc = _columns(
            Outcome,
            *("id", "strategy_id", "term", "number", "text", "date_as_written", "due_date"),
            *("status", "retired"),
        )
        return cls(
            regions=names(session.exec(select(Region.id, Region.name)).all(), "name"),
            needs=names(session.exec(select(Need.id, Need.label)).all(), "label"),
            baseline_start=plan.baseline_start if plan else date.today(),
            logic_models=by_id(select(*lm)),
            strategies=by_id(select(*st).order_by(Strategy.position)),
            outcomes=by_id(select(*oc).order_by(Outcome.strategy_id, Outcome.position)),
        )


@dataclass
class _Row:
    number: int
    raw: dict[str, Any]
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

    def take(self, column: str, clean) -> None:
        if column not in self.raw:
            return
        try:
            self.values[column] = clean(self.raw[column])
        except _Bad as exc:
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


def _parse_row(db: _Database, number: int, raw: dict[str, Any]) -> _Row:
    row = _Row(number, raw)
    if extra := raw.get(None):
        row.errors.append(
            RowError(number, None, shown(extra[0]), "more cells than the header has columns")
        )
    row.take("outcome_id", _identifier("outcome_id"))
    row.take("region_id", _known(db.regions, "region"))
    row.take("region", _known(db.regions, "region"))
    row.either("region", "region_id")
    row.take("logic_model_id", _identifier("logic_model_id"))
    row.take("logic_model", lambda v: _text(v, TITLE_MAX, required=True))
    row.take("logic_model_start", _date)
    row.take("need_id", _known(db.needs, "need"))
    row.take("need", _known(db.needs, "need"))
    row.either("need", "need_id")
    row.take("strategy_id", _identifier("strategy_id"))
    row.take("strategy", lambda v: _text(v, TITLE_MAX, required=True))
    row.take("strategy_label", _optional(LABEL_MAX))
    row.take("term", _term)
    row.take("number", _optional(NUMBER_MAX))
    row.take("text", lambda v: _text(v, TEXT_MAX, required=True))
    row.take("date_as_written", _optional(DATE_AS_WRITTEN_MAX))
    row.take("due_date", _date)
    row.take("ultimate_outcome", lambda v: _text(v, TEXT_MAX, required=False))
    row.take("resources", _lines)
    row.take("tasks", _lines)
    row.values["status"] = _norm(_cell_text(raw.get("status")))
    return row


@dataclass(frozen=True)
class PlannedItem:
    """A logic model, strategy or outcome as the file describes it, and what
    importing it does: create it, or edit, re-date or restore it, or nothing."""

    kind: str
    item_id: str
    row: int  # the first row that describes it
    values: dict[str, Any]
    exists: bool
    changes: dict[str, Any] = field(default_factory=dict)  # for plan_changes.edit_item
    redate: date | None = None
    restore: bool = False

    @property
    def outcome(self) -> str:
        if not self.exists:
            return "new"
        return "changed" if self.changes or self.redate or self.restore else "unchanged"


@dataclass(frozen=True)
class MissingOutcome:
    outcome_id: str
    strategy_id: str
    text: str


@dataclass
class ImportPlan:
    """What importing a valid file does, worked out before anything is written."""

    logic_model: PlannedItem
    strategies: list[PlannedItem]
    outcomes: list[PlannedItem]
    missing_outcomes: list[MissingOutcome] = field(default_factory=list)
    missing_strategies: list[str] = field(default_factory=list)
    status_differs: int = 0
    notes: list[str] = field(default_factory=list)

    def items(self) -> list[PlannedItem]:
        return [self.logic_model, *self.strategies, *self.outcomes]

    def counts(self) -> dict[str, Counter]:
        out = {kind: Counter() for kind in KINDS}
        for item in self.items():
            out[item.kind][item.outcome] += 1
        return out

    @property
    def changes_anything(self) -> bool:
        return any(item.outcome != "unchanged" for item in self.items())


def validate(session: Session, rows: list[dict[str, Any]]) -> ImportPlan | list[RowError]:
    """Check every row of a file (from `read_table`) against the database; return what
    importing it would do, or every problem found.

    A file holds one logic model. An empty id is found from what the row says: the
    logic model of that region with the same title; the strategy of that logic model
    with the same title; the outcome of that strategy and term with the same number
    (or, unnumbered, the same text). Otherwise a new one is made, named as the app
    names new items. An empty date_as_written or due_date leaves an existing
    outcome's own; a new outcome takes its due date from date_as_written."""
    if not [r for r in rows if not _blank(r)]:
        return [RowError(None, None, "", "The file has a header but no rows.")]
    columns = [c for c in rows[0] if c is not None]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        return [
            RowError(
                None,
                None,
                ", ".join(missing),
                f"The file lacks required column{'s' if len(missing) > 1 else ''}: "
                f"{', '.join(missing)} (the template has every column).",
            )
        ]
    db = _Database.read(session)
    parsed = [
        _parse_row(db, number, raw) for number, raw in enumerate(rows, start=2) if not _blank(raw)
    ]
    lm = _resolve_logic_model(db, parsed)
    if lm is not None:
        _resolve_strategies(db, parsed, lm[0])
        _resolve_outcomes(db, parsed)
    errors = [e for row in parsed for e in row.errors]
    if errors or lm is None:
        order = {c: i for i, c in enumerate(EXPORT_COLUMNS)}
        return sorted(errors, key=lambda e: (e.row or 0, order.get(e.column or "", -1)))
    return _plan(db, parsed, columns, *lm)


def _consistent(rows: list[_Row], column: str, message: str, *, blank_inherits: bool) -> Any:
    """The value of `column` all rows share; rows that differ from the first good one
    fail with `message` (formatted with that row's number)."""
    ref: _Row | None = None
    for row in rows:
        if not row.ok(column) or (blank_inherits and row.values[column] is None):
            continue
        if ref is None:
            ref = row
        elif row.values[column] != ref.values[column]:
            row.fail(column, message.format(row=ref.number))
    return ref.values[column] if ref else None


def _resolve_logic_model(db: _Database, rows: list[_Row]) -> tuple[str, _Row] | None:
    message = "not the same logic model as row {row} (a file holds one logic model)"
    shared = {
        column: _consistent(
            rows, column, message, blank_inherits=column in ("logic_model_id", "logic_model_start")
        )
        for column in _LOGIC_MODEL_FIELDS
    }
    good = [r for r in rows if r.ok("region") and r.ok("logic_model")]
    if not good:
        return None
    ref = good[0]
    if (lm_id := shared["logic_model_id"]) is None:
        region, title = ref.values["region"], ref.values["logic_model"]
        same = sorted(
            (
                m
                for m in db.logic_models.values()
                if m.region_id == region and _norm(m.title) == title
            ),
            key=lambda m: (m.retired, m.position),
        )
        lm_id = same[0].id if same else new_logic_model_id(region, title, _in(db.logic_models))
    return lm_id, ref


def _in(*taken: Collection[str]) -> Taken:
    return lambda item_id: any(item_id in t for t in taken)


def _resolve_strategies(db: _Database, rows: list[_Row], lm_id: str) -> None:
    explicit = [r for r in rows if r.ok("strategy_id") and r.values["strategy_id"]]
    by_title: dict[str, str] = {}
    for r in explicit:
        if r.ok("strategy"):
            by_title.setdefault(r.values["strategy"], r.values["strategy_id"])
    for s in sorted(db.strategies.values(), key=lambda s: s.retired):
        if s.logic_model_id == lm_id:
            by_title.setdefault(_norm(s.title), s.id)
    taken = {r.values["strategy_id"] for r in explicit}
    for row in rows:
        if "strategy_id" in row.bad:
            continue
        sid = row.values.get("strategy_id")
        if sid is None:
            if not row.ok("strategy"):
                continue
            title = row.values["strategy"]
            if (sid := by_title.get(title)) is None:
                sid = by_title[title] = new_strategy_id(lm_id, title, _in(db.strategies, taken))
                taken.add(sid)
        row.strategy_id = sid
        existing = db.strategies.get(sid)
        if existing is not None and existing.logic_model_id != lm_id:
            row.fail(
                "strategy_id",
                f"belongs to logic model {existing.logic_model_id!r}; a strategy cannot "
                "move to another logic model",
            )
    groups: dict[str, list[_Row]] = {}
    for row in rows:
        if row.strategy_id is not None:
            groups.setdefault(row.strategy_id, []).append(row)
    for group in groups.values():
        for column in _STRATEGY_FIELDS:
            _consistent(
                group,
                column,
                "differs from row {row} (each row of a strategy repeats its columns)",
                blank_inherits=False,
            )


def _resolve_outcomes(db: _Database, rows: list[_Row]) -> None:
    first: dict[str, _Row] = {}
    for row in rows:
        if row.strategy_id is None or not row.ok("outcome_id") or not row.values["outcome_id"]:
            continue
        oid = row.values["outcome_id"]
        if oid in first:
            row.fail("outcome_id", f"duplicate outcome_id (also row {first[oid].number})")
        else:
            first[oid] = row
            row.outcome_id = oid
    numbered: dict[tuple[str, str, str], _Row] = {}
    for row in rows:
        if row.strategy_id is None or not (row.ok("term") and row.ok("number")):
            continue
        if (number := row.values["number"]) is None:
            continue
        key = (row.strategy_id, row.values["term"], number)
        if key in numbered:
            row.fail(
                "number",
                f"duplicate: row {numbered[key].number} has the same strategy, term and number",
            )
        else:
            numbered[key] = row
    referenced = set(first)
    taken = set(db.outcomes) | referenced
    of_strategy: dict[str, list[Any]] = {}
    for o in db.outcomes.values():
        of_strategy.setdefault(o.strategy_id, []).append(o)
    for row in rows:
        if row.outcome_id or row.strategy_id is None or "outcome_id" in row.bad:
            continue
        if not (row.ok("term") and row.ok("number") and row.ok("text")):
            continue
        sid, term, number, text = (
            row.strategy_id,
            row.values["term"],
            row.values["number"],
            row.values["text"],
        )
        match = next(
            (
                o
                for o in of_strategy.get(sid, ())
                if o.term == term
                and o.id not in referenced
                and (_norm(o.number) or None) == number
                and (number is not None or _norm(o.text) == text)
            ),
            None,
        )
        oid = match.id if match is not None else new_outcome_id(sid, term, number, _in(taken))
        referenced.add(oid)
        taken.add(oid)
        row.outcome_id = oid
    for row in rows:
        if row.outcome_id is None:
            continue
        existing = db.outcomes.get(row.outcome_id)
        if existing is not None and existing.strategy_id != row.strategy_id:
            row.fail(
                "outcome_id",
                f"belongs to strategy {existing.strategy_id!r}; an outcome cannot move to "
                "another strategy",
            )
        elif existing is None and row.ok("due_date") and row.values["due_date"] is None:
            _due_from_text(row)


def _due_from_text(row: _Row) -> None:
    """A new outcome without a due date takes it from date_as_written."""
    if not row.ok("date_as_written"):
        return
    written = row.values["date_as_written"]
    parsed = parse_date_as_written(written, first_year=EARLIEST.year, last_year=LATEST.year)
    if parsed.due_date is not None and parsed.basis in (
        DateBasis.AS_WRITTEN,
        DateBasis.END_OF_MONTH,
    ):
        row.values["due_date"] = parsed.due_date
    elif parsed.flag == DateFlag.IMPOSSIBLE_DATE:
        row.fail("date_as_written", "impossible date (give the due_date)")
    else:
        row.fail("due_date", "empty: a new outcome needs a due date (YYYY-MM-DD)")


def _plan(db: _Database, rows: list[_Row], columns: list[str], lm_id: str, ref: _Row) -> ImportPlan:
    present = set(columns)
    notes: list[str] = []
    start = next(
        (r.values["logic_model_start"] for r in rows if r.values.get("logic_model_start")), None
    )
    lm_values = {
        "region_id": ref.values["region"],
        "title": ref.values["logic_model"],
        "start_date": start or db.baseline_start,
    }
    existing_lm = db.logic_models.get(lm_id)
    if existing_lm is None:
        logic_model = PlannedItem("logic_model", lm_id, ref.number, lm_values, exists=False)
    else:
        changes = {}
        if _norm(existing_lm.title) != lm_values["title"]:
            changes["title"] = lm_values["title"]
        if existing_lm.region_id != lm_values["region_id"]:
            changes["region_id"] = lm_values["region_id"]
        if start is not None and start != existing_lm.start_date:
            notes.append(
                f"logic_model_start {start:%Y-%m-%d} differs from the logic model's start "
                f"({existing_lm.start_date:%Y-%m-%d}); a start moves only by re-baselining, "
                "so it was left as it is."
            )
        logic_model = PlannedItem(
            "logic_model",
            lm_id,
            ref.number,
            lm_values,
            exists=True,
            changes=changes,
            restore=existing_lm.retired,
        )

    strategies: list[PlannedItem] = []
    seen: set[str] = set()
    for row in rows:
        sid = row.strategy_id
        if sid is None or sid in seen:
            continue
        seen.add(sid)
        values: dict[str, Any] = {
            "logic_model_id": lm_id,
            "need_id": row.values["need"],
            "title": row.values["strategy"],
        }
        for column, name in (
            ("strategy_label", "label"),
            ("resources", "resources"),
            ("tasks", "tasks"),
            ("ultimate_outcome", "ultimate_outcome"),
        ):
            if column in present:
                values[name] = row.values[column]
        strategies.append(_planned_strategy(db, sid, row.number, values))

    outcomes: list[PlannedItem] = []
    status_differs = 0
    for row in rows:
        values = {
            "strategy_id": row.strategy_id,
            "term": row.values["term"],
            "number": row.values["number"],
            "text": row.values["text"],
            "date_as_written": row.values["date_as_written"],
            "due_date": row.values["due_date"],
        }
        existing = db.outcomes.get(row.outcome_id or "")
        if existing is None:
            outcomes.append(PlannedItem("outcome", row.outcome_id, row.number, values, False))
            continue
        if row.values["status"] and row.values["status"] != existing.status:
            status_differs += 1
        changes = {
            name: values[name]
            for name in ("term", "number", "text")
            if values[name] != (_norm(getattr(existing, name)) or None)
        }
        written = values["date_as_written"]
        if written is not None and written != (_norm(existing.date_as_written) or None):
            changes["date_as_written"] = written
        due = values["due_date"]
        outcomes.append(
            PlannedItem(
                "outcome",
                existing.id,
                row.number,
                values,
                exists=True,
                changes=changes,
                redate=due if due is not None and due != existing.due_date else None,
                restore=existing.retired,
            )
        )

    in_file = {item.item_id for item in outcomes}
    missing: list[MissingOutcome] = []
    missing_strategies: list[str] = []
    if existing_lm is not None:
        for s in db.strategies.values():
            if s.logic_model_id != lm_id or s.retired:
                continue
            if s.id not in seen:
                missing_strategies.append(s.id)
            missing += [
                MissingOutcome(o.id, s.id, o.text)
                for o in db.outcomes.values()
                if o.strategy_id == s.id and not o.retired and o.id not in in_file
            ]
    ignored = [c for c in columns if c not in EXPORT_COLUMNS]
    if ignored:
        notes.append(f"Columns the import does not use were ignored: {', '.join(ignored)}.")
    return ImportPlan(
        logic_model=logic_model,
        strategies=strategies,
        outcomes=outcomes,
        missing_outcomes=missing,
        missing_strategies=missing_strategies,
        status_differs=status_differs,
        notes=notes,
    )


def _planned_strategy(db: _Database, sid: str, row: int, values: dict[str, Any]) -> PlannedItem:
    existing = db.strategies.get(sid)
    if existing is None:
        return PlannedItem("strategy", sid, row, values, exists=False)
    current = {
        "need_id": existing.need_id,
        "title": _norm(existing.title),
        "label": _norm(existing.label) or None,
        "resources": [_norm(x) for x in existing.resources if _norm(x)],
        "tasks": [_norm(x) for x in existing.tasks if _norm(x)],
        "ultimate_outcome": _norm(existing.ultimate_outcome),
    }
    changes = {
        name: value
        for name, value in values.items()
        if name != "logic_model_id" and current[name] != value
    }
    return PlannedItem(
        "strategy", sid, row, values, exists=True, changes=changes, restore=existing.retired
    )


class ImportRejected(TrackerError):
    """A change the checks let through was refused while writing; nothing was written."""

    def __init__(self, errors: list[RowError]):
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


@contextmanager
def _one_batch(session: Session) -> Iterator[str]:
    """Give every change-log entry written inside the block the same batch id, so the
    log shows one import as one action (plan_changes' functions take no batch)."""
    batch = uuid.uuid4().hex

    def tag(sess, _context, _instances) -> None:
        for obj in sess.new:
            if isinstance(obj, PlanChange) and obj.batch is None:
                obj.batch = batch

    event.listen(session, "before_flush", tag)
    try:
        yield batch
    finally:
        event.remove(session, "before_flush", tag)


def apply(
    session: Session,
    *,
    actor: Actor,
    plan: ImportPlan,
    reason: str,
    retire_missing: bool = False,
) -> dict[str, Counter]:
    """Write a validated plan with core.plan_changes (admins only); returns what was
    done per kind: new, changed, unchanged (and retired outcomes)."""
    require_admin(actor, "import the plan")
    done = {kind: Counter() for kind in KINDS}
    with _one_batch(session):
        for item in plan.items():
            try:
                done[item.kind][_apply_item(session, actor, item, reason)] += 1
            except UpdateRejected as exc:
                raise ImportRejected([RowError(item.row, None, item.item_id, str(exc))]) from exc
        if retire_missing:
            for missing in plan.missing_outcomes:
                editing.set_retired(
                    session=session,
                    actor=actor,
                    kind="outcome",
                    item_id=missing.outcome_id,
                    retired=True,
                    reason=f"{reason} (not in the file)",
                )
                done["outcome"]["retired"] += 1
    return done


def _apply_item(session: Session, actor: Actor, item: PlannedItem, reason: str) -> str:
    v = item.values
    if not item.exists:
        if item.kind == "logic_model":
            editing.create_logic_model(
                session=session,
                actor=actor,
                region_id=v["region_id"],
                title=v["title"],
                start_date=v["start_date"],
                reason=reason,
                logic_model_id=item.item_id,
            )
        elif item.kind == "strategy":
            editing.create_strategy(
                session=session, actor=actor, strategy_id=item.item_id, reason=reason, **v
            )
        else:
            editing.create_outcome(
                session=session,
                actor=actor,
                outcome_id=item.item_id,
                strategy_id=v["strategy_id"],
                term=v["term"],
                number=v["number"],
                text=v["text"],
                date_as_written=v["date_as_written"],
                due_date=v["due_date"],
                reason=reason,
            )
        return "new"
    changed = False
    if item.restore:
        editing.set_retired(
            session=session,
            actor=actor,
            kind=item.kind,
            item_id=item.item_id,
            retired=False,
            reason=reason,
        )
        changed = True
    if item.changes:
        entry = editing.edit_item(
            session=session,
            actor=actor,
            kind=item.kind,
            item_id=item.item_id,
            changes=item.changes,
            reason=reason,
        )
        changed = changed or entry is not None
    if item.redate is not None:
        redating.redate_outcome(
            session=session,
            actor=actor,
            outcome_id=item.item_id,
            due_date=item.redate,
            reason=reason,
        )
        changed = True
    return "changed" if changed else "unchanged"


@dataclass
class ImportReport:
    """What an import found and did (or, for a dry run, would do)."""

    filename: str
    errors: list[RowError] = field(default_factory=list)
    plan: ImportPlan | None = None
    counts: dict[str, Counter] | None = None
    applied: bool = False
    dry_run: bool = False
    retire_missing: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def count_line(self) -> str:
        counts = self.counts or {}
        lm = counts.get("logic_model", Counter())
        parts = [f"logic model {next((k for k in ('new', 'changed') if lm[k]), 'unchanged')}"]
        for kind in ("strategy", "outcome"):
            c = counts.get(kind, Counter())
            text = f"{c['new']} new, {c['changed']} changed, {c['unchanged']} unchanged"
            if c["retired"]:
                text += f", {c['retired']} retired"
            parts.append(f"{KIND_PLURAL[kind]} {text}")
        return "; ".join(parts) + "."

    def lines(self) -> list[str]:
        if self.errors:
            n = len({e.row for e in self.errors if e.row is not None})
            head = (
                f"{self.filename}: {n} row{'s' if n != 1 else ''} with problems; "
                if n
                else f"{self.filename}: "
            )
            return [head + "nothing was imported.", *map(str, self.errors)]
        assert self.plan is not None
        if self.applied:
            out = [f"Imported {self.filename}: {self.count_line()}"]
        else:
            out = [
                f"Checked {self.filename}; nothing was changed yet. Importing it: "
                f"{self.count_line()}"
            ]
        differ = self.plan.status_differs
        out.append(
            "Status columns were not imported: statuses change only through status updates"
            + (
                f" ({differ} row{'s show' if differ != 1 else ' shows'} a status other than "
                "the database's)."
                if differ
                else "."
            )
        )
        missing = len(self.plan.missing_outcomes)
        if missing and self.retire_missing:
            verb = "were" if self.applied else "would be"
            out.append(
                f"{missing} outcome{'s' if missing != 1 else ''} in the database "
                f"{'are' if missing != 1 else 'is'} not in the file; they {verb} retired."
            )
        elif missing:
            out.append(
                f"{missing} outcome{'s' if missing != 1 else ''} in the database "
                f"{'are' if missing != 1 else 'is'} not in the file; they were left as they are."
            )
        if n := len(self.plan.missing_strategies):
            out.append(
                f"{n} strateg{'ies' if n != 1 else 'y'} of this logic model "
                f"{'have' if n != 1 else 'has'} no row in the file; left as "
                f"{'they are' if n != 1 else 'it is'}."
            )
        return out + self.plan.notes


def import_rows(
    engine: Engine,
    rows: list[dict[str, Any]],
    *,
    actor: Actor,
    filename: str = "the file",
    reason: str | None = None,
    retire_missing: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    """Validate `rows` and, unless this is a dry run or something is wrong, apply them
    in one write transaction (validated inside it, so nothing can change in between).
    A database failure rolls everything back and raises DatabaseUnavailable."""
    report = ImportReport(filename, dry_run=dry_run, retire_missing=retire_missing)
    try:
        require_admin(actor, "import the plan")
    except PermissionDenied as exc:
        report.errors = [RowError(None, None, "", str(exc))]
        return report
    reason = reason or f"Imported from {filename[:200]}"
    if dry_run:
        with Session(engine) as session:
            result = validate(session, rows)
        if isinstance(result, list):
            report.errors = result
            return report
        report.plan, report.counts = result, result.counts()
        if retire_missing:
            report.counts["outcome"]["retired"] = len(result.missing_outcomes)
        return report
    try:
        with write_session(engine) as session:
            result = validate(session, rows)
            if isinstance(result, list):
                report.errors = result
                return report
            report.counts = apply(
                session, actor=actor, plan=result, reason=reason, retire_missing=retire_missing
            )
            report.plan = result
    except ImportRejected as exc:
        report.errors = exc.errors
        report.plan = None
        return report
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(describe_db_error(exc, engine)) from exc
    report.applied = True
    return report


def import_file(
    engine: Engine,
    source: str | Path | bytes,
    *,
    actor: Actor,
    filename: str | None = None,
    reason: str | None = None,
    retire_missing: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    """Read, validate and (unless `dry_run`) import a .csv or .xlsx file."""
    name = filename or (Path(source).name if not isinstance(source, bytes) else "the file")
    try:
        rows = read_table(source, name)
    except ImportFileError as exc:
        return ImportReport(name, errors=[RowError(None, None, "", str(exc))], dry_run=dry_run)
    return import_rows(
        engine,
        rows,
        actor=actor,
        filename=name,
        reason=reason,
        retire_missing=retire_missing,
        dry_run=dry_run,
    )


def command_line_actor(session: Session, username: str | None = None) -> Actor:
    """Who `python -m core import` acts as: the named user (who must be an active
    admin), or else the operating-system user at the command line, as an admin."""
    if username is None:
        try:
            who = getpass.getuser()
        except (KeyError, OSError):
            who = "unknown"
        return Actor(user_id=None, username=f"cli:{who}"[:120], display_name=who, role=Role.ADMIN)
    user = get_user_by_username(session=session, username=username)
    actor = actor_for(session, user)
    if user is None:
        raise PermissionDenied(f"There is no user {username!r}.")
    if not actor.is_admin:
        raise PermissionDenied(f"{username!r} is not an active admin; only admins can import.")
    return actor
