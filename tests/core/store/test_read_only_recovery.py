"""A SQLite connection that went read-only (the file was made immutable or read-only
for a moment, and a connection was opened meanwhile) is dropped from the pool at its
first refused write, so saves work again without restarting the app."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from core.config import PROJECT_ROOT
from core.store.db import describe_db_error, make_engine, write_session


def save(engine: Engine, value: str) -> None:
    with write_session(engine) as session:
        session.execute(text("INSERT INTO note VALUES (:v)"), {"v": value})


def notes(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.exec_driver_sql("SELECT x FROM note ORDER BY x").scalars())


@pytest.fixture
def file_engine(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    with write_session(engine) as session:
        session.execute(text("CREATE TABLE note (x TEXT)"))
    yield engine
    engine.dispose()


def test_save_works_again_after_a_pooled_connection_went_read_only(file_engine: Engine) -> None:
    # The pool's one connection refuses writes from now on, as a connection SQLite
    # opened read-only while the file could not be written (root ignores chmod).
    with file_engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA query_only=ON")

    with pytest.raises(OperationalError) as refused:
        save(file_engine, "a")
    assert "is read-only, so nothing can be saved" in describe_db_error(refused.value, file_engine)

    save(file_engine, "b")
    save(file_engine, "c")
    assert notes(file_engine) == ["b", "c"]


def test_other_errors_keep_the_connection(file_engine: Engine) -> None:
    with file_engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA query_only=ON")  # marks the pooled connection
    with pytest.raises(OperationalError, match="no such table"):
        with file_engine.connect() as conn:
            conn.exec_driver_sql("SELECT * FROM missing_table")
    with file_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA query_only").scalar() == 1  # the same one


# Run as root without the capability to override file permissions, so chmod counts.
DROP_CAPABILITIES = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]
SCRIPT = """
import os, sys
from sqlalchemy import text
from core.store.db import make_engine, write_session
path = sys.argv[1]
engine = make_engine(f"sqlite:///{path}")
def save(v):
    try:
        with write_session(engine) as s:
            s.execute(text("INSERT INTO note VALUES (:v)"), {"v": v})
        return "saved"
    except Exception as exc:
        return "refused" if "readonly" in str(exc) else repr(exc)
with write_session(engine) as s:
    s.execute(text("CREATE TABLE note (x TEXT)"))
engine.dispose()
os.chmod(path, 0o444)
first = save("a")
for name in os.listdir(os.path.dirname(path)):
    os.chmod(os.path.join(os.path.dirname(path), name), 0o644)
print(first, save("b"), save("c"))
"""


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and setpriv to drop the capability that ignores file permissions",
)
def test_save_works_again_after_the_file_was_read_only(tmp_path: Path) -> None:
    result = subprocess.run(
        [*DROP_CAPABILITIES, sys.executable, "-c", SCRIPT, str(tmp_path / "tracker.db")],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["refused", "saved", "saved"]
