"""Import stage 4 — matching the rows with the database.

A file holds one logic model. Each row is matched by its ids; an empty id is found
from what the row says: the logic model of that region with the same title; the
strategy of that logic model with the same title; the outcome of that strategy and
term with the same number (or, unnumbered, the same text). What is not found gets a
new id, made as the plan editor makes it (`core.plan.ids`). The rows of one logic
model, or of one strategy, must agree on its columns; an id used twice, a strategy
moved to another logic model or an outcome moved to another strategy is an error of
the row. A new outcome without a due date takes it from its date_as_written.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, select

from core.io.imports.cells import norm
from core.io.imports.rows import FileRow, consistent
from core.models import DateBasis, DateFlag, LogicModel, Need, Outcome, Plan, Region, Strategy
from core.plan.dates import parse_date_as_written
from core.plan.fields import EARLIEST, LATEST
from core.plan.ids import Taken, new_logic_model_id, new_outcome_id, new_strategy_id

_STRATEGY_FIELDS = ("need", "strategy", "strategy_label", "ultimate_outcome", "resources", "tasks")
_LOGIC_MODEL_FIELDS = ("logic_model_id", "region", "logic_model", "logic_model_start")


def _columns(model: Any, *names: str) -> list[Any]:
    return [getattr(model, name) for name in names]


@dataclass
class Database:
    """What the import compares the file with, read as plain rows (no ORM objects)."""

    regions: dict[str, str]  # casefolded id or name → id
    needs: dict[str, str]
    baseline_start: date
    logic_models: dict[str, Any]  # id → row with the fields below
    strategies: dict[str, Any]
    outcomes: dict[str, Any]

    @classmethod
    def read(cls, session: Session) -> Database:
        def names(rows: Iterable[Any], label: str) -> dict[str, str]:
            out = {getattr(r, label).casefold(): r.id for r in rows}
            out.update({r.id.casefold(): r.id for r in rows})
            return out

        def by_id(stmt: Any) -> dict[str, Any]:
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


def _in(*taken: Collection[str]) -> Taken:
    return lambda item_id: any(item_id in t for t in taken)


# ---- the logic model --------------------------------------------------------------------


def resolve_logic_model(db: Database, rows: list[FileRow]) -> tuple[str, FileRow] | None:
    """The logic model's id and the first row that names it well, or None when no row
    gives both its region and its title."""
    message = "not the same logic model as row {row} (a file holds one logic model)"
    shared = {
        column: consistent(
            rows, column, message, blank_inherits=column in ("logic_model_id", "logic_model_start")
        )
        for column in _LOGIC_MODEL_FIELDS
    }
    good = [r for r in rows if r.ok("region") and r.ok("logic_model")]
    if not good:
        return None
    ref = good[0]
    lm_id = shared["logic_model_id"]
    if lm_id is None:
        lm_id = _logic_model_named(db, ref.values["region"], ref.values["logic_model"])
    return lm_id, ref


def _logic_model_named(db: Database, region: str, title: str) -> str:
    """The region's logic model with this title (one in use before a retired one), or
    a new id."""
    same = sorted(
        (m for m in db.logic_models.values() if m.region_id == region and norm(m.title) == title),
        key=lambda m: (m.retired, m.position),
    )
    return same[0].id if same else new_logic_model_id(region, title, _in(db.logic_models))


# ---- strategies --------------------------------------------------------------------------


def resolve_strategies(db: Database, rows: list[FileRow], lm_id: str) -> None:
    """Give each row its strategy id; check that the rows of a strategy agree."""
    by_title, taken = _strategy_titles(db, rows, lm_id)
    for row in rows:
        _assign_strategy(db, row, lm_id, by_title, taken)
    groups: dict[str, list[FileRow]] = {}
    for row in rows:
        if row.strategy_id is not None:
            groups.setdefault(row.strategy_id, []).append(row)
    for group in groups.values():
        for column in _STRATEGY_FIELDS:
            consistent(
                group,
                column,
                "differs from row {row} (each row of a strategy repeats its columns)",
                blank_inherits=False,
            )


# A title is matched first with the rows that give an id, then with the logic model's
# strategies in the database (those in use before the retired ones).
def _strategy_titles(
    db: Database, rows: list[FileRow], lm_id: str
) -> tuple[dict[str, str], set[str]]:
    """Title → strategy id, and the ids the file gives."""
    explicit = [r for r in rows if r.ok("strategy_id") and r.values["strategy_id"]]
    by_title: dict[str, str] = {}
    for r in explicit:
        if r.ok("strategy"):
            by_title.setdefault(r.values["strategy"], r.values["strategy_id"])
    for s in sorted(db.strategies.values(), key=lambda s: s.retired):
        if s.logic_model_id == lm_id:
            by_title.setdefault(norm(s.title), s.id)
    return by_title, {r.values["strategy_id"] for r in explicit}


def _assign_strategy(
    db: Database, row: FileRow, lm_id: str, by_title: dict[str, str], taken: set[str]
) -> None:
    if "strategy_id" in row.bad:
        return
    sid = row.values.get("strategy_id")
    if sid is None:
        if not row.ok("strategy"):
            return
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


# ---- outcomes ----------------------------------------------------------------------------


def resolve_outcomes(db: Database, rows: list[FileRow]) -> None:
    """Give each row its outcome id; check ids and numbers used twice, and outcomes
    moved to another strategy."""
    referenced = _given_outcome_ids(rows)
    _check_numbers(rows)
    _match_outcomes(db, rows, referenced)
    for row in rows:
        if row.outcome_id is not None:
            _check_outcome(db, row)


def _given_outcome_ids(rows: list[FileRow]) -> set[str]:
    """The outcome ids the file gives; a row repeating one fails."""
    first: dict[str, FileRow] = {}
    for row in rows:
        if row.strategy_id is None or not row.ok("outcome_id") or not row.values["outcome_id"]:
            continue
        oid = row.values["outcome_id"]
        if oid in first:
            row.fail("outcome_id", f"duplicate outcome_id (also row {first[oid].number})")
        else:
            first[oid] = row
            row.outcome_id = oid
    return set(first)


def _check_numbers(rows: list[FileRow]) -> None:
    """A strategy, term and number describe one outcome."""
    numbered: dict[tuple[str, str, str], FileRow] = {}
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


# The rows without an outcome id take the first outcome of their strategy that
# matches and that no row has taken yet, or else a new id.
def _match_outcomes(db: Database, rows: list[FileRow], referenced: set[str]) -> None:
    taken = set(db.outcomes) | referenced
    of_strategy: dict[str, list[Any]] = {}
    for o in db.outcomes.values():
        of_strategy.setdefault(o.strategy_id, []).append(o)
    for row in rows:
        if row.strategy_id is None or not _to_match(row):
            continue
        sid, term, number = row.strategy_id, row.values["term"], row.values["number"]
        match = _same_outcome(of_strategy.get(sid, ()), row, referenced)
        oid = match.id if match is not None else new_outcome_id(sid, term, number, _in(taken))
        referenced.add(oid)
        taken.add(oid)
        row.outcome_id = oid


def _to_match(row: FileRow) -> bool:
    """A row whose outcome is to be found from its term, number and text."""
    if row.outcome_id or "outcome_id" in row.bad:
        return False
    return row.ok("term") and row.ok("number") and row.ok("text")


def _same_outcome(candidates: Iterable[Any], row: FileRow, referenced: set[str]) -> Any:
    """The first outcome of the row's strategy with its term and number (unnumbered:
    its text) that no other row has taken, or None."""
    term, number, text = row.values["term"], row.values["number"], row.values["text"]
    return next(
        (
            o
            for o in candidates
            if o.term == term
            and o.id not in referenced
            and (norm(o.number) or None) == number
            and (number is not None or norm(o.text) == text)
        ),
        None,
    )


def _check_outcome(db: Database, row: FileRow) -> None:
    existing = db.outcomes.get(row.outcome_id or "")
    if existing is not None and existing.strategy_id != row.strategy_id:
        row.fail(
            "outcome_id",
            f"belongs to strategy {existing.strategy_id!r}; an outcome cannot move to "
            "another strategy",
        )
    elif existing is None and row.ok("due_date") and row.values["due_date"] is None:
        _due_from_text(row)


def _due_from_text(row: FileRow) -> None:
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
