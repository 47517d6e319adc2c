"""Import stage 6 — writing an ImportPlan, in one transaction.

`import_rows` and `import_file` run the whole import: read the file (`read`), check
it and work out the plan (`plan.validate`), then, unless it is a dry run or something
is wrong, write the plan inside the same write transaction (so nothing can change in
between) and say what was done (`report`). The writing goes through the plan's
services, `core.plan.editing` and `core.plan.redating` (called through their modules),
which check that the actor is an admin and log each change; every entry of one import
shares one change-log batch. A refusal rolls everything back and is reported with its
row; a database failure raises DatabaseUnavailable. A plan with likely duplicates
(`duplicates`) is written only when `confirm_duplicates` is set.
"""

from __future__ import annotations

import getpass
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from core.errors import TrackerError, UpdateRejected
from core.io.imports.plan import ImportPlan, PlannedItem, validate
from core.io.imports.read import ImportFileError, RawRow, read_table
from core.io.imports.report import ImportReport
from core.io.imports.rows import RowError
from core.models import PlanChange, Role
from core.people.accounts import get_user_by_username
from core.people.permissions import Actor, PermissionDenied, actor_for, require_admin
from core.plan import editing, redating
from core.plan.changelog import KINDS
from core.store.db import DatabaseUnavailable, describe_db_error, write_session


class ImportRejected(TrackerError):
    """A change the checks let through was refused while writing; nothing was written."""

    def __init__(self, errors: list[RowError]):
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


@contextmanager
def _one_batch(session: Session) -> Iterator[str]:
    """Give every change-log entry written inside the block the same batch id, so the
    log shows one import as one action (the editing functions take no batch)."""
    batch = uuid.uuid4().hex

    def tag(sess: Session, _context: Any, _instances: Any) -> None:
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
    confirm_duplicates: bool = False,
) -> dict[str, Counter[str]]:
    """Write a validated plan with core.plan.editing (admins only); returns what was
    done per kind: new, changed, unchanged (and retired outcomes). Refuses a plan with
    likely duplicates unless `confirm_duplicates`."""
    require_admin(actor, "import the plan")
    if plan.likely_duplicates and not confirm_duplicates:
        raise ImportRejected([d.error() for d in plan.likely_duplicates])
    done: dict[str, Counter[str]] = {kind: Counter() for kind in KINDS}
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
    """Create, or restore, edit and re-date, one item: "new", "changed" or "unchanged"."""
    if not item.exists:
        _create(session, actor, item, reason)
        return "new"
    return "changed" if _update(session, actor, item, reason) else "unchanged"


def _create(session: Session, actor: Actor, item: PlannedItem, reason: str) -> None:
    v = item.values
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


def _update(session: Session, actor: Actor, item: PlannedItem, reason: str) -> bool:
    """Whether anything of an existing item changed."""
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
    return changed


def import_rows(
    engine: Engine,
    rows: list[RawRow],
    *,
    actor: Actor,
    filename: str = "the file",
    reason: str | None = None,
    retire_missing: bool = False,
    dry_run: bool = False,
    confirm_duplicates: bool = False,
) -> ImportReport:
    """Validate `rows` and, unless this is a dry run or something is wrong, apply them
    in one write transaction (validated inside it, so nothing can change in between).
    Likely duplicates are added only with `confirm_duplicates`.
    A database failure rolls everything back and raises DatabaseUnavailable."""
    report = ImportReport(
        filename,
        dry_run=dry_run,
        retire_missing=retire_missing,
        confirm_duplicates=confirm_duplicates,
    )
    try:
        require_admin(actor, "import the plan")
    except PermissionDenied as exc:
        report.errors = [RowError(None, None, "", str(exc))]
        return report
    reason = reason or f"Imported from {filename[:200]}"
    if dry_run:
        _check(engine, rows, report)
    else:
        _check_and_write(engine, rows, report, actor=actor, reason=reason)
    return report


def _check(engine: Engine, rows: list[RawRow], report: ImportReport) -> None:
    """A dry run: the plan and what it would do, or the errors, in `report`."""
    with Session(engine) as session:
        result = validate(session, rows)
    if isinstance(result, list):
        report.errors = result
        return
    report.plan, report.counts = result, result.counts()
    if report.retire_missing:
        report.counts["outcome"]["retired"] = len(result.missing_outcomes)


def _check_and_write(
    engine: Engine, rows: list[RawRow], report: ImportReport, *, actor: Actor, reason: str
) -> None:
    try:
        with write_session(engine) as session:
            result = validate(session, rows)
            if isinstance(result, list):
                report.errors = result
                return
            report.counts = apply(
                session,
                actor=actor,
                plan=result,
                reason=reason,
                retire_missing=report.retire_missing,
                confirm_duplicates=report.confirm_duplicates,
            )
            report.plan = result
    except ImportRejected as exc:
        report.errors = exc.errors
        report.plan = None
        return
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(describe_db_error(exc, engine)) from exc
    report.applied = True


def import_file(
    engine: Engine,
    source: str | Path | bytes,
    *,
    actor: Actor,
    filename: str | None = None,
    reason: str | None = None,
    retire_missing: bool = False,
    dry_run: bool = False,
    confirm_duplicates: bool = False,
) -> ImportReport:
    """Read, validate and (unless `dry_run`) import a .csv or .xlsx file; likely
    duplicates are added only with `confirm_duplicates`."""
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
        confirm_duplicates=confirm_duplicates,
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
