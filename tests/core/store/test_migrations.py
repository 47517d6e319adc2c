"""Migrations: the revisions build exactly the models' schema, and an existing database
(at the first revision, or made by the release before migrations) is upgraded
without losing a row. Every test runs on SQLite and on PostgreSQL.

`release_e844249.{sqlite,postgresql}.sql` is the DDL the release before migrations
ran (`create_all`, then the history guard). It was generated from that commit:

    git worktree add /tmp/old e844249
    # with /tmp/old first on sys.path: CreateTable/CreateIndex of every table in
    # SQLModel.metadata.sorted_tables compiled for the dialect, then
    # core.db.HISTORY_GUARD_SQLITE / HISTORY_GUARD_POSTGRES
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel, select

from core.cli.main import main
from core.config import PROJECT_ROOT, Settings
from core.models import Outcome, PlanChange
from core.progress.queries import export_rows
from core.store import chain, migrate
from core.store.bootstrap import init_db
from core.store.db import DatabaseUnavailable, make_engine
from core.store.guard import APPEND_ONLY

DATA_DIR = PROJECT_ROOT / "data"
HERE = PROJECT_ROOT / "tests" / "core" / "store"
BASELINE = "0001_baseline"
HEAD = migrate.head()
RELEASE_TABLES = [
    "appendix_item",
    "flag",
    "need",
    "plan",
    "region",
    "sign_in_throttle",
    "user_account",
    "logic_model",
    "strategy",
    "assignment",
    "outcome",
    "status_update",
]
OUTCOME = "st-louis.adult-shelter.short.1"
WHEN = datetime(2021, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)


# --- what a schema is made of -----------------------------------------------------


def squeeze(sql: str | None) -> str | None:
    return None if sql is None else re.sub(r"\s+", " ", sql).strip()


def triggers(connection: Connection) -> list[tuple]:
    if connection.dialect.name == "sqlite":
        rows = connection.execute(
            text("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
        )
        return sorted((table, name, squeeze(sql)) for name, table, sql in rows)
    rows = connection.execute(
        text(
            "SELECT t.tgrelid::regclass::text, t.tgname, pg_get_triggerdef(t.oid), p.proname, "
            "p.prosrc FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE NOT t.tgisinternal"
        )
    )
    return sorted((table, name, squeeze(d), fn, squeeze(src)) for table, name, d, fn, src in rows)


def schema(engine: Engine) -> dict:
    """Everything a schema is made of, column order aside (a column added by a
    migration comes last): types, nullability, defaults, keys, indexes, constraints
    and the history guard's triggers with their SQL."""
    with engine.connect() as connection:
        inspector = inspect(connection)
        tables = {}
        for name in sorted(set(inspector.get_table_names()) - {"alembic_version"}):
            tables[name] = {
                "columns": {
                    c["name"]: (str(c["type"]), c["nullable"], c.get("default"))
                    for c in inspector.get_columns(name)
                },
                "pk": inspector.get_pk_constraint(name)["constrained_columns"],
                "fks": sorted(
                    (
                        tuple(fk["constrained_columns"]),
                        fk["referred_table"],
                        *fk["referred_columns"],
                    )
                    for fk in inspector.get_foreign_keys(name)
                ),
                "indexes": sorted(
                    (ix["name"], tuple(ix["column_names"]), bool(ix["unique"]))
                    for ix in inspector.get_indexes(name)
                ),
                "uniques": sorted(
                    (u["name"] or "", tuple(u["column_names"]))
                    for u in inspector.get_unique_constraints(name)
                ),
                "checks": sorted(
                    (c["name"], squeeze(c["sqltext"]))
                    for c in inspector.get_check_constraints(name)
                ),
            }
        return {"tables": tables, "triggers": triggers(connection)}


def revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return migrate.current_revision(connection)


def replay(engine: Engine, target: str = "head") -> None:
    """Run the revisions themselves (init_db builds a new database from the models)."""
    with migrate.migration_connection(engine) as connection:
        migrate.run_revisions(connection, target)


def run_release_ddl(engine: Engine) -> None:
    """What the release before migrations did to a new database."""
    ddl = (HERE / f"release_e844249.{engine.dialect.name}.sql").read_text()
    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "sqlite":
            raw.driver_connection.executescript(ddl)
        else:
            raw.driver_connection.execute(ddl)  # no parameters: "% d" stays as written
            raw.driver_connection.commit()
    finally:
        raw.close()


# --- data in the release's tables -------------------------------------------------


def aware(value):
    if isinstance(value, datetime) and value.utcoffset() is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC) if isinstance(value, datetime) else value


def reflect(connection: Connection) -> sa.MetaData:
    metadata = sa.MetaData()
    metadata.reflect(connection)
    return metadata


def dump(engine: Engine) -> dict[str, list[dict]]:
    """Every row of every table (bar alembic_version), ordered by primary key, with
    times as aware UTC: what 'nothing was lost' compares."""
    with engine.connect() as connection:
        metadata = reflect(connection)
        out = {}
        for table in metadata.sorted_tables:
            if table.name == "alembic_version":
                continue
            rows = connection.execute(select(table).order_by(*table.primary_key.columns))
            out[table.name] = [{k: aware(v) for k, v in row._mapping.items()} for row in rows]
        return out


def fill_release_tables(engine: Engine, plan: Engine) -> None:
    """The seeded plan (copied from `plan`, a database init_db seeded) plus users,
    assignments, a throttled sign-in and status history with an undo, inserted with
    plain SQL into the release's twelve tables."""
    with plan.connect() as source:
        seeded = reflect(source)
        rows = {
            name: [dict(r._mapping) for r in source.execute(select(seeded.tables[name]))]
            for name in RELEASE_TABLES
        }
    outcome = next(r for r in rows["outcome"] if r["id"] == OUTCOME)
    outcome.update(status="Not started", version=3, last_updated=WHEN, last_updated_by="dana")
    rows["user_account"] = [
        {
            "id": 1,
            "username": "admin",
            "display_name": "Ada Admin",
            "email": "ada@example.org",
            "role": "admin",
            "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g",
            "active": True,
            "created_at": datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC),
        },
        {
            "id": 2,
            "username": "dana",
            "display_name": "Dana R.",
            "email": None,
            "role": "lead",
            "password_hash": None,
            "active": False,
            "created_at": datetime(2020, 2, 3, 4, 5, 6, 789000, tzinfo=UTC),
        },
    ]
    rows["assignment"] = [
        {"id": 1, "user_id": 2, "region_id": "st-louis", "strategy_id": None},
        {"id": 2, "user_id": 2, "region_id": None, "strategy_id": "southwest.legal-services"},
    ]
    rows["sign_in_throttle"] = [
        {
            "username": "mallory",
            "failures": [WHEN.isoformat()],
            "locked_until": WHEN,
            "updated_at": WHEN,
        }
    ]
    history = [("Not started", "In progress", None), ("In progress", "Done", None)]
    history.append(("Done", "Not started", 2))  # undo of the second
    rows["status_update"] = [
        {
            "id": i,
            "outcome_id": OUTCOME,
            "changed_at": WHEN.replace(minute=i),
            "changed_by": "dana",
            "old_status": old,
            "new_status": new,
            "note": f"step {i} — ünïcode",
            "evidence_url": "https://example.org/e" if i == 1 else None,
            "reverts_id": reverts,
        }
        for i, (old, new, reverts) in enumerate(history, start=1)
    ]
    with engine.begin() as connection:
        target = reflect(connection)
        for name in RELEASE_TABLES:
            table = target.tables[name]
            columns = set(table.columns.keys())
            values = [{k: aware(v) for k, v in r.items() if k in columns} for r in rows[name]]
            connection.execute(table.insert(), values)
        if engine.dialect.name == "postgresql":  # as if the ids had come from SERIAL
            for name in ("user_account", "assignment", "status_update", "flag"):
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), max(id)) "
                        f"FROM {name}"
                    )
                )


# What the revisions after the baseline add to existing rows, and its value there
# (CHAINED: the history chain's hash, checked by chain.verify).
CHAINED = object()
ADDED_COLUMNS = {
    "outcome": {"redate_count": 0},
    "user_account": {
        "credentials_version": 0,
        "digest": "weekly",
        "feed_token_hash": None,
        "organisation_id": None,
    },
    "status_update": {"chain_hash": CHAINED, "organisation_id": None},
}


def assert_nothing_lost(before: dict, after: dict) -> None:
    new_tables = set(after) - set(before)
    assert new_tables == {
        "plan_change",
        "note_publication",
        "user_session",
        "comment",
        "digest_sent",
        "measure",
        "measure_value",
        "organisation",
        "organisation_name",
        "organisation_region",
        "strategy_organisation",
        "meeting",
    }
    assert all(after[name] == [] for name in new_tables)
    for name, rows in before.items():
        assert len(after[name]) == len(rows), name
        assert [{k: r[k] for k in rows[0]} for r in after[name]] == rows, name
        added = ADDED_COLUMNS.get(name, {})
        if rows:
            assert set(after[name][0]) - set(rows[0]) == set(added), name
        for column, value in added.items():
            if value is CHAINED:
                assert all(len(r[column]) == 64 for r in after[name]), (name, column)
                continue
            assert {r[column] for r in after[name]} <= {value}, (name, column)


def assert_guarded(engine: Engine) -> None:
    with engine.begin() as connection:  # a plan_change row, so row triggers fire
        connection.execute(
            sa.insert(PlanChange.__table__).values(
                changed_at=WHEN,
                changed_by="admin",
                subject_kind="outcome",
                subject_id=OUTCOME,
                action="re-dated",
                reason="test",
            )
        )
    for statement in (
        "UPDATE status_update SET note = 'rewritten'",
        "DELETE FROM status_update",
        "UPDATE plan_change SET reason = 'rewritten'",
        "DELETE FROM plan_change",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))


# --- the revisions build the models' schema ---------------------------------------


def test_revisions_match_models(new_engine):
    engine = new_engine()
    replay(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        assert compare_metadata(context, SQLModel.metadata) == []
    assert revision(engine) == HEAD


def test_new_database_schema_same_as_revisions(new_engine):
    # init_db builds a new database from the models (create_all + the history guard
    # of core.db) and stamps it; replaying the revisions must give the same schema
    created, replayed = new_engine(), new_engine()
    report = migrate.upgrade(created)
    assert (report.before, report.after, report.adopted) == (None, HEAD, None)
    replay(replayed)
    assert schema(created) == schema(replayed)
    assert revision(created) == revision(replayed) == HEAD
    guarded = {t[0] for t in schema(created)["triggers"]}
    assert guarded == set(APPEND_ONLY)


def test_baseline_is_the_release_schema(new_engine):
    release, baseline = new_engine(), new_engine()
    run_release_ddl(release)
    assert migrate.upgrade(baseline, BASELINE).applied == (BASELINE,)
    assert schema(release) == schema(baseline)
    assert set(schema(baseline)["tables"]) == set(RELEASE_TABLES)


def test_downgrade_to_baseline_gives_the_release_schema(new_engine):
    release, downgraded = new_engine(), new_engine()
    run_release_ddl(release)
    replay(downgraded)
    with migrate.migration_connection(downgraded) as connection:
        command.downgrade(migrate.alembic_config(connection), BASELINE)
    assert schema(downgraded) == schema(release)
    assert revision(downgraded) == BASELINE


# --- upgrading keeps every row -----------------------------------------------------


def test_upgrade_from_baseline_keeps_every_row(new_engine, _seeded_template):
    engine = new_engine()
    migrate.upgrade(engine, BASELINE)
    fill_release_tables(engine, _seeded_template)
    before = dump(engine)
    assert len(before["outcome"]) == 248 and len(before["status_update"]) == 3

    report = migrate.upgrade(engine)

    applied = tuple(migrate.revisions()[1:])  # every revision after the baseline
    assert (report.before, report.after, report.applied) == (BASELINE, HEAD, applied)
    assert revision(engine) == HEAD
    assert_nothing_lost(before, dump(engine))
    report = chain.verify(engine)  # the old rows were chained in id order
    assert report.ok, report.summary()
    assert report.rows == {"status_update": 3, "plan_change": 0, "measure_value": 0}
    assert_guarded(engine)
    with Session(engine) as session:  # the app reads it through the models
        assert session.get(Outcome, OUTCOME).version == 3
        assert len(export_rows(session)) == 248


def test_release_database_upgraded_by_init_db(new_engine, _seeded_template, caplog):
    engine = new_engine()
    run_release_ddl(engine)
    fill_release_tables(engine, _seeded_template)
    before = dump(engine)

    with caplog.at_level(logging.INFO, logger="core.migrate"):
        assert init_db(engine, Settings(tracker_data_dir=DATA_DIR)) is False  # not re-seeded

    assert revision(engine) == HEAD
    assert_nothing_lost(before, dump(engine))
    assert chain.verify(engine).ok
    assert_guarded(engine)
    assert "Recognised a database made before migrations as revision 0001_baseline" in caplog.text
    assert f"Upgraded the schema from {BASELINE} to {HEAD}" in caplog.text
    assert init_db(engine, Settings(tracker_data_dir=DATA_DIR)) is False  # and now a no-op


def test_init_db_at_head_writes_nothing(new_engine):
    engine = new_engine()
    assert init_db(engine, Settings(tracker_data_dir=DATA_DIR)) is True
    before = schema(engine)
    report = migrate.upgrade(engine)
    assert (
        not report.changed and report.summary() == f"The database is up to date (revision {HEAD})."
    )
    assert schema(engine) == before


def test_failed_upgrade_changes_nothing(new_engine):
    engine = new_engine()
    migrate.upgrade(engine, BASELINE)
    with engine.begin() as connection:  # takes a name revision 2 creates after its table
        connection.execute(text("CREATE INDEX ix_plan_change_subject ON need (label)"))
    before = schema(engine)
    with pytest.raises(DBAPIError, match="ix_plan_change_subject"):
        migrate.upgrade(engine)
    assert revision(engine) == BASELINE
    assert schema(engine) == before  # no plan_change table, no redate_count


# --- what is refused ---------------------------------------------------------------


def test_newer_database_refused(new_engine):
    engine = new_engine()
    init_db(engine, Settings(tracker_data_dir=DATA_DIR))
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))
    before = schema(engine)
    with pytest.raises(DatabaseUnavailable, match="created by a newer version of the tracker"):
        init_db(engine, Settings(tracker_data_dir=DATA_DIR))
    assert schema(engine) == before
    assert "0099_future" in migrate.status(engine).summary()


def test_unrecognised_unversioned_database_refused(new_engine):
    engine = new_engine()
    run_release_ddl(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE sign_in_throttle"))
    with pytest.raises(DatabaseUnavailable, match="missing tables: sign_in_throttle"):
        init_db(engine, Settings(tracker_data_dir=DATA_DIR))
    assert revision(engine) is None


def test_upgrade_to_older_revision_refused(new_engine):
    engine = new_engine()
    migrate.upgrade(engine)
    with pytest.raises(migrate.MigrationError, match="only upgrades"):
        migrate.upgrade(engine, BASELINE)
    with pytest.raises(migrate.MigrationError, match="Unknown revision"):
        migrate.upgrade(engine, "0099_future")
    assert revision(engine) == HEAD


@pytest.mark.backends("sqlite")
def test_read_only_old_database_refused_clearly(new_engine):
    engine = new_engine()
    migrate.upgrade(engine, BASELINE)
    path = engine.url.database
    engine.dispose()
    read_only = make_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        with pytest.raises(DatabaseUnavailable, match="read-only"):
            init_db(read_only, Settings(tracker_data_dir=DATA_DIR))
    finally:
        read_only.dispose()
    assert revision(make_engine(f"sqlite:///{path}")) == BASELINE


# --- python -m core migrate --------------------------------------------------------


@pytest.mark.backends("sqlite")
def test_migrate_command(new_engine, monkeypatch, capsys):
    engine = new_engine()
    migrate.upgrade(engine, BASELINE)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    from core import config

    config.get_settings.cache_clear()

    assert main(["migrate", "--status"]) == 0
    out = capsys.readouterr().out
    assert f"Database: at revision {BASELINE}." in out and "Pending: 0002_plan_change" in out

    assert main(["migrate"]) == 0
    assert f"Upgraded the schema from {BASELINE} to {HEAD}" in capsys.readouterr().out
    assert revision(engine) == HEAD

    assert main(["migrate", "--to", BASELINE]) == 1
    assert "only upgrades" in capsys.readouterr().err
    assert main(["migrate"]) == 0
    assert "up to date" in capsys.readouterr().out


@pytest.mark.backends("sqlite")
def test_migrate_command_creates_empty_database_without_seeding(new_engine, monkeypatch, capsys):
    engine = new_engine()
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    from core import config

    config.get_settings.cache_clear()
    assert main(["migrate", "--to", BASELINE]) == 0
    assert revision(engine) == BASELINE
    assert main(["migrate"]) == 0
    with Session(engine) as session:
        assert session.exec(select(Outcome)).first() is None  # seeding is init_db's
