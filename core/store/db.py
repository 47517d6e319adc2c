"""The engine, sessions and first-start set-up (tables, history guard, seeding)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import URL, Engine, event, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

from core.config import get_settings
from core.errors import TrackerError
from core.store import chain as _chain  # noqa: F401  (every Session chains new history rows)


class DatabaseUnavailable(TrackerError, RuntimeError):
    """The database cannot be opened or written; the message says what to do."""


# Per app process (each Streamlit replica): 5 kept open, up to 10 more at peaks; a
# connection idle behind a firewall or load balancer for 30 minutes is replaced.
PG_POOL = {"pool_size": 5, "max_overflow": 10, "pool_timeout": 30, "pool_recycle": 1800}
PG_CONNECT_TIMEOUT_S = 10


def make_engine(
    url: str | None = None, *, busy_timeout_ms: int | None = None, pool: dict | None = None
) -> Engine:
    """The engine for `url` (default: the settings'); `pool`: SQLAlchemy's pool
    arguments for a SQLite file (the tests' one-connection pool)."""
    settings = get_settings()
    url = url or settings.url
    timeout = settings.tracker_busy_timeout_ms if busy_timeout_ms is None else busy_timeout_ms
    if url.startswith("postgres"):
        return make_postgres_engine(url, lock_timeout_ms=timeout)
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)

    memory = url in ("sqlite://", "sqlite:///:memory:")
    uri_mode = "uri=true" in url  # sqlite:///file:/path/x.db?mode=ro&uri=true
    if not memory and not uri_mode:
        path = Path(url.removeprefix("sqlite:///"))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseUnavailable(
                f"Cannot create the folder for the database file {path}: {exc.strerror}. "
                "Set TRACKER_SQLITE_PATH to a writable location."
            ) from exc
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": timeout / 1000},
        **({"poolclass": StaticPool} if memory else (pool or {})),
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event issue BEGIN, so writes can ask for IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(timeout)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    event.listen(engine, "handle_error", _drop_read_only_connections)
    return engine


def is_sqlite_read_only(exc: BaseException) -> bool:
    """Whether SQLite refused a write because its connection is read-only (any
    SQLITE_READONLY code: the file, its folder, a moved or replaced file)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(exc, sqlite3.Error) and code is not None and code & 0xFF == 8


# SQLite opens a file it cannot write read-only, and that connection stays read-only
# after the file is writable again (chattr -i, chmod): a "disconnect" makes the pool
# drop it and the connections opened with it, so the next save opens a writable one.
def _drop_read_only_connections(context) -> None:
    if is_sqlite_read_only(context.original_exception):
        context.is_disconnect = True


def postgres_url(url: str) -> URL:
    """`url` with the psycopg 3 driver when none is named (`postgres://` and
    `postgresql://` would otherwise ask for psycopg2, which is not installed)."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    return parsed.set(drivername="postgresql+psycopg") if "+" not in parsed.drivername else parsed


def make_postgres_engine(url: str, *, lock_timeout_ms: int = 15_000) -> Engine:
    """A pooled PostgreSQL engine. Connections are checked before use (a restarted
    server or a dropped idle connection costs a reconnect, not an error page), give up
    after PG_CONNECT_TIMEOUT_S, name the app in pg_stat_activity and work in UTC.
    No write lock is taken (SQLite's BEGIN IMMEDIATE): status saves are conditional
    UPDATEs on the outcome's version, which PostgreSQL's row locks serialise; a wait
    for a lock gives up after `lock_timeout_ms`, like SQLite's busy timeout."""
    parsed = postgres_url(url)
    connect_args: dict[str, object] = {"connect_timeout": PG_CONNECT_TIMEOUT_S}
    if "application_name" not in parsed.query:
        connect_args["application_name"] = "plan-tracker"
    engine = create_engine(parsed, pool_pre_ping=True, connect_args=connect_args, **PG_POOL)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Dates computed in SQL (and timestamps shown by psql) read as UTC, as the app's.
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
            cursor.execute(f"SET lock_timeout = {int(lock_timeout_ms)}")
        dbapi_connection.commit()

    return engine


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session whose transaction takes the write lock up front (SQLite: BEGIN
    IMMEDIATE), so concurrent writers queue on the busy timeout instead of failing
    half-way with 'database is locked'. Commits on success, rolls back on error."""
    with Session(engine) as session:
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# The public form of describe_db_error, for signed-out visitors (ui.actions.for_reader):
# no host, port, user, database or file name.
PUBLIC_DB_ERROR = "The database is unavailable; please try again in a moment."


def describe_db_error(exc: SQLAlchemyError, engine: Engine) -> str:
    """What went wrong, for the people who run the app: where the database is, and
    what to do (a signed-out visitor is shown PUBLIC_DB_ERROR instead)."""
    where = engine.url.render_as_string(hide_password=True)
    detail = str(getattr(exc, "orig", exc)).strip()
    if engine.dialect.name == "postgresql":
        message = _describe_postgres_error(detail, engine.url)
        if message:
            return f"The database {where} {message}"
    if "readonly" in detail or "read-only" in detail:
        return (
            f"The database {where} is read-only, so nothing can be saved. "
            "Make the file and its folder writable, or point DATABASE_URL elsewhere."
        )
    if "unable to open" in detail:
        return f"The database {where} cannot be opened ({detail}). Check TRACKER_SQLITE_PATH."
    if "not a database" in detail:
        return (
            f"{where} is not a database this app can read (is it another kind of file?). "
            "Point TRACKER_SQLITE_PATH or DATABASE_URL at the tracker's database."
        )
    if "locked" in detail or "busy" in detail:
        return f"The database {where} stayed busy for too long; please try again in a moment."
    return f"The database {where} could not be used: {detail}"


def _describe_postgres_error(detail: str, url: URL) -> str | None:
    """What went wrong with a PostgreSQL server, from libpq's and the server's message
    (whose first line repeats host and port, so only the cause is kept)."""
    server = f"{url.host or 'localhost'}:{url.port or 5432}"
    if "Connection refused" in detail or "No such file or directory" in detail:
        return (
            f"cannot be reached: nothing accepts connections at {server}. Check that the "
            "PostgreSQL server is running and that DATABASE_URL names its host and port."
        )
    if "translate host name" in detail or "failed to resolve host" in detail:
        return f"cannot be reached: the host {url.host!r} is unknown. Check DATABASE_URL."
    if "timeout expired" in detail or "timed out" in detail:
        return (
            f"did not answer within {PG_CONNECT_TIMEOUT_S} seconds at {server}. Check the "
            "host, the port and any firewall between the app and the database."
        )
    if "password authentication failed" in detail or "no password supplied" in detail:
        return (
            f"refused the sign-in of user {url.username!r}: wrong user or password. Check "
            "the credentials in DATABASE_URL."
        )
    if "role" in detail and "does not exist" in detail:
        return f"has no user {url.username!r}. Check the user name in DATABASE_URL."
    if "database" in detail and "does not exist" in detail:
        return (
            f"does not exist on {server}. Create it (CREATE DATABASE {url.database}) or "
            "correct the database name in DATABASE_URL."
        )
    if "no pg_hba.conf entry" in detail:
        return (
            "refuses connections from this machine (no pg_hba.conf entry; is SSL "
            "required? add ?sslmode=require to DATABASE_URL)."
        )
    if "too many clients" in detail or "remaining connection slots" in detail:
        return (
            "has no free connections (max_connections reached). Lower the number of app "
            "replicas or raise the server's max_connections."
        )
    if "lock timeout" in detail or "deadlock detected" in detail:
        return "stayed busy for too long; please try again in a moment."
    if "starting up" in detail or "shutting down" in detail or "in recovery mode" in detail:
        return "is restarting; please try again in a moment."
    if "server closed the connection" in detail or "terminating connection" in detail:
        return "closed the connection unexpectedly; please try again in a moment."
    if "read-only transaction" in detail:
        return (
            "is read-only (a standby or a read-only transaction), so nothing can be "
            "saved. Point DATABASE_URL at the primary server."
        )
    if "permission denied for schema" in detail:  # creating tables: a schema upgrade
        return (
            f"needs a schema upgrade that user {url.username!r} may not make. Run "
            "`python -m core migrate` as the database's owner (README, Hosting)."
        )
    if "permission denied" in detail:
        return (
            f"refused this operation to user {url.username!r} ({_first_line(detail)}). "
            "Check the role's GRANTs (README, Hosting)."
        )
    if "value too long" in detail:
        return f"refused a value longer than its column allows ({_first_line(detail)})."
    if "NUL" in detail:
        return "cannot store text containing NUL characters; remove them and try again."
    return None


def _first_line(detail: str) -> str:
    return detail.splitlines()[0].strip() if detail else detail
