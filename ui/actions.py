"""The one action runner: every write a page makes goes through `run`; and its
companion for reads, `draw`, around every page (dashboard.py).

It opens a write transaction (committed when the action returns, rolled back when it
raises), and turns every way a write can fail into a message for people: a refusal
from core/ (any `TrackerError`: a stale form, a permission, a bad value), a database
error (SQLAlchemy), an unreachable database, and, as a last resort, an unexpected
fault, which is logged with its traceback on the server and never shown in the browser.
Nothing is written when it fails. `draw` turns a failure while a page reads and draws
into a message in the same way. A signed-out visitor is told only that the database
is unavailable (no host, port, user or file); the details go to the server's log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from core.errors import TrackerError
from core.store.db import PUBLIC_DB_ERROR, DatabaseUnavailable, describe_db_error, write_session
from ui import data
from ui.text import md

T = TypeVar("T")
log = logging.getLogger(__name__)

UNEXPECTED = (
    "Something went wrong on the server, so nothing was saved. Please try again; if it "
    "happens again, tell an administrator (the details are in the server's log)."
)
UNEXPECTED_READ = (
    "Something went wrong on the server while showing this page. Please try again; if "
    "it happens again, tell an administrator (the details are in the server's log)."
)


@dataclass(frozen=True)
class Result(Generic[T]):
    """What an action gave back, or the refusal that stopped it (its message is for
    people)."""

    value: T | None = None
    error: TrackerError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def run(action: Callable[[Session], T]) -> Result[T]:
    """Run `action(session)` in one write transaction. Never raises, except for
    Streamlit's own control flow (st.rerun, st.stop), which is not an Exception."""
    from ui import auth  # imported here: ui.auth's panels import this module

    engine = data.engine()
    try:
        # Who is acting is read first, on a connection of its own: inside the write,
        # `auth.actor(fresh=True)` takes this read instead of a second connection (a
        # writer holding SQLite's lock while it waited for a pool connection, with the
        # pool held by writers waiting for that lock, stalled a loaded server).
        with auth.read_for_write(), write_session(engine) as session:
            value = action(session)
    except TrackerError as exc:
        return Result(error=exc)
    except SQLAlchemyError as exc:
        return Result(error=DatabaseUnavailable(describe_db_error(exc, engine)))
    except Exception:
        log.exception("unexpected error in an action")
        return Result(error=TrackerError(UNEXPECTED))
    return Result(value=value)


def draw(page: Callable[[], object]) -> None:
    """Run `page` (a page's drawing); a refusal, a database error or an unexpected
    fault while it reads becomes a message where it stopped, never a traceback."""
    try:
        page()
    except TrackerError as exc:
        show(exc)
    except SQLAlchemyError as exc:
        show(DatabaseUnavailable(describe_db_error(exc, data.engine())))
    except Exception:
        log.exception("unexpected error while drawing a page")
        show(UNEXPECTED_READ)


def _signed_in() -> bool:
    # The actor this run read (ui.auth), not a new read: the database may be down.
    return bool(getattr(st.session_state.get("_actor"), "signed_in", False))


def for_reader(error: TrackerError | str) -> str:
    """`error` as this reader may see it: a database failure, to a signed-out visitor,
    only as PUBLIC_DB_ERROR (its details are logged)."""
    if isinstance(error, DatabaseUnavailable) and not _signed_in():
        log.warning("database unavailable (shown to a visitor as unavailable): %s", error)
        return PUBLIC_DB_ERROR
    return str(error)


def show(error: TrackerError | str) -> None:
    """Show a refusal where the page is drawing."""
    st.error(md(for_reader(error)), icon=":material/error:")
