"""The history check for admins: core.store.chain.verify at start, and again whenever
the data stamp changes (or every ten minutes), with a warning banner when it fails.
dashboard.py calls `banner()` once per run.

The check runs in a thread of its own, one at a time per database: a run waits for it
a moment (the real plan's check takes a few milliseconds, so its result shows at once)
and otherwise goes on and shows the latest result; a check of a large history (hundreds
of milliseconds) no longer holds up the page after every save."""

from __future__ import annotations

import logging
import threading
import time

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from core.store import chain
from ui import auth, data
from ui.text import md

_LOG = logging.getLogger(__name__)
WAIT_S = 0.2  # how long a run waits for a check it started
AGAIN_S = 600  # a check older than this is run again, even with nothing saved


class Check:
    """The latest verify of one database and the stamp it was started for."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._started = 0.0
        self._thread: threading.Thread | None = None
        self.problem: str | None = None  # the latest finished check's first problem

    def latest(self, engine: Engine, stamp: tuple) -> str | None:
        """Start a check when the stamp moved (unless one is running), wait for it a
        moment, and return the latest finished check's problem (None: all is well)."""
        started = None
        with self._lock:
            stale = stamp != self._stamp or time.monotonic() - self._started > AGAIN_S
            if stale and not (self._thread and self._thread.is_alive()):
                self._stamp, self._started = stamp, time.monotonic()
                started = self._thread = threading.Thread(
                    target=self._run, args=(engine,), name="history-verify", daemon=True
                )
                started.start()
        if started is not None:  # only the run that started a check waits for it
            started.join(WAIT_S)
        return self.problem

    def _run(self, engine: Engine) -> None:
        try:
            report = chain.verify(engine)
        except SQLAlchemyError:
            self.problem = None  # the database's own errors are reported where they happen
            return
        except Exception as exc:  # a check that cannot run must still warn
            _LOG.exception("The history check could not run")
            self.problem = f"The history check could not run ({type(exc).__name__})"
            return
        self.problem = None if report.ok else report.summary()


# One check per database, shared by every session; forgotten on a restore.
@data.shared(ttl=None, max_entries=8)
def _check(url: str) -> Check:
    return Check()


def banner() -> None:
    """Warn admins when the history does not verify."""
    if not auth.is_admin():
        return
    engine = data.engine()
    problem = _check(engine.url.render_as_string(hide_password=True)).latest(engine, data.stamp())
    if problem:
        st.warning(
            f"{md(problem)}  \nStatus history or the plan change log was changed outside "
            "the app. Run `python -m core verify` for details, and compare with your "
            "latest backup.",
            icon=":material/gpp_bad:",
        )
