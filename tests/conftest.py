"""Shared fixtures: databases seeded from the real data/, and isolation from the
developer's own database, settings and secrets."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from core import config
from core.config import PROJECT_ROOT, Settings
from core.db import init_db, make_engine

DATA_DIR = PROJECT_ROOT / "data"


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
    """Make engines holding a copy of the database init_db seeded from data/ (seeding
    runs once per test run; the copy uses SQLite's backup API)."""
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
def engine(seeded_copy) -> Engine:
    """A fresh in-memory database, tables created and seeded by init_db from data/."""
    return seeded_copy()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


@pytest.fixture(scope="module")
def plan_session(_seeded_template: Engine) -> Iterator[Session]:
    """The seeded database shared by every test that only reads: never write to it."""
    with Session(_seeded_template) as session:
        yield session


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A copy of data/ that the test may edit."""
    return Path(shutil.copytree(DATA_DIR, tmp_path / "data"))
