"""The history check for admins: core.store.chain.verify at start and every ten
minutes; whenever the data stamp changes in between, only what was added since the
last check (`chain.verify_since`: some milliseconds, where the whole check of a large
history takes hundreds). A warning banner when it fails; a problem found stays shown
until the next whole check. dashboard.py calls `banner()` once per run.

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
AGAIN_S = 600  # a whole check older than this is run again, even with nothing saved


class Check:
    """The latest verify of one database and the stamp it was started for."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._started = 0.0  # when the latest whole check started (monotonic)
        self._thread: threading.Thread | None = None
        self._verified: chain.VerifyReport | None = None  # the latest check, when it passed
        self.problem: str | None = None  # the latest finished check's first problem

    def latest(self, engine: Engine, stamp: tuple) -> str | None:
        """Start a check when the stamp moved (unless one is running), wait for it a
        moment, and return the latest finished check's problem (None: all is well)."""
        started = None
        with self._lock:
            whole = time.monotonic() - self._started > AGAIN_S
            # After a problem, only a whole check can tell more: a save does not mend it.
            moved = stamp != self._stamp and (self._verified is not None or self._stamp is None)
            if (whole or moved) and not (self._thread and self._thread.is_alive()):
                since = None if whole else self._verified
                if since is None:
                    self._started = time.monotonic()
                self._stamp = stamp
                started = self._thread = threading.Thread(
                    target=self._run, args=(engine, since), name="history-verify", daemon=True
                )
                started.start()
        if started is not None:  # only the run that started a check waits for it
            started.join(WAIT_S)
        return self.problem

    def _run(self, engine: Engine, since: chain.VerifyReport | None) -> None:
        try:
            report = chain.verify(engine) if since is None else chain.verify_since(engine, since)
        except SQLAlchemyError:
            # The database's own errors are reported where they happen; check whole next.
            self._verified, self.problem = None, None
            self._started = 0.0
            return
        except Exception as exc:  # a check that cannot run must still warn
            _LOG.exception("The history check could not run")
            self._verified = None
            self.problem = f"The history check could not run ({type(exc).__name__})"
            return
        self._verified = report if report.ok else None
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
