"""The history check for admins: core.store.chain.verify at start, and again whenever
the data stamp changes (or every ten minutes), with a warning banner when it fails.
dashboard.py calls `banner()` once per run."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from core.store import chain
from ui import auth, data
from ui.text import md


@st.cache_data(ttl=600, show_spinner=False, max_entries=8)
def _problem(_engine: Engine, url: str, stamp: tuple) -> str | None:
    """The first problem verify finds (None: all is well); cached per database and
    data stamp, so a run costs one verify per change, not one per page."""
    try:
        report = chain.verify(_engine)
    except SQLAlchemyError:
        return None  # the database's own errors are reported where they happen
    return None if report.ok else report.summary()


def banner() -> None:
    """Warn admins when the history does not verify."""
    if not auth.is_admin():
        return
    engine = data.engine()
    problem = _problem(engine, engine.url.render_as_string(hide_password=True), data.stamp())
    if problem:
        st.warning(
            f"{md(problem)}  \nStatus history or the plan change log was changed outside "
            "the app. Run `python -m core verify` for details, and compare with your "
            "latest backup.",
            icon=":material/gpp_bad:",
        )
