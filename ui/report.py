"""The printable progress report (core.io.report), offered for download on the Overview."""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st
from sqlmodel import Session

from core.io import report
from core.plan.fields import EARLIEST
from core.progress.filters import OutcomeFilter
from ui import auth, data


def report_download(flt: OutcomeFilter, *, since: date | None = None, key: str = "report") -> None:
    """A button that downloads the report for `flt`. The report is built only when the
    button is clicked (Streamlit runs `build` on its own thread, outside this script
    run, so everything it needs is read here first), and the click does not rerun the
    page. With `since` (the Since the last meeting page's window), or when the reader
    asks for it here, the report adds a "Since <date>" section."""
    engine, day = data.engine(), data.today()
    if since is None:
        since = _since_choice(day, key)
    who = auth.actor()
    generated_by = who.display_name if who.signed_in else None
    members = data.members()  # signed out: published notes only

    def build() -> str:
        with Session(engine) as session:
            return report.progress_report_html(
                session,
                today=day,
                flt=flt,
                generated_by=generated_by,
                members=members,
                since=since,
            )

    st.download_button(
        "Download progress report (HTML)",
        build,
        key=f"{key}_download",
        file_name=f"progress-report-{day.isoformat()}.html",
        mime="text/html",
        on_click="ignore",
        icon=":material/print:",
        help="A self-contained page for a leadership meeting, for the filters shown here: "
        "summary, completion per region and need, overdue and due-soon outcomes with their "
        "latest notes, and the charts. Open it in a browser and print it or save it as PDF.",
    )


def _since_choice(today: date, key: str) -> date | None:
    """The reader's since-date for the report's "Since <date>" section, or None."""
    if not st.toggle(
        "Add what changed since a date",
        key=f"{key}_since_on",
        help="A section listing outcomes done, blocked and re-dated, comments and values "
        "recorded since that date (the Since the last meeting page).",
    ):
        return None
    picked = st.date_input(
        "Changes since",
        value=today - timedelta(days=14),
        min_value=EARLIEST,
        max_value=today,
        format="MM/DD/YYYY",
        key=f"{key}_since",
    )
    return picked if isinstance(picked, date) else None
