"""AppTest fixtures: each test gets its own database, fresh settings and empty
Streamlit caches, so no test sees another's database (ui.data.engine() is a
process-wide st.cache_resource and core.config.get_settings() is lru_cached).

The database is a SQLite file; tests marked `@pytest.mark.backends("sqlite",
"postgresql")` also run on a PostgreSQL database of their own (tests/conftest.py)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import Engine, func
from sqlmodel import Session, select
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest, app_test

from core import config, models
from core.config import PROJECT_ROOT
from core.models import Outcome, Status, StatusUpdate
from core.people import accounts
from core.people.permissions import Actor, actor_for
from core.progress import updates
from core.store.bootstrap import init_db
from core.store.db import make_engine, write_session
from tests.pg import PostgresServer
from ui import data

APP = PROJECT_ROOT / "dashboard.py"
DATA_DIR = PROJECT_ROOT / "data"
PAGES = [
    "pages/overview.py",
    "pages/timeline.py",
    "pages/overdue.py",
    "pages/region.py",
    "pages/plan_browser.py",
]
TODAY = "2021-06-01"  # pinned: many 2020 outcomes are overdue, some are due soon
PASSWORD = "correct horse battery"
# Outcomes the history fixture updates (ids from data/logic_models/06_southwest.yaml).
SW_DONE = "southwest.legal-services.short.1"
SW_BLOCKED = "southwest.legal-services.short.2"
SW_UNDONE = "southwest.legal-services.short.3"


def clear_caches() -> None:
    config.get_settings.cache_clear()
    st.cache_resource.clear()
    data.forget_cached()  # st.cache_data and the shared caches (ui/data.py)


def point_settings_at(
    monkeypatch: pytest.MonkeyPatch, db_file: Path, url: str | None = None
) -> None:
    """TRACKER_SQLITE_PATH and DATABASE_URL both name `db_file` (DATABASE_URL would
    otherwise come from the developer's .streamlit/secrets.toml and win), unless
    `url` names another database (PostgreSQL) for DATABASE_URL."""
    monkeypatch.setenv("TRACKER_SQLITE_PATH", str(db_file))
    monkeypatch.setenv("DATABASE_URL", url or f"sqlite:///{db_file}")
    monkeypatch.setenv("TRACKER_DATA_DIR", str(DATA_DIR))
    monkeypatch.setenv("TRACKER_TODAY", TODAY)
    monkeypatch.delenv("TRACKER_PRIVATE", raising=False)
    clear_caches()


class _WarmPagesManager(PagesManager):
    """Streamlit runs an app with a `pages/` folder in legacy multipage mode until a
    session has called st.navigation; AppTest resets that switch before every run, so
    each run would start like the first one after a server restart (where ui.shell
    sends the page back through dashboard.py with st.rerun, dropping a click). This
    keeps the mode of a warm server, where dashboard.py runs first."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        PagesManager.uses_pages_directory = False


@pytest.fixture(autouse=True)
def _warm_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_test, "PagesManager", _WarmPagesManager)


@dataclass(frozen=True)
class PgDatabase:
    server: PostgresServer
    name: str


@pytest.fixture
def app_pg_database(pg_server: PostgresServer) -> Iterator[PgDatabase]:
    """An empty PostgreSQL database of this test's own, dropped afterwards."""
    database = PgDatabase(pg_server, pg_server.unique_name("app"))
    pg_server.create_database(database.name)
    yield database
    pg_server.drop_database(database.name)


@pytest.fixture
def db_file(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[Path]:
    """A database of this test's own, which the app creates and seeds on first run:
    a SQLite file at this path, or (backend "postgresql") an empty PostgreSQL
    database named by DATABASE_URL, the path then unused."""
    path = tmp_path / "tracker.db"
    url = None
    if backend == "postgresql":
        database: PgDatabase = request.getfixturevalue("app_pg_database")
        url = database.server.url(database.name)
    point_settings_at(monkeypatch, path, url)
    yield path
    clear_caches()


@pytest.fixture
def db(db_file: Path, backend: str, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """The test's database, created and seeded from data/ (no users, no history). On
    PostgreSQL a copy of the session's seeded template (seeding once is faster)."""
    if backend == "postgresql":
        database: PgDatabase = request.getfixturevalue("app_pg_database")
        template = request.getfixturevalue("_pg_seeded_template")
        database.server.drop_database(database.name)
        database.server.create_database(database.name, template=template)
    engine = make_engine()
    init_db(engine)
    yield engine
    engine.dispose()


def make_user(
    engine: Engine, username: str, role: str = "lead", *, region: str | None = None
) -> int:
    with write_session(engine) as session:
        user = accounts.create_user(
            session=session,
            username=username,
            role=role,
            password=PASSWORD,
            display_name=username.replace("-", " ").title(),
        )
        if region is not None:
            accounts.assign(session=session, user=user, region_id=region)
        assert user.id is not None
        return user.id


def actor(engine: Engine, user_id: int) -> Actor:
    with Session(engine) as session:
        return actor_for(session, session.get(models.User, user_id))


def version_of(engine: Engine, outcome_id: str) -> int:
    with Session(engine) as session:
        return session.get(Outcome, outcome_id, populate_existing=True).version


def status_of(engine: Engine, outcome_id: str) -> str:
    with Session(engine) as session:
        return session.get(Outcome, outcome_id, populate_existing=True).status


def history_rows(engine: Engine, outcome_id: str | None = None) -> list[StatusUpdate]:
    with Session(engine) as session:
        query = select(StatusUpdate).order_by(StatusUpdate.id)
        if outcome_id is not None:
            query = query.where(StatusUpdate.outcome_id == outcome_id)
        return list(session.exec(query).all())


def history_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count(StatusUpdate.id))).one()


def record(
    engine: Engine, who: Actor, outcome_id: str, status: str, note: str = "", day: int = 1
) -> int:
    """Save one status update through the service, as the app does; returns its id."""
    with write_session(engine) as session:
        entry = updates.update_status(
            session=session,
            actor=who,
            outcome_id=outcome_id,
            expected_version=version_of(engine, outcome_id),
            new_status=status,
            note=note,
            now=datetime(2021, 5, day, 15, 30, tzinfo=UTC),
        )
        return entry.id


@dataclass(frozen=True)
class History:
    engine: Engine
    admin_id: int
    updates: int


@pytest.fixture
def one_connection(db_file: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The app's engine on a pool of one connection (2-s wait): a run that asks for a
    second connection while it holds one fails with "The database is unavailable", as a
    loaded server's pool stalled (bench/RESULTS.md, ninth round)."""
    from sqlalchemy.pool import QueuePool

    one = {"poolclass": QueuePool, "pool_size": 1, "max_overflow": 0, "pool_timeout": 2}
    small = make_engine(f"sqlite:///{db_file}", pool=one)
    monkeypatch.setattr(data, "engine", lambda: small)
    try:
        yield small
    finally:
        small.dispose()


@pytest.fixture
def history_db(db: Engine) -> History:
    """The seeded database plus an admin and a few updates: two Done (one of them
    undone), one Blocked with a note, one In progress."""
    admin_id = make_user(db, "admin", "admin")
    boss = actor(db, admin_id)
    record(db, boss, SW_DONE, Status.DONE.value, "Met with the task force.", day=3)
    record(db, boss, SW_BLOCKED, Status.BLOCKED.value, "Waiting for the county's answer.", day=5)
    record(db, boss, "state-housing.ht-taskforce.short.1", Status.IN_PROGRESS.value, day=6)
    wrong = record(db, boss, SW_UNDONE, Status.DONE.value, day=7)
    with write_session(db) as session:
        updates.revert_update(
            session=session,
            actor=boss,
            status_update_id=wrong,
            expected_version=version_of(db, SW_UNDONE),
            now=datetime(2021, 5, 8, 9, 0, tzinfo=UTC),
        )
    return History(engine=db, admin_id=admin_id, updates=history_count(db))


@pytest.fixture
def new_app() -> Callable[..., AppTest]:
    """A factory of AppTest sessions on the dashboard (call after the db fixtures)."""

    def make(page: str | None = None, **state) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=60)
        for key, value in state.items():
            at.session_state[key] = value
        if page is not None and page != "dashboard.py":
            at.run()  # st.navigation registers the pages on the first run
            at.switch_page(page)
        return at

    return make


def by_label(widgets, label: str):
    """The one widget with this label (AppTest finds widgets by key only)."""
    found = [w for w in widgets if w.label == label]
    assert len(found) == 1, f"expected one {label!r}, found {[w.label for w in widgets]}"
    return found[0]


def texts(elements) -> list[str]:
    """The elements' text as a reader sees it: markdown's backslash escapes (ui/text.md)
    resolved. tests/app/test_escaping.py checks the escaped bodies themselves."""
    return [shown(str(e.value)) for e in elements]


def shown(body: str) -> str:
    body = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", body).replace("  \n", "\n")
    return body.replace("\u2060", "")  # the invisible joiner that unlinks bare addresses
