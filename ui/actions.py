"""The one action runner: every write a page makes goes through `run`.

It opens a write transaction (committed when the action returns, rolled back when it
raises), and turns every way a write can fail into a message for people: a refusal
from core/ (any `TrackerError`: a stale form, a permission, a bad value), a database
error (SQLAlchemy), an unreachable database, and, as a last resort, an unexpected
fault, which is logged with its traceback on the server and never shown in the browser.
Nothing is written when it fails.
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
from core.store.db import DatabaseUnavailable, describe_db_error, write_session
from ui import data

T = TypeVar("T")
log = logging.getLogger(__name__)

UNEXPECTED = (
    "Something went wrong on the server, so nothing was saved. Please try again; if it "
    "happens again, tell an administrator (the details are in the server's log)."
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
    engine = data.engine()
    try:
        with write_session(engine) as session:
            value = action(session)
    except TrackerError as exc:
        return Result(error=exc)
    except SQLAlchemyError as exc:
        return Result(error=DatabaseUnavailable(describe_db_error(exc, engine)))
    except Exception:
        log.exception("unexpected error in an action")
        return Result(error=TrackerError(UNEXPECTED))
    return Result(value=value)


def show(error: TrackerError | str) -> None:
    """Show a refusal where the page is drawing."""
    st.error(str(error), icon=":material/error:")
