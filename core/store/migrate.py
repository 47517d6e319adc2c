"""Schema migrations: the Alembic revisions in `core/store/migrations/` bring any tracker
database to the schema this code expects, without losing data.

- a new (empty) database is created from the models (`create_all`, the history
  guard's triggers) and stamped with the newest revision: Alembic's own recipe, and
  five times quicker than replaying every revision on each fresh database (tests make
  hundreds). tests/core/store/test_migrations.py proves the two give identical schemas;
- a database made by the release before migrations (tables, no `alembic_version`)
  is recognised by its tables and columns, stamped with that revision, then upgraded;
- a database at an older revision is upgraded;
- a database at a revision this code does not know (made by a newer tracker) is
  refused with DatabaseUnavailable.

Each upgrade is one transaction (SQLite and PostgreSQL both have transactional DDL):
it commits whole or not at all. Concurrent starts queue on SQLite's write lock or a
PostgreSQL advisory lock, and the second finds the work done.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, inspect, text
from sqlmodel import SQLModel

from core.config import get_settings
from core.errors import TrackerError
from core.store.db import DatabaseUnavailable, make_engine
from core.store.guard import APPEND_ONLY, history_guard_postgres, history_guard_sqlite

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"
# Any constant will do: schema work and restores on PostgreSQL hold this lock.
PG_LOCK_KEY = 4_815_162_342


class MigrationError(TrackerError, ValueError):
    """A migration request that cannot be done (unknown or older target revision)."""


@dataclass(frozen=True)
class MigrationReport:
    """What `upgrade` did. `before` is None for a new database; `adopted` is the
    revision an unversioned database (made before migrations) was recognised as."""

    before: str | None
    after: str
    applied: tuple[str, ...] = ()
    adopted: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.applied or self.adopted)

    def summary(self) -> str:
        if not self.changed:
            return f"The database is up to date (revision {self.after})."
        parts = []
        if self.adopted:
            parts.append(
                f"Recognised a database made before migrations as revision {self.adopted}."
            )
        if self.before is None and not self.adopted:
            parts.append(f"Created the schema at revision {self.after}.")
        elif self.applied:
            parts.append(
                f"Upgraded the schema from {self.before or self.adopted} to {self.after} "
                f"({', '.join(self.applied)})."
            )
        return " ".join(parts)


@dataclass(frozen=True)
class SchemaStatus:
    current: str | None  # the database's revision (None: none recorded)
    head: str  # the newest revision this code knows
    pending: tuple[str, ...]  # revisions `upgrade` would apply, oldest first
    unversioned: bool  # tracker tables without a recorded revision
    known: bool  # False: the database is newer than this code

    def summary(self) -> str:
        if not self.known:
            return newer_database_message(self.current)
        if self.unversioned:
            state = "made before migrations (no revision recorded)"
        else:
            state = f"at revision {self.current}" if self.current else "empty"
        lines = [f"Database: {state}.", f"Code: revision {self.head}."]
        if self.pending:
            lines.append(f"Pending: {', '.join(self.pending)} (run: python -m core migrate).")
        else:
            lines.append("Up to date.")
        return "\n".join(lines)


def configured_url() -> str:
    return get_settings().url


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, built in code (alembic.ini is only for the alembic
    command line). With `connection`, revisions run on it, inside its transaction."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def revisions() -> list[str]:
    """Every revision, oldest first."""
    return [s.revision for s in reversed(list(script_directory().walk_revisions()))]


def head() -> str:
    return revisions()[-1]


def resolve(revision: str) -> str:
    """The full id of `revision` ('head', an id or a unique prefix of one)."""
    try:
        found = script_directory().get_revision(revision)
    except CommandError as exc:
        raise MigrationError(f"Unknown revision {revision!r}: {exc}") from None
    if found is None:
        raise MigrationError(f"Unknown revision {revision!r}.")
    return found.revision


def newer_database_message(revision: str | None) -> str:
    return (
        f"This database was created by a newer version of the tracker (schema revision "
        f"{revision!r}, which this version does not know; it knows up to {head()!r}). "
        "Upgrade the tracker to the version that made it, or point DATABASE_URL at "
        "another database. Nothing was changed."
    )


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _tracker_tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) & set(SQLModel.metadata.tables)


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """One write transaction for schema work: committed if the block succeeds, rolled
    back otherwise. SQLite: BEGIN IMMEDIATE (the write lock up front), with foreign
    keys off while tables are copied (batch mode) and checked before commit.
    PostgreSQL: an advisory lock, so concurrent upgrades queue."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            # The pragma is a no-op inside a transaction, so set it before BEGIN.
            driver = _sqlite_driver(connection)
            fk_before = driver.execute("PRAGMA foreign_keys").fetchone()[0]
            driver.execute("PRAGMA foreign_keys=OFF")
            connection.execution_options(sqlite_begin="IMMEDIATE")
        try:
            with connection.begin():
                if engine.dialect.name == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY}
                    )
                broken_before = _broken_references(connection) if sqlite else Counter()
                yield connection
                if sqlite:
                    _check_foreign_keys(connection, broken_before)
        finally:
            if sqlite and not connection.invalidated:
                driver.execute(f"PRAGMA foreign_keys={'ON' if fk_before else 'OFF'}")


def _sqlite_driver(connection: Connection) -> sqlite3.Connection:
    """The sqlite3 connection under `connection`, for pragmas outside a transaction."""
    driver = connection.connection.driver_connection
    if driver is None:  # only for a connection already invalidated
        raise DatabaseUnavailable("The database connection was lost; try again.")
    return driver


def _broken_references(connection: Connection) -> Counter[str]:
    """SQLite: rows per table whose foreign key points at no row."""
    return Counter(row[0] for row in connection.exec_driver_sql("PRAGMA foreign_key_check"))


def _check_foreign_keys(connection: Connection, before: Counter[str]) -> None:
    """Refuse to commit references the schema work broke (ones that were already
    broken are not this transaction's to fix)."""
    if new := _broken_references(connection) - before:
        raise DatabaseUnavailable(
            f"{sum(new.values())} row(s) in {', '.join(sorted(new))} would refer to rows "
            "that do not exist; nothing was changed."
        )


def run_revisions(connection: Connection, target: str) -> None:
    """Run the revisions from the database's current one up to `target`, on
    `connection` and inside its transaction (see migration_connection)."""
    command.upgrade(alembic_config(connection), target)


def _stamp(connection: Connection, revision: str) -> None:
    MigrationContext.configure(connection).stamp(script_directory(), revision)


def create_schema(connection: Connection) -> None:
    """The newest schema in an empty database: the models' tables, the history guard
    (as core.store.guard.install_history_guard builds it, on this connection), stamped head."""
    SQLModel.metadata.create_all(connection)
    build = {"sqlite": history_guard_sqlite, "postgresql": history_guard_postgres}.get(
        connection.dialect.name
    )
    if build is not None:
        for table, what in APPEND_ONLY.items():
            for statement in build(table, what):
                # no_parameters: psycopg would read any "%" in the SQL as a placeholder
                connection.exec_driver_sql(statement, execution_options={"no_parameters": True})
    _stamp(connection, head())


def build_schema(connection: Connection, revision: str) -> None:
    """Revision `revision` in an empty database (the newest: `create_schema`)."""
    if revision == head():
        create_schema(connection)
    else:
        run_revisions(connection, revision)


Fingerprint = dict[str, frozenset[str]]


@cache
def _fingerprint_at(revision: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """Tables and their columns at `revision`, built in a throw-away SQLite database."""
    engine = make_engine("sqlite://")
    try:
        with migration_connection(engine) as connection:
            run_revisions(connection, revision)
            found = _fingerprint(connection, known=None)
    finally:
        engine.dispose()
    return tuple(sorted(found.items()))


def _fingerprint(connection: Connection, known: set[str] | None) -> Fingerprint:
    inspector = inspect(connection)
    return {
        name: frozenset(c["name"] for c in inspector.get_columns(name))
        for name in inspector.get_table_names()
        if name != VERSION_TABLE and (known is None or name in known)
    }


def _recognise(connection: Connection) -> str:
    """The revision whose tables and columns an unversioned database has exactly."""
    known: set[str] = set(SQLModel.metadata.tables)
    for revision in revisions():
        known |= {name for name, _ in _fingerprint_at(revision)}
    found = _fingerprint(connection, known)
    for revision in reversed(revisions()):
        if found == dict(_fingerprint_at(revision)):
            return revision
    baseline = dict(_fingerprint_at(revisions()[0]))
    missing = sorted(set(baseline) - set(found))
    odd = sorted(name for name in set(found) & set(baseline) if found[name] != baseline[name])
    raise DatabaseUnavailable(
        "The database has tracker tables but no schema revision, and they match no "
        "release of the tracker"
        + (f" (missing tables: {', '.join(missing)})" if missing else "")
        + (f" (different columns: {', '.join(odd)})" if odd else "")
        + ". Nothing was changed; restore a backup into an empty database instead."
    )


def status(engine: Engine) -> SchemaStatus:
    with engine.connect() as connection:
        current = current_revision(connection)
        unversioned = current is None and bool(_tracker_tables(connection))
    order = revisions()
    known = current is None or current in order
    if not known:
        pending: tuple[str, ...] = ()
    elif current is None:
        start = order.index(_recognise_readonly(engine)) + 1 if unversioned else 0
        pending = tuple(order[start:])
    else:
        pending = tuple(order[order.index(current) + 1 :])
    return SchemaStatus(current, order[-1], pending, unversioned, known)


def _recognise_readonly(engine: Engine) -> str:
    with engine.connect() as connection:
        return _recognise(connection)


def upgrade(engine: Engine, to: str = "head") -> MigrationReport:
    """Bring the database to revision `to` (default: the newest), in one transaction.

    Raises DatabaseUnavailable for a database newer than this code (or unversioned
    and unrecognised), MigrationError for an unknown target or one older than the
    database (downgrades drop data; use the alembic command line deliberately)."""
    target = resolve(to)
    order = revisions()
    with engine.connect() as connection:  # the usual case reads and writes nothing
        current = current_revision(connection)
    if current == target:
        return MigrationReport(current, target)
    _check_direction(current, target, order)

    with migration_connection(engine) as connection:
        current = current_revision(connection)  # again, now that we hold the lock
        if current == target:
            return MigrationReport(current, target)
        _check_direction(current, target, order)
        adopted = None
        if current is None and _tracker_tables(connection):
            adopted = _recognise(connection)
            _check_direction(adopted, target, order)
            _stamp(connection, adopted)
        start = current or adopted
        applied = tuple(order[order.index(start) + 1 if start else 0 : order.index(target) + 1])
        if start is None:
            build_schema(connection, target)
        elif applied:
            run_revisions(connection, target)
    return MigrationReport(current, target, applied, adopted)


def _check_direction(current: str | None, target: str, order: list[str]) -> None:
    if current is None:
        return
    if current not in order:
        raise DatabaseUnavailable(newer_database_message(current))
    if order.index(current) > order.index(target):
        raise MigrationError(
            f"The database is at revision {current}, newer than {target}; this command "
            "only upgrades (a downgrade drops data). Nothing was changed."
        )


def ensure_schema(engine: Engine) -> MigrationReport:
    """What the app does at start: upgrade to the newest revision, logging any work."""
    report = upgrade(engine, "head")
    if report.changed:
        # creating a new database is routine; changing an existing one is news
        level = logging.INFO if report.before is None and not report.adopted else logging.WARNING
        log.log(level, "%s: %s", engine.url.render_as_string(hide_password=True), report.summary())
    return report
