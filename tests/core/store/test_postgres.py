"""What differs between SQLite and PostgreSQL, and how the tracker copes (the rest of
tests/core runs on both backends through the `engine` and `session` fixtures):

- history: both history tables refuse UPDATE, DELETE and (PostgreSQL) TRUNCATE, with
  SQLite's words; the roles of README "Hosting" make it a matter of privileges too;
- locking: SQLite's writers take the database's lock up front, PostgreSQL's lock rows;
  concurrent saves, re-dates and failed sign-ins lose nothing on either;
- limits: PostgreSQL enforces VARCHAR lengths and refuses NUL characters, SQLite does
  neither, so every user-editable field is checked before the write;
- time zones, JSON columns, and readable messages for connection failures.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, ProgrammingError
from sqlmodel import Session, select

from core import models
from core.config import PROJECT_ROOT, Settings
from core.errors import UpdateRejected
from core.models import (
    LogicModel,
    Outcome,
    PlanChange,
    Region,
    SignInThrottle,
    StatusUpdate,
    Strategy,
    User,
)
from core.people import accounts, signin
from core.people.accounts import AccountError
from core.people.permissions import Actor
from core.people.signin import SignInError
from core.plan import editing, fields, redating
from core.plan.files import PlanFileError, read_plan
from core.progress import updates
from core.progress.filters import OutcomeFilter
from core.progress.queries import outcome_rows
from core.progress.updates import StaleUpdate
from core.store import migrate
from core.store.bootstrap import init_db
from core.store.db import (
    PG_POOL,
    DatabaseUnavailable,
    describe_db_error,
    make_engine,
    write_session,
)
from tests.pg import PostgresServer, free_port

OUTCOME = "southwest.legal-services.short.1"
LOGIC_MODEL = "southwest"
ADMIN = Actor(user_id=1, username="ada", display_name="Ada", role=models.Role.ADMIN)
PASSWORD = "correct horse battery"
WHEN = datetime(2021, 5, 3, 15, 30, tzinfo=UTC)
README = PROJECT_ROOT / "README.md"
pg_only = pytest.mark.backends("postgresql")


def save(engine: Engine, status: str = "Done", *, version: int | None = None, **kw):
    with Session(engine) as session:
        seen = session.get(Outcome, OUTCOME).version if version is None else version
    with write_session(engine) as session:
        return updates.update_status(
            session=session,
            actor=ADMIN,
            outcome_id=OUTCOME,
            expected_version=seen,
            new_status=status,
            **kw,
        ).model_copy()


def count(engine: Engine, model) -> int:
    with Session(engine) as session:
        return len(session.exec(select(model)).all())


def redate(session: Session, day: date, expected: date | None = None) -> PlanChange:
    return redating.redate_outcome(
        session=session,
        actor=ADMIN,
        outcome_id=OUTCOME,
        due_date=day,
        reason="The county's start moved.",
        expected_due_date=expected,
    )


# --- history: refused on both tables -------------------------------------------------


def add_plan_change(engine: Engine) -> None:
    with write_session(engine) as session:
        redate(session, date(2022, 1, 31))


@pytest.mark.parametrize(
    ("statement", "refusal"),
    [
        ("UPDATE plan_change SET reason = 'rewritten'", "rows cannot be changed"),
        ("DELETE FROM plan_change", "rows cannot be deleted"),
        ("UPDATE status_update SET note = 'rewritten'", "rows cannot be changed"),
        ("DELETE FROM status_update", "rows cannot be deleted"),
    ],
)
def test_history_tables_refuse_update_and_delete(engine, statement, refusal):
    add_plan_change(engine)
    save(engine, note="first")
    before = (count(engine, PlanChange), count(engine, StatusUpdate))
    with pytest.raises(DBAPIError, match=f"append-only: {refusal}"), engine.begin() as conn:
        conn.execute(text(statement))
    assert (count(engine, PlanChange), count(engine, StatusUpdate)) == before == (1, 1)


@pg_only
@pytest.mark.parametrize("table", ["status_update", "plan_change"])
def test_history_tables_refuse_truncate(engine, table):
    add_plan_change(engine)
    save(engine)
    with pytest.raises(DBAPIError, match="append-only: rows cannot be deleted"):
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {table} CASCADE"))
    assert count(engine, PlanChange) == count(engine, StatusUpdate) == 1


# --- the roles of README "Hosting" ---------------------------------------------------


def readme_sql(containing: str) -> list[str]:
    """The statements of README's ```sql block that contains `containing`."""
    blocks = re.findall(r"```sql\n(.*?)```", README.read_text(), flags=re.S)
    [block] = [b for b in blocks if containing in b]
    return [s.strip() for s in block.split(";") if s.strip()]


def role_password(role: str) -> str:
    [statement] = [s for s in readme_sql("CREATE ROLE") if f"CREATE ROLE {role} " in s]
    return re.search(r"PASSWORD '([^']+)'", statement).group(1)


@dataclass(frozen=True)
class Hosted:
    owner: Engine
    app: Engine


@pytest.fixture(scope="module")
def hosted(pg_server: PostgresServer) -> Iterator[Hosted]:
    """README's set-up, verbatim: roles and database as a superuser, schema and plan
    as the owner (init_db, which `python -m core migrate && load` run), then the
    grants as the owner; `app` connects as the app's role."""
    database = pg_server.unique_name("tracker")  # README's "tracker", made unique
    for statement in readme_sql("CREATE ROLE"):
        pg_server.execute(re.sub(r"\bDATABASE tracker\b", f"DATABASE {database}", statement))
    owner_url = pg_server.url(
        database, user="tracker_owner", password=role_password("tracker_owner")
    )
    owner = make_engine(owner_url)
    assert init_db(owner, Settings(tracker_data_dir=PROJECT_ROOT / "data")) is True
    with owner.begin() as conn:
        for statement in readme_sql("REVOKE UPDATE, DELETE, TRUNCATE"):
            conn.exec_driver_sql(statement)
    app = make_engine(
        pg_server.url(database, user="tracker_app", password=role_password("tracker_app"))
    )
    yield Hosted(owner, app)
    app.dispose()
    owner.dispose()
    pg_server.drop_database(database)
    pg_server.execute("DROP ROLE tracker_app")
    pg_server.execute("DROP ROLE tracker_owner")


@pg_only
def test_app_role_does_the_apps_work(hosted, backend):
    app = hosted.app
    assert init_db(app) is False  # the app's start: schema current, plan seeded
    with write_session(app) as session:
        admin = accounts.create_user(
            session=session, username="ada", role="admin", password=PASSWORD
        )
        lead = accounts.create_user(session=session, username="sam", role="lead")
        accounts.assign(session=session, user=lead, region_id="southwest")
        accounts.unassign(session=session, user=lead, region_id="southwest")
        with pytest.raises(SignInError):
            signin.authenticate(session=session, username="ada", password="wrong guess!!")
        assert signin.authenticate(session=session, username="ada", password=PASSWORD)
        assert session.get(SignInThrottle, "ada") is None  # the failure row was deleted
        assert admin.id is not None
    entry = save(app, "Done", note="Met with the task force.")
    with write_session(app) as session:
        version = session.get(Outcome, OUTCOME).version
        updates.revert_update(
            session=session, actor=ADMIN, status_update_id=entry.id, expected_version=version
        )
    with write_session(app) as session:
        redate(session, date(2022, 3, 31))
        editing.edit_item(
            session=session,
            actor=ADMIN,
            kind="outcome",
            item_id=OUTCOME,
            changes={"text": "Meet with the task force quarterly."},
            reason="Reworded by the workgroup.",
        )
    with Session(app) as session:
        assert session.get(Outcome, OUTCOME).status == "Not started"
        assert [u.reverts_id for u in session.exec(select(StatusUpdate))][-2:] == [None, entry.id]
        assert len(session.exec(select(PlanChange)).all()) >= 2
        assert len(outcome_rows(session, OutcomeFilter(search="quarterly"))) == 1


@pg_only
@pytest.mark.parametrize("table", ["status_update", "plan_change"])
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {table} SET changed_by = 'mallory'",
        "DELETE FROM {table}",
        "TRUNCATE {table}",
        "DROP TRIGGER {table}_append_only ON {table}",
        "ALTER TABLE {table} DISABLE TRIGGER USER",
    ],
)
def test_app_role_cannot_rewrite_history(hosted, backend, table, statement):
    save(hosted.app, "Blocked", note="Something to rewrite.")
    with write_session(hosted.app) as session:
        redate(session, session.get(Outcome, OUTCOME).due_date + timedelta(days=1))
    with pytest.raises(ProgrammingError) as refused, hosted.app.begin() as conn:
        conn.execute(text(statement.format(table=table)))
    assert "permission denied" in str(refused.value) or "must be owner" in str(refused.value)
    if "permission denied" in str(refused.value):
        message = describe_db_error(refused.value, hosted.app)
        assert "refused this operation to user 'tracker_app'" in message
        assert "GRANT" in message


@pg_only
def test_owner_is_refused_by_the_triggers(hosted, backend):
    save(hosted.owner, "In progress", note="by the owner")
    with pytest.raises(DBAPIError, match="append-only"), hosted.owner.begin() as conn:
        conn.execute(text("UPDATE status_update SET note = ''"))


@pg_only
def test_app_role_cannot_change_the_schema(hosted, backend):
    with pytest.raises(ProgrammingError, match="permission denied"), hosted.app.begin() as conn:
        conn.execute(text("CREATE TABLE scratch (id integer)"))


@pg_only
def test_app_role_on_a_database_behind_asks_for_the_owners_upgrade(hosted, backend, pg_server):
    database = pg_server.unique_name("behind")
    pg_server.execute(f"CREATE DATABASE {database} OWNER tracker_owner")
    owner = make_engine(pg_server.url(database, user="tracker_owner", password="owner-secret"))
    app = make_engine(pg_server.url(database, user="tracker_app", password="app-secret"))
    try:
        migrate.upgrade(owner, migrate.revisions()[0])  # an older release's schema
        with owner.begin() as conn:
            for statement in readme_sql("REVOKE UPDATE, DELETE, TRUNCATE"):
                if "plan_change" not in statement:  # added by a later revision
                    conn.exec_driver_sql(statement)
        with pytest.raises(DatabaseUnavailable) as err:
            init_db(app)
        assert "needs a schema upgrade that user 'tracker_app' may not make" in str(err.value)
        assert "python -m core migrate` as the database's owner" in str(err.value)
    finally:
        app.dispose()
        owner.dispose()
        pg_server.drop_database(database)


# --- locking: SQLite's database lock, PostgreSQL's row locks ---------------------------


@pytest.fixture
def shared_engine(backend, tmp_path, seeded_copy, request) -> Engine:
    """A seeded database that threads can share with connections of their own (a file
    on SQLite: the in-memory one is a single connection)."""
    if backend == "postgresql":
        return request.getfixturevalue("pg_seeded_copy")()
    return seeded_copy(f"sqlite:///{tmp_path / 'shared.db'}")


def while_holding(engine: Engine, hold: Callable[[Session], None], contender: Callable[[], None]):
    """Run `hold` in a write transaction, start `contender` in a thread, check that it
    waits, then commit; return what the contender raised (None if nothing)."""
    outcome: dict[str, BaseException | None] = {"error": None}
    done = threading.Event()

    def run() -> None:
        try:
            contender()
        except BaseException as exc:
            outcome["error"] = exc
        finally:
            done.set()

    with write_session(engine) as session:
        hold(session)
        session.flush()
        thread = threading.Thread(target=run)
        thread.start()
        assert not done.wait(0.5), "the second writer should wait for the first"
    thread.join(30)
    assert done.is_set()
    return outcome["error"]


def test_concurrent_saves_of_one_version_keep_the_first(shared_engine):
    engine = shared_engine

    def first(session: Session) -> None:
        updates.update_status(
            session=session,
            actor=ADMIN,
            outcome_id=OUTCOME,
            expected_version=1,
            new_status="Done",
            note="first",
        )

    error = while_holding(engine, first, lambda: save(engine, "Blocked", version=1, note="2nd"))
    assert isinstance(error, StaleUpdate)
    assert (error.current_status, error.current_version, error.note) == ("Done", 2, "2nd")
    with Session(engine) as session:
        assert [u.note for u in session.exec(select(StatusUpdate))] == ["first"]
        assert session.get(Outcome, OUTCOME).status == "Done"


def test_concurrent_redates_refuse_the_second(shared_engine):
    engine = shared_engine
    with Session(engine) as session:
        seen = session.get(Outcome, OUTCOME).due_date

    def second() -> None:
        with write_session(engine) as session:
            redate(session, date(2023, 6, 30), expected=seen)

    error = while_holding(engine, lambda s: redate(s, date(2022, 6, 30), expected=seen), second)
    assert isinstance(error, UpdateRejected) and "Someone moved" in str(error)
    with Session(engine) as session:
        assert session.get(Outcome, OUTCOME).due_date == date(2022, 6, 30)
        assert session.get(Outcome, OUTCOME).redate_count == 1
        assert len(session.exec(select(PlanChange)).all()) == 1


def test_concurrent_failed_sign_ins_both_count(shared_engine):
    engine = shared_engine
    with write_session(engine) as session:
        accounts.create_user(session=session, username="ada", role="admin", password=PASSWORD)
        with pytest.raises(SignInError):
            signin.authenticate(session=session, username="ada", password="wrong guess 1")

    def another_failure(session: Session) -> None:  # a sign-in failing at the same time
        throttle = session.get(SignInThrottle, "ada", with_for_update=True)
        throttle.failures = [*throttle.failures, datetime.now(UTC).isoformat()]
        session.add(throttle)

    def fail() -> None:
        with write_session(engine) as session:
            signin.authenticate(session=session, username="ada", password="wrong guess 3")

    assert isinstance(while_holding(engine, another_failure, fail), SignInError)
    with Session(engine) as session:
        assert len(session.get(SignInThrottle, "ada").failures) == 3


def test_a_writer_waiting_too_long_gives_up_with_a_message(shared_engine):
    """SQLite's busy timeout and PostgreSQL's lock_timeout: the same setting, the same
    message (TRACKER_BUSY_TIMEOUT_MS)."""
    url = shared_engine.url.render_as_string(hide_password=False)
    impatient = make_engine(url, busy_timeout_ms=300)
    try:
        with write_session(shared_engine) as session:
            updates.update_status(
                session=session,
                actor=ADMIN,
                outcome_id=OUTCOME,
                expected_version=1,
                new_status="Done",
            )
            with pytest.raises(DBAPIError) as err:
                save(impatient, "Blocked", version=1, note="second")
        message = describe_db_error(err.value, impatient)
        assert "stayed busy for too long; please try again in a moment" in message
    finally:
        impatient.dispose()


# --- limits: checked before the write ------------------------------------------------


def column_length(model, name: str) -> int:
    return model.__table__.c[name].type.length


def test_validation_limits_fit_the_columns():
    assert column_length(StatusUpdate, "evidence_url") >= updates.URL_MAX
    assert accounts.USERNAME_PATTERN.pattern.endswith("{0,79}")
    assert column_length(User, "username") == 80 == column_length(SignInThrottle, "username")
    assert column_length(User, "display_name") == 120
    assert column_length(User, "email") == 254
    assert column_length(StatusUpdate, "changed_by") >= column_length(User, "username")
    assert column_length(PlanChange, "changed_by") >= column_length(User, "username")
    assert column_length(Outcome, "last_updated_by") >= column_length(User, "username")
    assert column_length(Strategy, "title") >= fields.TITLE_MAX
    assert column_length(Strategy, "label") >= fields.LABEL_MAX
    assert column_length(Outcome, "number") == 10
    assert column_length(Outcome, "date_as_written") == 40


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"evidence_url": "https://example.org/" + "x" * 2000}, "longer than 2,000"),
        ({"evidence_url": "https://example.org/\x00"}, "NUL"),
        ({"note": "half\x00way"}, "NUL"),
    ],
)
def test_status_update_fields_are_checked(engine, kwargs, message):
    with pytest.raises(UpdateRejected, match=message):
        save(engine, "Done", **kwargs)
    assert count(engine, StatusUpdate) == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"username": "a" * 81}, "is not valid"),
        ({"display_name": "D" * 121}, "too long"),
        ({"display_name": "Ada\x00"}, "NUL"),
        ({"email": "ada\x00@example.org"}, "not a valid address"),
        ({"email": "a" * 250 + "@example.org"}, "not a valid address"),
    ],
)
def test_account_fields_are_checked(session, kwargs, message):
    kwargs = {"username": "ada", "role": "lead", "password": PASSWORD, **kwargs}
    with pytest.raises(AccountError, match=message):
        accounts.create_user(session=session, **kwargs)
    assert session.exec(select(User)).all() == []


@pytest.mark.parametrize("username", ["ada\x00", "x" * 500])
def test_sign_in_with_odd_usernames_is_just_refused(session, username):
    with pytest.raises(SignInError, match=re.escape(signin.WRONG_CREDENTIALS)):
        signin.authenticate(session=session, username=username, password=PASSWORD)


def lead_plan(session: Session, **kw):
    base = {
        "actor": ADMIN,
        "strategy_id": "southwest.legal-services",
        "term": "short",
        "text": "Hold a training.",
        "due_date": date(2022, 1, 31),
        "reason": "Added.",
    }
    return editing.create_outcome(session=session, **{**base, **kw})


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda s: lead_plan(s, outcome_id="x" * 161), "use 1 to 160 characters"),
        (lambda s: lead_plan(s, number="12345678901"), "The number is 11"),
        (lambda s: lead_plan(s, date_as_written="d" * 41), "The date as written is 41"),
        (lambda s: lead_plan(s, reason="why\x00"), "NUL"),
        (lambda s: lead_plan(s, text="t" * 2001), "keep it under 2,000"),
        (
            lambda s: editing.create_strategy(
                session=s,
                actor=ADMIN,
                logic_model_id=LOGIC_MODEL,
                need_id="legal-services",
                title="A new strategy",
                reason="Added.",
                strategy_id="s" * 121,
            ),
            "use 1 to 120 characters",
        ),
        (
            lambda s: editing.create_strategy(
                session=s,
                actor=ADMIN,
                logic_model_id=LOGIC_MODEL,
                need_id="legal-services",
                title="T" * 301,
                reason="Added.",
            ),
            "keep it under 300",
        ),
        (
            lambda s: editing.create_logic_model(
                session=s,
                actor=ADMIN,
                region_id="southwest",
                title="New workgroup",
                start_date=date(2024, 7, 1),
                reason="Added.",
                logic_model_id="m" * 61,
            ),
            "use 1 to 60 characters",
        ),
    ],
)
def test_plan_change_fields_are_checked(engine, make, message):
    with pytest.raises(UpdateRejected, match=message), write_session(engine) as session:
        make(session)
    assert count(engine, PlanChange) == 0


def test_generated_ids_fit_their_columns(engine):
    with write_session(engine) as session:
        lm = editing.create_logic_model(
            session=session,
            actor=ADMIN,
            region_id="southwest",
            title="W" * 300,
            start_date=date(2024, 7, 1),
            reason="Added.",
        )
        st = editing.create_strategy(
            session=session,
            actor=ADMIN,
            logic_model_id=lm.id,
            need_id="legal-services",
            title="S" * 300,
            reason="Added.",
        )
        oc = lead_plan(session, strategy_id=st.id, number="1234567890")
        made = {LogicModel: lm.id, Strategy: st.id, Outcome: oc.id}
    assert all(len(made[model]) <= column_length(model, "id") for model in made), made


def test_search_with_a_nul_character_finds_the_words(session):
    rows = outcome_rows(session, OutcomeFilter(search="task\x00force"))
    assert rows and rows == outcome_rows(session, OutcomeFilter(search="task force"))


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda plan: plan["regions"][0].update(id="r" * 41), "id"),
        (lambda plan: plan["regions"][0].update(name="N" * 121), "name"),
        (lambda plan: plan["needs"][0].update(label="L" * 121), "label"),
    ],
)
def test_plan_files_are_checked_against_the_columns(data_copy: Path, edit, field):
    path = data_copy / "plan.yaml"
    plan = yaml.safe_load(path.read_text())
    edit(plan)
    path.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False))
    with pytest.raises(PlanFileError) as err:
        read_plan(data_copy)
    assert err.value.field == field and "at most" in err.value.problem


@pg_only
def test_a_value_too_long_for_its_column_gets_a_readable_message(engine, backend):
    with pytest.raises(DBAPIError) as err, write_session(engine) as session:
        session.add(Region(id="r" * 41, name="Too long"))
    assert "refused a value longer than its column allows" in describe_db_error(err.value, engine)


# --- time zones and JSON ---------------------------------------------------------------


def test_aware_datetimes_round_trip_as_utc(engine):
    chicago = timezone(timedelta(hours=-5))
    entry = save(engine, now=datetime(2021, 5, 3, 10, 30, tzinfo=chicago))
    with Session(engine) as session:
        stored = session.get(StatusUpdate, entry.id).changed_at
        outcome = session.get(Outcome, OUTCOME)
    assert stored == WHEN and stored.tzinfo == UTC
    assert outcome.last_updated == WHEN and outcome.last_updated.tzinfo == UTC


@pg_only
def test_sessions_work_in_utc_whatever_the_servers_zone(engine, backend, pg_server):
    database = engine.url.database
    pg_server.execute(f"ALTER DATABASE {database} SET timezone = 'America/Chicago'")
    engine.dispose()
    save(engine, now=WHEN)
    with engine.connect() as conn:
        assert conn.execute(text("SHOW timezone")).scalar() == "UTC"
        assert conn.execute(text("SELECT changed_at::date FROM status_update")).scalar() == (
            WHEN.date()
        )
        name = "SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()"
        assert conn.execute(text(name)).scalar() == "plan-tracker"


def test_json_columns_round_trip(engine):
    with write_session(engine) as session:
        entry = editing.edit_item(
            session=session,
            actor=ADMIN,
            kind="strategy",
            item_id="southwest.legal-services",
            changes={"resources": ["Legal Aid of “Southwest” — pro bono", "Ünïcode ✓"]},
            reason="Resources named.",
        )
        entry_id = entry.id
    with Session(engine) as session:
        strategy = session.get(Strategy, "southwest.legal-services")
        change = session.get(PlanChange, entry_id)
        region = session.get(Region, "southwest")
    assert strategy.resources == ["Legal Aid of “Southwest” — pro bono", "Ünïcode ✓"]
    assert change.after == {"resources": strategy.resources}
    assert isinstance(change.before["resources"], list)
    assert isinstance(region.report_labels, list) and isinstance(region.top_needs, list)


# --- engines and connection errors ---------------------------------------------------


@pg_only
def test_postgres_engine_settings(engine, backend, pg_server):
    assert engine.dialect.driver == "psycopg"
    assert engine.pool.size() == PG_POOL["pool_size"]
    assert engine.pool._pre_ping
    bare = make_engine(pg_server.url("postgres").replace("postgresql+psycopg://", "postgres://"))
    try:
        assert bare.dialect.driver == "psycopg"
        with bare.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        bare.dispose()


def unusable(url: str) -> str:
    engine = make_engine(url)
    try:
        with pytest.raises(DatabaseUnavailable) as err:
            init_db(engine)
    finally:
        engine.dispose()
    return str(err.value)


@pg_only
def test_connection_refused_is_explained(backend):
    message = unusable(f"postgresql+psycopg://tracker:s3cret@127.0.0.1:{free_port()}/tracker")
    assert "cannot be reached: nothing accepts connections at 127.0.0.1:" in message
    assert "s3cret" not in message


@pg_only
def test_wrong_password_is_explained(pg_server, backend):
    message = unusable(pg_server.url("postgres", password="not-the-password"))
    assert "refused the sign-in of user 'postgres': wrong user or password" in message
    assert "not-the-password" not in message


@pg_only
def test_missing_database_is_explained(pg_server, backend):
    message = unusable(pg_server.url("no_such_tracker"))
    assert "does not exist on 127.0.0.1:" in message
    assert "CREATE DATABASE no_such_tracker" in message


@pg_only
def test_unknown_role_is_explained(pg_server, backend):
    message = unusable(pg_server.url("postgres", user="nobody_here", password="x"))
    # scram-sha-256 does not tell an unknown user from a wrong password
    assert "refused the sign-in of user 'nobody_here'" in message


def test_restarted_server_costs_a_reconnect_not_an_error(shared_engine, backend, pg_server_or_none):
    engine = shared_engine
    save(engine, "In progress")
    if pg_server_or_none is not None:  # kill every connection of this database
        pg_server_or_none.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            engine.url.database,
        )
        time.sleep(0.1)
    save(engine, "Done")  # pool_pre_ping replaces the dead connection
    assert count(engine, StatusUpdate) == 2


@pytest.fixture
def pg_server_or_none(backend, request) -> PostgresServer | None:
    return request.getfixturevalue("pg_server") if backend == "postgresql" else None
