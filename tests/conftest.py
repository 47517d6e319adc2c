"""Shared fixtures: databases seeded from the real data/, on SQLite and on PostgreSQL,
and isolation from the developer's own database, settings and secrets.

Backends: every test that uses `engine` or `session` (directly or through another
fixture; both ask for `backend`) runs once per backend, `[sqlite]` and `[postgresql]`;
a test or module marked `@pytest.mark.backends("sqlite")` runs on the listed backends
only. App tests (tests/app, slow) run on SQLite unless marked for both. The read-only
`plan_session` is module-scoped with its own two parameters. The PostgreSQL
server (tests/pg.py) starts the first time a test needs it; without PostgreSQL's
binaries those tests are skipped, saying why.
"""

from __future__ import annotations

import atexit
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine
from sqlmodel import Session

from core import config
from core.config import PROJECT_ROOT, Settings
from core.people import accounts
from core.store.bootstrap import init_db
from core.store.db import make_engine
from tests.pg import PostgresServer, PostgresUnavailable

DATA_DIR = PROJECT_ROOT / "data"
APP_TESTS = Path(__file__).parent / "app"
BACKENDS = ("sqlite", "postgresql")
PG_SEEDED = "tracker_seeded"  # init_db'd once; each test's database is a copy of it


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", 'backends(*names): run only on these backends, e.g. backends("sqlite")'
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("backends")
        if marker:
            names = marker.args
        elif APP_TESTS in metafunc.definition.path.parents:
            names = ("sqlite",)  # AppTest runs take seconds: a marked subset runs on both
        else:
            names = BACKENDS
        metafunc.parametrize("backend", names, indirect=True)


@pytest.fixture(autouse=True)
def cheap_password_hasher(monkeypatch: pytest.MonkeyPatch) -> PasswordHasher:
    """Argon2 at its cheapest for every test (the production cost takes ~50 ms a hash).
    AppTest runs the app in this process, so the app signs in with it too."""
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(accounts, "password_hasher", hasher)
    return hasher


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The database the test runs on: "sqlite" or "postgresql" (see the docstring)."""
    return getattr(request, "param", "sqlite")


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path_factory, monkeypatch) -> Iterator[None]:
    """Point every default at a throw-away database, so no test can open the real one.
    DATABASE_URL is set as well: it would otherwise come from .streamlit/secrets.toml."""
    db_file = tmp_path_factory.mktemp("tracker") / "tracker.db"
    monkeypatch.setenv("TRACKER_SQLITE_PATH", str(db_file))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db_file}")
    monkeypatch.setenv("TRACKER_DATA_DIR", str(DATA_DIR))
    config.get_settings.cache_clear()
    yield
    config.get_settings.cache_clear()


# --- PostgreSQL -------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test session (tests/pg.py), started on first use and
    stopped at the end; `pg_server.create_database(name)` gives an empty database's URL."""
    try:
        server = PostgresServer.start()
    except PostgresUnavailable as exc:
        pytest.skip(f"PostgreSQL is not available: {exc}")
    atexit.register(server.stop)  # in case the session ends without finalizers
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def _pg_seeded_template(pg_server: PostgresServer) -> str:
    """A database that init_db seeded from data/, copied by each PostgreSQL test."""
    engine = make_engine(pg_server.create_database(PG_SEEDED))
    assert init_db(engine, Settings(tracker_data_dir=DATA_DIR)) is True
    engine.dispose()  # a template must have no open connections
    return PG_SEEDED


@pytest.fixture
def pg_seeded_copy(
    pg_server: PostgresServer, _pg_seeded_template: str
) -> Iterator[Callable[[], Engine]]:
    """Make engines on new PostgreSQL databases holding a copy of the seeded one."""
    made: list[tuple[str, Engine]] = []

    def copy() -> Engine:
        name = pg_server.unique_name()
        engine = make_engine(pg_server.create_database(name, template=_pg_seeded_template))
        made.append((name, engine))
        return engine

    yield copy
    for name, engine in made:
        engine.dispose()
        pg_server.drop_database(name)


# --- seeded databases -------------------------------------------------------------


def seeded_engine(data_dir: Path = DATA_DIR) -> Engine:
    engine = make_engine("sqlite://")
    assert init_db(engine, Settings(tracker_data_dir=data_dir)) is True
    return engine


@pytest.fixture(scope="session")
def _seeded_template() -> Iterator[Engine]:
    engine = seeded_engine()
    yield engine
    engine.dispose()


@pytest.fixture
def seeded_copy(_seeded_template: Engine) -> Iterator[Callable[[str], Engine]]:
    """Make SQLite engines holding a copy of the database init_db seeded from data/
    (seeding runs once per test run; the copy uses SQLite's backup API)."""
    made: list[Engine] = []

    def copy(url: str = "sqlite://") -> Engine:
        engine = make_engine(url)
        source, target = _seeded_template.raw_connection(), engine.raw_connection()
        try:
            source.driver_connection.backup(target.driver_connection)
        finally:
            source.close()
            target.close()
        made.append(engine)
        return engine

    yield copy
    for engine in made:
        engine.dispose()


@pytest.fixture
def engine(backend: str, request: pytest.FixtureRequest) -> Engine:
    """A fresh database, tables created and seeded by init_db from data/: in memory on
    SQLite, a copy of the seeded template on PostgreSQL."""
    if backend == "postgresql":
        return request.getfixturevalue("pg_seeded_copy")()
    return request.getfixturevalue("seeded_copy")()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


@pytest.fixture(scope="module", params=BACKENDS)
def plan_session(request: pytest.FixtureRequest) -> Iterator[Session]:
    """The seeded database shared by every test that only reads: never write to it.
    One per backend (on PostgreSQL a copy of the template, kept for the session)."""
    if request.param == "postgresql":
        engine = request.getfixturevalue("_pg_read_only_engine")
    else:
        engine = request.getfixturevalue("_seeded_template")
    with Session(engine) as session:
        yield session


@pytest.fixture(scope="session")
def _pg_read_only_engine(pg_server: PostgresServer, _pg_seeded_template: str) -> Iterator[Engine]:
    engine = make_engine(pg_server.create_database("tracker_read", template=_pg_seeded_template))
    yield engine
    engine.dispose()


@pytest.fixture
def new_engine(backend: str, request, tmp_path) -> Iterator[Callable[..., Engine]]:
    """Make engines on new, empty databases of the test's backend (or `kind`): a
    SQLite file, or a PostgreSQL database dropped afterwards."""
    made: list[tuple[Engine, Callable[[], None] | None]] = []

    def make(kind: str | None = None) -> Engine:
        if (kind or backend) == "postgresql":
            server = request.getfixturevalue("pg_server")
            name = server.unique_name("empty")
            engine = make_engine(server.create_database(name))
            made.append((engine, lambda: server.drop_database(name)))
        else:
            engine = make_engine(f"sqlite:///{tmp_path / f'db{len(made)}.sqlite'}")
            made.append((engine, None))
        return engine

    yield make
    for engine, drop in made:
        engine.dispose()
        if drop is not None:
            drop()


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A copy of data/ that the test may edit."""
    return Path(shutil.copytree(DATA_DIR, tmp_path / "data"))
