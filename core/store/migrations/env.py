"""Alembic's environment for the tracker.

`core.migrate` hands over an open connection inside its own transaction (so a whole
upgrade commits or rolls back as one); the `alembic` command line (alembic.ini) opens
the configured database the same way. Revisions use plain SQLAlchemy types, never
the models, so they keep meaning what they meant when they were written."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlmodel import SQLModel

from core.store import migrate
from core.store.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def run_on(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url") or migrate.configured_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

if context.is_offline_mode():
    run_offline()
elif config.attributes.get("connection") is not None:
    run_on(config.attributes["connection"])
else:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or None)
    try:
        with migrate.migration_connection(engine) as connection:
            run_on(connection)
    finally:
        engine.dispose()
