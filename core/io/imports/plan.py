"""Import stage 5 — the ImportPlan: what importing a valid file adds, changes and
leaves out, worked out before anything is written.

`validate` runs the checking stages on the rows of a file (`rows`, then `match`) and
returns every problem found, in the order of the rows and the export's columns, or
the plan: for the logic model, each strategy and each outcome, whether it is new,
changed (edited, re-dated or restored) or unchanged; the outcomes and strategies of
the logic model that the file leaves out; the new outcomes that repeat an existing
one (`duplicates`); and notes for the report. Status columns
are compared only to be reported: statuses change only through status updates.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session

from core.io.columns import EXPORT_COLUMNS
from core.io.imports import duplicates
from core.io.imports.cells import norm
from core.io.imports.duplicates import LikelyDuplicate
from core.io.imports.match import (
    Database,
    resolve_logic_model,
    resolve_outcomes,
    resolve_strategies,
)
from core.io.imports.read import RawRow
from core.io.imports.rows import FileRow, RowError, file_problem, in_file_order, parse_rows
from core.plan.changelog import KINDS

# The optional strategy columns: file column → the strategy's field.
_STRATEGY_OPTIONAL = (
    ("strategy_label", "label"),
    ("resources", "resources"),
    ("tasks", "tasks"),
    ("ultimate_outcome", "ultimate_outcome"),
)


@dataclass(frozen=True)
class PlannedItem:
    """A logic model, strategy or outcome as the file describes it, and what
    importing it does: create it, or edit, re-date or restore it, or nothing."""

    kind: str
    item_id: str
    row: int  # the first row that describes it
    values: dict[str, Any]
    exists: bool
    changes: dict[str, Any] = field(default_factory=dict)  # for editing.edit_item
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
    likely_duplicates: list[LikelyDuplicate] = field(default_factory=list)

    def items(self) -> list[PlannedItem]:
        return [self.logic_model, *self.strategies, *self.outcomes]

    def counts(self) -> dict[str, Counter[str]]:
        out: dict[str, Counter[str]] = {kind: Counter() for kind in KINDS}
        for item in self.items():
            out[item.kind][item.outcome] += 1
        return out

    @property
    def changes_anything(self) -> bool:
        return any(item.outcome != "unchanged" for item in self.items())


def validate(session: Session, rows: list[RawRow]) -> ImportPlan | list[RowError]:
    """Check every row of a file (from `read_table`) against the database; return what
    importing it would do, or every problem found.

    A file holds one logic model. An empty id is found from what the row says: the
    logic model of that region with the same title; the strategy of that logic model
    with the same title; the outcome of that strategy and term with the same number
    (or, unnumbered, the same text). Otherwise a new one is made, named as the app
    names new items. An empty date_as_written or due_date leaves an existing
    outcome's own; a new outcome takes its due date from date_as_written."""
    if (problem := file_problem(rows)) is not None:
        return [problem]
    columns = [c for c in rows[0] if c is not None]
    db = Database.read(session)
    parsed = parse_rows(rows, db.regions, db.needs)
    lm = resolve_logic_model(db, parsed)
    if lm is not None:
        resolve_strategies(db, parsed, lm[0])
        resolve_outcomes(db, parsed)
    errors = [e for row in parsed for e in row.errors]
    if errors or lm is None:
        return in_file_order(errors)
    return _plan(db, parsed, columns, *lm)


def _plan(
    db: Database, rows: list[FileRow], columns: list[str], lm_id: str, ref: FileRow
) -> ImportPlan:
    """The plan of a file whose rows all passed; `ref` is the logic model's first row."""
    logic_model, notes = _plan_logic_model(db, rows, lm_id, ref)
    strategies = _plan_strategies(db, rows, lm_id, set(columns))
    outcomes = [_plan_outcome(db, row) for row in rows]
    missing_outcomes: list[MissingOutcome] = []
    missing_strategies: list[str] = []
    if logic_model.exists:
        missing_outcomes, missing_strategies = _left_out(
            db, lm_id, {s.item_id for s in strategies}, {o.item_id for o in outcomes}
        )
    ignored = [c for c in columns if c not in EXPORT_COLUMNS]
    if ignored:
        notes.append(f"Columns the import does not use were ignored: {', '.join(ignored)}.")
    return ImportPlan(
        logic_model=logic_model,
        strategies=strategies,
        outcomes=outcomes,
        missing_outcomes=missing_outcomes,
        missing_strategies=missing_strategies,
        status_differs=sum(_status_differs(db, row) for row in rows),
        notes=notes,
        likely_duplicates=duplicates.find(
            db.outcomes.values(),
            [(o.row, o.item_id, o.values) for o in outcomes if not o.exists],
        ),
    )


def _plan_logic_model(
    db: Database, rows: list[FileRow], lm_id: str, ref: FileRow
) -> tuple[PlannedItem, list[str]]:
    """The logic model, and a note when the file gives it another start (a start moves
    only by re-baselining)."""
    start = next(
        (r.values["logic_model_start"] for r in rows if r.values.get("logic_model_start")), None
    )
    values = {
        "region_id": ref.values["region"],
        "title": ref.values["logic_model"],
        "start_date": start or db.baseline_start,
    }
    existing = db.logic_models.get(lm_id)
    if existing is None:
        return PlannedItem("logic_model", lm_id, ref.number, values, exists=False), []
    notes = []
    changes = {}
    if norm(existing.title) != values["title"]:
        changes["title"] = values["title"]
    if existing.region_id != values["region_id"]:
        changes["region_id"] = values["region_id"]
    if start is not None and start != existing.start_date:
        notes.append(
            f"logic_model_start {start:%Y-%m-%d} differs from the logic model's start "
            f"({existing.start_date:%Y-%m-%d}); a start moves only by re-baselining, "
            "so it was left as it is."
        )
    item = PlannedItem(
        "logic_model",
        lm_id,
        ref.number,
        values,
        exists=True,
        changes=changes,
        restore=existing.retired,
    )
    return item, notes


def _plan_strategies(
    db: Database, rows: list[FileRow], lm_id: str, present: set[str]
) -> list[PlannedItem]:
    """One item a strategy, from the first of its rows (the others agree with it)."""
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
        for column, name in _STRATEGY_OPTIONAL:
            if column in present:
                values[name] = row.values[column]
        strategies.append(_planned_strategy(db, sid, row.number, values))
    return strategies


def _planned_strategy(db: Database, sid: str, row: int, values: dict[str, Any]) -> PlannedItem:
    existing = db.strategies.get(sid)
    if existing is None:
        return PlannedItem("strategy", sid, row, values, exists=False)
    current = {
        "need_id": existing.need_id,
        "title": norm(existing.title),
        "label": norm(existing.label) or None,
        "resources": [norm(x) for x in existing.resources if norm(x)],
        "tasks": [norm(x) for x in existing.tasks if norm(x)],
        "ultimate_outcome": norm(existing.ultimate_outcome),
    }
    changes = {
        name: value
        for name, value in values.items()
        if name != "logic_model_id" and current[name] != value
    }
    return PlannedItem(
        "strategy", sid, row, values, exists=True, changes=changes, restore=existing.retired
    )


# An empty date_as_written or due_date leaves an existing outcome's own; a new due
# date is a re-dating, not an edit.
def _plan_outcome(db: Database, row: FileRow) -> PlannedItem:
    assert row.outcome_id is not None  # every row has one once the checks pass
    values = {
        "strategy_id": row.strategy_id,
        "term": row.values["term"],
        "number": row.values["number"],
        "text": row.values["text"],
        "date_as_written": row.values["date_as_written"],
        "due_date": row.values["due_date"],
    }
    existing = db.outcomes.get(row.outcome_id)
    if existing is None:
        return PlannedItem("outcome", row.outcome_id, row.number, values, False)
    due = values["due_date"]
    return PlannedItem(
        "outcome",
        existing.id,
        row.number,
        values,
        exists=True,
        changes=_outcome_changes(values, existing),
        redate=due if due is not None and due != existing.due_date else None,
        restore=existing.retired,
    )


def _outcome_changes(values: dict[str, Any], existing: Any) -> dict[str, Any]:
    changes = {
        name: values[name]
        for name in ("term", "number", "text")
        if values[name] != (norm(getattr(existing, name)) or None)
    }
    written = values["date_as_written"]
    if written is not None and written != (norm(existing.date_as_written) or None):
        changes["date_as_written"] = written
    return changes


def _status_differs(db: Database, row: FileRow) -> bool:
    """Whether the row shows a status other than its (existing) outcome's."""
    existing = db.outcomes.get(row.outcome_id or "")
    status = row.values["status"]
    return existing is not None and bool(status) and status != existing.status


def _left_out(
    db: Database, lm_id: str, in_file_strategies: set[str], in_file_outcomes: set[str]
) -> tuple[list[MissingOutcome], list[str]]:
    """The outcomes of the logic model's strategies in use that the file leaves out,
    and those strategies that have no row in it."""
    missing: list[MissingOutcome] = []
    missing_strategies: list[str] = []
    for s in db.strategies.values():
        if s.logic_model_id != lm_id or s.retired:
            continue
        if s.id not in in_file_strategies:
            missing_strategies.append(s.id)
        missing += [
            MissingOutcome(o.id, s.id, o.text)
            for o in db.outcomes.values()
            if o.strategy_id == s.id and not o.retired and o.id not in in_file_outcomes
        ]
    return missing, missing_strategies
