"""Start-up: bring the schema up to date, then seed the plan from `data/` once."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session, select

from core import models
from core.config import Settings, get_settings
from core.store import migrate
from core.store.db import DatabaseUnavailable, describe_db_error


def init_db(engine: Engine, settings: Settings | None = None) -> bool:
    """Bring the schema up to date (core.store.migrate: a new database gets every revision,
    an older one is upgraded in one transaction) and seed the plan from `data/` if the
    database has none.

    Returns True when it seeded. Raises DatabaseUnavailable with a readable message
    when the database cannot be opened or written (e.g. a read-only file) or was made
    by a newer version of the tracker."""
    from core.plan.loading import load_plan

    settings = settings or get_settings()
    try:
        migrate.ensure_schema(engine)
        with Session(engine) as session:
            seeded = session.exec(select(models.Plan)).first() is not None
        if seeded:
            return False
        load_plan(engine, settings.tracker_data_dir)
        return True
    except DatabaseError as exc:
        raise DatabaseUnavailable(describe_db_error(exc, engine)) from exc
