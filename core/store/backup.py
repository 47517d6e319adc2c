"""Backup and restore: the whole database (plan, statuses, history, plan changes,
users) in one versioned JSON file, restored exactly into an empty SQLite or
PostgreSQL database.

The file holds every table of SQLModel.metadata (so a new table is included without
touching this module), read in one consistent transaction, in foreign-key order:

    {"format": "plan-tracker-backup", "format_version": 2,
     "revision": "<schema revision>", "created_at": "...", "app_version": "...",
     "database": "sqlite", "row_counts": {"outcome": 248, ...},
     "checksum": "sha256:<hex of the canonical JSON of revision and tables>",
     "chain_heads": {"status_update": {"id": 17, "hash": "<hex>"}, "plan_change": null},
     "tables": {"outcome": {"columns": [["id", "string"], ...], "rows": [[...], ...]}},
     "signature": {"alg": "hmac-sha256", "key_id": "<12 hex>", "value": "<hex>"}}

The signature (core.store.backup_checks) is an HMAC-SHA256, with TRACKER_BACKUP_KEY,
of everything else in the file; without a key the file is written unsigned. A
restore refuses an unsigned or wrongly signed file unless the admin trusts it
(`python -m core restore FILE --trust-unsigned`), so an edited file whose checksum
was recomputed is not restored. `chain_heads` are the last rows of the history chain
(core.store.chain); the restored history must verify up to them.

Values are typed by their column: dates and datetimes as ISO text (datetimes in UTC
with their offset), JSON columns as they are, bytes as base64. Password hashes are
included, so users can sign in after a restore: the file is as sensitive as the
database itself.

Restoring validates the whole file first (core.store.backup_checks: format, version,
checksum, signature, nesting depth, tables and columns, every value against the
model), then, in one transaction: refuses a database that holds rows unless asked to
replace it, drops the tracker's tables, builds the schema at the backup's revision
(core.store.migrate), inserts every row, checks the counts, upgrades to the newest
revision if the backup is older, verifies the history chain, and moves PostgreSQL's id
sequences past the restored ids. Dropping tables (rather than deleting rows) needs no
exception to the history guard, and the guard's triggers come back with the schema.
Any failure rolls everything back.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata as package_metadata
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine, func, inspect, select, text
from sqlmodel import SQLModel

from core.clock import as_utc
from core.people.permissions import Actor, require_admin
from core.store import backup_checks as checks
from core.store import chain, migrate
from core.store.backup_checks import (
    FORMAT,
    FORMAT_VERSION,
    BackupError,
    Table,
    canonical,
    checksum,
    validate,
)

__all__ = ["FORMAT", "FORMAT_VERSION", "BackupError", "canonical", "checksum", "validate"]


@dataclass(frozen=True)
class RestoreReport:
    row_counts: dict[str, int]
    revision: str  # the backup's schema revision
    upgraded_to: str | None  # the newest revision, when the backup was older
    replaced: dict[str, int]  # rows the database held before (empty: it was empty)
    created_at: str
    warnings: tuple[str, ...] = ()  # what a trusted file did not pass

    def summary(self) -> str:
        total = sum(self.row_counts.values())
        text_ = (
            f"Restored {total:,} rows in {len(self.row_counts)} tables from the backup of "
            f"{self.created_at}"
        )
        if self.replaced:
            text_ += f", replacing {sum(self.replaced.values()):,} rows"
        if self.upgraded_to:
            text_ += f"; upgraded from revision {self.revision} to {self.upgraded_to}"
        return " ".join([text_ + ".", *(f"Warning: {w}" for w in self.warnings)])


def column_kind(type_: sa.types.TypeEngine) -> str:
    """How a column's values are written in the file."""
    if isinstance(type_, sa.types.TypeDecorator):
        type_ = type_.impl_instance
    for cls, kind in (
        (sa.JSON, "json"),
        (sa.DateTime, "datetime"),
        (sa.Date, "date"),
        (sa.Boolean, "boolean"),
        (sa.Integer, "integer"),
        (sa.Float, "float"),
        (sa.Numeric, "decimal"),
        (sa.LargeBinary, "bytes"),
        (sa.String, "string"),
    ):
        if isinstance(type_, cls):
            return kind
    raise BackupError(f"Cannot back up a column of type {type_!r}.")


def encode(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        return as_utc(value).isoformat()
    if kind == "date":
        return value.isoformat()
    if kind == "bytes":
        return base64.b64encode(value).decode("ascii")
    if kind == "decimal":
        return str(value)
    return value


def app_version() -> str:
    try:
        return package_metadata.version("plan-tracker")
    except package_metadata.PackageNotFoundError:
        return "unknown"


def chain_heads(tables: dict[str, Any]) -> dict[str, dict[str, Any] | None]:
    """The last row (id and hash) of each chained table in a backup's tables."""
    heads: dict[str, dict[str, Any] | None] = {}
    for name in chain.CHAINED:
        if name not in tables:
            continue
        columns = [c for c, _ in tables[name]["columns"]]
        last = tables[name]["rows"][-1] if tables[name]["rows"] else None
        heads[name] = (
            None
            if last is None
            else {"id": last[columns.index("id")], "hash": last[columns.index("chain_hash")]}
        )
    return heads


def backup(engine: Engine, *, key: str | None = None) -> dict[str, Any]:
    """The whole database as a backup dict, read in one consistent transaction
    (SQLite: one read transaction, a snapshot in WAL mode; PostgreSQL: REPEATABLE
    READ), signed with `key` (default: TRACKER_BACKUP_KEY; none set: unsigned). The
    database must be at the newest revision (the app upgrades at start)."""
    key = key or checks.configured_key()
    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as connection:
        if postgres:
            connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            if postgres:
                connection.execute(text("SET TRANSACTION READ ONLY"))
            revision = migrate.current_revision(connection)
            if revision != migrate.head():
                raise BackupError(
                    f"The database is at schema revision {revision or 'none'}, not "
                    f"{migrate.head()}; run `python -m core migrate` first (the app does it "
                    "at start). Nothing was written."
                )
            tables: dict[str, Any] = {}
            for table in SQLModel.metadata.sorted_tables:
                kinds = [(c.name, column_kind(c.type)) for c in table.columns]
                rows = connection.execute(select(table).order_by(*table.primary_key.columns))
                tables[table.name] = {
                    "columns": [list(pair) for pair in kinds],
                    "rows": [
                        [encode(value, kind) for value, (_, kind) in zip(row, kinds, strict=True)]
                        for row in rows
                    ],
                }
    data: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "revision": revision,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "app_version": app_version(),
        "database": engine.dialect.name,
        "row_counts": {name: len(t["rows"]) for name, t in tables.items()},
        "checksum": checksum(revision, tables),
        "chain_heads": chain_heads(tables),
        "tables": tables,
    }
    data["signature"] = checks.signature(data, key) if key else None
    return data


def dumps(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1).encode() + b"\n"


def write_backup(
    engine: Engine, path: Path, *, force: bool = False, key: str | None = None
) -> dict[str, Any]:
    """Write a backup to `path` (readable by its owner only: it holds password
    hashes). Refuses an existing file unless `force`; never leaves half a file."""
    path = Path(path)
    if path.exists() and not force:
        raise BackupError(f"{path} already exists; choose another name or pass --force.")
    data = backup(engine, key=key)
    payload = dumps(data)
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise BackupError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
    return data


def loads(payload: bytes | str, *, name: str = "the file") -> dict[str, Any]:
    try:
        data = json.loads(payload, parse_constant=checks.no_constant)
    except UnicodeDecodeError:
        raise BackupError(f"{name} is not a tracker backup (not UTF-8 text).") from None
    except RecursionError:
        raise BackupError(
            f"{name} nests values too deeply to be a tracker backup; it is damaged. "
            "Nothing was restored."
        ) from None
    except ValueError as exc:
        if not isinstance(exc, json.JSONDecodeError):  # NaN or Infinity
            raise BackupError(f"{name} is not a tracker backup: {exc}.") from None
        raise BackupError(
            f"{name} is not a tracker backup, or it is truncated or damaged: invalid JSON "
            f"at line {exc.lineno}, column {exc.colno} ({exc.msg})."
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError(f'{name} is not a tracker backup (no "format": "{FORMAT}").')
    return data


def read_backup(path: Path) -> dict[str, Any]:
    path = Path(path)
    try:
        payload = path.read_bytes()
    except OSError as exc:
        raise BackupError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    return loads(payload, name=str(path))


def _known_tables(connection: Connection, extra: set[str]) -> list[str]:
    names = set(SQLModel.metadata.tables) | extra | {migrate.VERSION_TABLE}
    return sorted(set(inspect(connection).get_table_names()) & names)


def _row_counts(connection: Connection, names: list[str]) -> dict[str, int]:
    counts = {}
    for name in names:
        if name == migrate.VERSION_TABLE:
            continue
        table = sa.table(name)
        counts[name] = connection.execute(select(func.count()).select_from(table)).scalar_one()
    return counts


def _insert(connection: Connection, tables: dict[str, Table], revision: str) -> None:
    schema = sa.MetaData()
    schema.reflect(connection)
    expected = {t.name for t in schema.sorted_tables} - {migrate.VERSION_TABLE}
    if set(tables) != expected:
        missing, extra = sorted(expected - set(tables)), sorted(set(tables) - expected)
        raise BackupError(
            f"The backup's tables do not match schema revision {revision}"
            + (f" (missing: {', '.join(missing)})" if missing else "")
            + (f" (unknown: {', '.join(extra)})" if extra else "")
            + ". Nothing was restored."
        )
    for table in schema.sorted_tables:
        if table.name == migrate.VERSION_TABLE:
            continue
        data = tables[table.name]
        if set(data.columns) != set(table.columns.keys()):
            raise BackupError(
                f"Table {table.name!r} in the backup has columns {sorted(data.columns)}, "
                f"not those of revision {revision}: {sorted(table.columns.keys())}."
            )
        naive = {
            c.name for c in table.columns if isinstance(c.type, sa.DateTime) and not c.type.timezone
        }
        rows = [
            {
                k: (v.replace(tzinfo=None) if k in naive and v is not None else v)
                for k, v in r.items()
            }
            for r in data.rows
        ]
        if rows:
            connection.execute(table.insert(), _referenced_first(table, rows))


def _referenced_first(table: sa.Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of a table that refers to itself (an organisation merged into another), each
    after the row it refers to: PostgreSQL checks the reference row by row."""
    links = [
        (fk.parent.name, fk.column.name) for fk in table.foreign_keys if fk.column.table is table
    ]
    if not links:
        return rows
    column, target = links[0]
    by_key = {r[target]: r for r in rows}
    placed: set[Any] = set()
    ordered: list[dict[str, Any]] = []

    def place(row: dict[str, Any], seen: frozenset[Any]) -> None:
        key = row[target]
        if key in placed:
            return
        seen = seen | {key}
        parent = by_key.get(row[column])
        if parent is not None and parent[target] not in seen:  # a cycle is left as it is
            place(parent, seen)
        placed.add(key)
        ordered.append(row)

    for row in rows:
        place(row, frozenset())
    return ordered


def _reset_sequences(connection: Connection) -> None:
    """PostgreSQL: move each id sequence past the largest restored id."""
    if connection.dialect.name != "postgresql":
        return
    quote = connection.dialect.identifier_preparer.quote
    for table in SQLModel.metadata.sorted_tables:
        for column in table.primary_key.columns:
            sequence = connection.execute(
                text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": table.name, "column": column.name},
            ).scalar_one()
            if sequence is None:
                continue
            connection.execute(
                text(
                    f"SELECT setval(:sequence, COALESCE(MAX({quote(column.name)}), 1), "
                    f"MAX({quote(column.name)}) IS NOT NULL) FROM {quote(table.name)}"
                ),
                {"sequence": sequence},
            )


def _fill(connection: Connection, tables: dict[str, Table], revision: str) -> dict[str, int]:
    """Insert every row into the schema of `revision`, then check references and counts."""
    try:
        _insert(connection, tables, revision)
    except (sa.exc.IntegrityError, sa.exc.DataError) as exc:
        detail = str(exc.orig).strip().splitlines()[0]
        raise BackupError(
            f"The backup's rows do not fit the schema ({detail}). Nothing was restored."
        ) from None
    except OverflowError:
        message = "The backup holds a number too large to store. Nothing was restored."
        raise BackupError(message) from None
    if connection.dialect.name == "sqlite":
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            tables_ = ", ".join(sorted({row[0] for row in broken}))
            raise BackupError(
                f"{len(broken)} row(s) of the backup ({tables_}) refer to rows that do "
                "not exist. Nothing was restored."
            )
    counts = _row_counts(connection, sorted(tables))
    if counts != {name: len(t.rows) for name, t in tables.items()}:
        raise BackupError(f"Row counts after restoring differ from the backup: {counts}.")
    return counts


def _history_warnings(connection: Connection, trust_unsigned: bool) -> list[str]:
    """The restored history must verify (chain, triggers, statuses); a trusted file
    that does not is restored with a warning."""
    report = chain.verify_connection(connection)
    if report.ok:
        return []
    if not trust_unsigned:
        raise BackupError(
            f"The backup's history does not verify ({report.problems[0]}): it was edited, "
            f"or made from a tampered database. Nothing was restored. {checks.TRUST_HINT}"
        )
    return [report.summary() + " Run `python -m core verify` after looking into it."]


def restore(
    engine: Engine, data: dict[str, Any], *, replace: bool = False, trust_unsigned: bool = False
) -> RestoreReport:
    """Restore a backup dict (see `loads`/`read_backup`) into `engine`'s database, in
    one transaction. A database holding rows is refused unless `replace`; an unsigned
    or wrongly signed file, or one whose history does not verify, unless
    `trust_unsigned` (an admin on the command line vouching for the file)."""
    tables = validate(data, trust_unsigned=trust_unsigned)
    revision = data["revision"]
    warnings = []
    if trust_unsigned and (problem := checks.signature_problem(data, checks.configured_key())):
        warnings.append(f"{problem} It was restored because you trusted it.")
    with migrate.migration_connection(engine) as connection:
        current = migrate.current_revision(connection)
        if current is not None and current not in migrate.revisions():
            raise BackupError(migrate.newer_database_message(current))
        present = _known_tables(connection, set(tables))
        held = {name: n for name, n in _row_counts(connection, present).items() if n}
        if held and not replace:
            summary = ", ".join(f"{n:,} in {name}" for name, n in sorted(held.items()))
            raise BackupError(
                f"The database is not empty ({summary} rows). Restore into an empty "
                "database, or ask to replace the current one (CLI: --replace). Nothing "
                "was changed."
            )
        schema = sa.MetaData()
        schema.reflect(connection, only=present)
        schema.drop_all(connection)
        migrate.build_schema(connection, revision)
        counts = _fill(connection, tables, revision)
        upgraded_to = None
        if revision != migrate.head():
            migrate.run_revisions(connection, "head")
            upgraded_to = migrate.head()
        warnings += _history_warnings(connection, trust_unsigned)
        _reset_sequences(connection)
    created = str(data.get("created_at", "?"))
    return RestoreReport(counts, revision, upgraded_to, held, created, tuple(warnings))


def backup_for(actor: Actor, engine: Engine) -> bytes:
    """A backup file's bytes, for an admin to download."""
    require_admin(actor, "back up the database")
    return dumps(backup(engine))


def restore_for(
    actor: Actor, engine: Engine, payload: bytes, *, replace: bool = False, name: str = "the file"
) -> RestoreReport:
    """Restore an uploaded backup file, for an admin."""
    require_admin(actor, "restore the database")
    return restore(engine, loads(payload, name=name), replace=replace)
