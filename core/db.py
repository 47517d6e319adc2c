"""The engine, sessions and first-start set-up (tables, history guard, seeding)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, event, inspect
from sqlalchemy.exc import DatabaseError, SQLAlchemyError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine, select

from core import accounts, models  # noqa: F401 (accounts: creates its tables)
from core.config import Settings, get_settings


class DatabaseUnavailable(RuntimeError):
    """The database cannot be opened or written; the message says what to do."""


def make_engine(url: str | None = None, *, busy_timeout_ms: int | None = None) -> Engine:
    settings = get_settings()
    url = url or settings.url
    timeout = settings.tracker_busy_timeout_ms if busy_timeout_ms is None else busy_timeout_ms
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
        poolclass=StaticPool if memory else None,
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


# Tables that are history: rows are appended, never changed or deleted.
APPEND_ONLY = {"status_update": "status history", "plan_change": "the plan change log"}


def history_guard_sqlite(table: str, what: str) -> list[str]:
    return [
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table}
            BEGIN SELECT RAISE(ABORT, '{what} is append-only: rows cannot be changed'); END""",
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}
            BEGIN SELECT RAISE(ABORT, '{what} is append-only: rows cannot be deleted'); END""",
    ]


def history_guard_postgres(table: str, what: str) -> list[str]:
    return [
        f"""CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{what} is append-only: rows cannot be %d', lower(TG_OP);
            END $$ LANGUAGE plpgsql""",
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {table}_append_only()""",
    ]


def install_history_guard(engine: Engine) -> None:
    build = {"sqlite": history_guard_sqlite, "postgresql": history_guard_postgres}.get(
        engine.dialect.name
    )
    if build is None:
        return
    with engine.begin() as conn:
        for table, what in APPEND_ONLY.items():
            for statement in build(table, what):
                conn.exec_driver_sql(statement)


def init_db(engine: Engine, settings: Settings | None = None) -> bool:
    """Create what is missing and seed the plan from `data/` if the database is new.

    Returns True when it seeded. Raises DatabaseUnavailable with a readable message
    when the database cannot be opened or written (e.g. a read-only file)."""
    from core.loading import load_plan  # loading imports db helpers

    settings = settings or get_settings()
    try:
        if not _tables_exist(engine):
            SQLModel.metadata.create_all(engine)
            install_history_guard(engine)
        with Session(engine) as session:
            seeded = session.exec(select(models.Plan)).first() is not None
        if seeded:
            return False
        load_plan(engine, settings.tracker_data_dir)
        return True
    except DatabaseError as exc:
        raise DatabaseUnavailable(describe_db_error(exc, engine)) from exc


def _tables_exist(engine: Engine) -> bool:
    names = set(inspect(engine).get_table_names())
    return set(SQLModel.metadata.tables) <= names


def describe_db_error(exc: SQLAlchemyError, engine: Engine) -> str:
    where = engine.url.render_as_string(hide_password=True)
    detail = str(getattr(exc, "orig", exc)).strip()
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
