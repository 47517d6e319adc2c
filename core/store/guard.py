"""The append-only guard: triggers that refuse UPDATE, DELETE (and on PostgreSQL
TRUNCATE) of status history, the plan change log and measure history."""

from __future__ import annotations

from sqlalchemy import Engine

# Tables that are history: rows are appended, never changed or deleted.
APPEND_ONLY = {
    "status_update": "status history",
    "plan_change": "the plan change log",
    "measure_value": "measure history",
}


def history_guard_sqlite(table: str, what: str) -> list[str]:
    return [
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table}
            BEGIN SELECT RAISE(ABORT, '{what} is append-only: rows cannot be changed'); END""",
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}
            BEGIN SELECT RAISE(ABORT, '{what} is append-only: rows cannot be deleted'); END""",
    ]


def history_guard_postgres(table: str, what: str) -> list[str]:
    """The same refusals as SQLite's triggers, word for word, plus TRUNCATE (which
    SQLite does not have and row triggers do not see). No "%" in the SQL, so drivers
    that read "%" as a placeholder run it as is."""
    return [
        f"""CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'UPDATE' THEN
                    RAISE EXCEPTION '{what} is append-only: rows cannot be changed'
                        USING ERRCODE = 'restrict_violation';
                END IF;
                RAISE EXCEPTION '{what} is append-only: rows cannot be deleted'
                    USING ERRCODE = 'restrict_violation';
            END $$ LANGUAGE plpgsql""",
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {table}_append_only()""",
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
        f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()""",
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
