"""No traceback reaches the browser: a search too long for the database is shortened
with a notice, a database error while a page reads becomes a message, and a
signed-out visitor is never told the database's host, port, user or file."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from core.models import Role
from core.people.permissions import Actor
from core.progress import counts
from core.progress.filters import SEARCH_MAX_WORDS
from core.store.db import PUBLIC_DB_ERROR
from ui.actions import UNEXPECTED_READ

from .conftest import by_label, point_settings_at, texts

MEMBER = Actor(user_id=1, username="ada", display_name="Ada", role=Role.ADMIN)
WORDS = " ".join(f"word{i}" for i in range(1_000))


def test_a_thousand_word_search_in_the_link_is_shortened_with_a_notice(
    db_file: Path, new_app
) -> None:
    at = new_app()
    at.query_params["q"] = WORDS
    at.run()

    assert not at.exception, [e.message[:300] for e in at.exception]
    assert not at.error, texts(at.error)
    kept = " ".join(WORDS.split()[:SEARCH_MAX_WORDS])
    assert at.session_state["f_q"] == kept
    assert at.query_params["q"] == kept  # the link now says what is searched
    assert any(f"Only the first {SEARCH_MAX_WORDS} words" in w for w in texts(at.sidebar.warning))
    assert "No outcomes match these filters." in texts(at.info)


def test_a_long_typed_search_is_shortened_with_a_notice(db_file: Path, new_app) -> None:
    at = new_app().run()
    by_label(at.sidebar.text_input, "Search text").set_value("housing " * 20).run()

    assert not at.exception, [e.message[:300] for e in at.exception]
    assert any(f"Only the first {SEARCH_MAX_WORDS} words" in w for w in texts(at.sidebar.warning))
    by_label(at.sidebar.text_input, "Search text").set_value("housing").run()
    assert not at.sidebar.warning


def _failing_read(*_args, **_kwargs):
    raise OperationalError("SELECT ...", {}, Exception("disk I/O error"))


@pytest.mark.parametrize(
    ("state", "shown"),
    [
        pytest.param({}, PUBLIC_DB_ERROR, id="signed-out"),
        pytest.param({"user_id": 1}, "could not be used: disk I/O error", id="signed-in"),
    ],
)
def test_a_database_error_while_reading_is_a_message(
    db_file: Path, new_app, monkeypatch, state: dict, shown: str
) -> None:
    at = new_app()
    at.run()
    if state:
        at.session_state["_actor"] = MEMBER  # as ui.auth keeps it: no account needed
        monkeypatch.setattr("ui.auth._load_actor", lambda: MEMBER)
    monkeypatch.setattr(counts, "tally", _failing_read)  # the counts every page reads
    at.query_params["q"] = "shelter"  # a read the cache has not answered yet
    at.session_state["f_q"] = "shelter"
    at.run()

    assert not at.exception, [e.message[:300] for e in at.exception]
    errors = texts(at.error)
    assert len(errors) == 1 and shown in errors[0].replace("\\", "")
    if not state:
        assert str(db_file) not in errors[0] and "sqlite" not in errors[0]
    assert any("Human Trafficking Hotline" in c for c in texts(at.markdown)), "footer missing"


def test_an_unexpected_fault_while_reading_is_a_message(db_file: Path, new_app, monkeypatch):
    def broken(*_args, **_kwargs):
        raise KeyError("secret internals")

    at = new_app().run()
    monkeypatch.setattr(counts, "tally", broken)
    at.session_state["f_q"] = "shelter"
    at.run()

    assert not at.exception, [e.message[:300] for e in at.exception]
    assert [e.replace("\\", "") for e in texts(at.error)] == [UNEXPECTED_READ]


def test_unreachable_postgresql_tells_a_visitor_only_that_it_is_unavailable(
    tmp_path: Path, monkeypatch, new_app
) -> None:
    with socket.socket() as sock:  # a loopback port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql+psycopg://tracker_user:s3cret@127.0.0.1:{port}/tracker_db"
    point_settings_at(monkeypatch, tmp_path / "unused.db", url)
    at = new_app().run()

    assert not at.exception, [e.message for e in at.exception]
    assert texts(at.error) == [PUBLIC_DB_ERROR]
