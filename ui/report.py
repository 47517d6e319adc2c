"""The printable progress report (core.io.report), offered for download on the Overview."""

from __future__ import annotations

import streamlit as st
from sqlmodel import Session

from core.io import report
from core.progress.filters import OutcomeFilter
from ui import auth, data


def report_download(flt: OutcomeFilter) -> None:
    """A button that downloads the report for `flt`. The report is built only when the
    button is clicked (Streamlit runs `build` on its own thread, outside this script
    run, so everything it needs is read here first), and the click does not rerun the
    page."""
    engine, day = data.engine(), data.today()
    who = auth.actor()
    generated_by = who.display_name if who.signed_in else None
    members = data.members()  # signed out: published notes only

    def build() -> str:
        with Session(engine) as session:
            return report.progress_report_html(
                session, today=day, flt=flt, generated_by=generated_by, members=members
            )

    st.download_button(
        "Download progress report (HTML)",
        build,
        file_name=f"progress-report-{day.isoformat()}.html",
        mime="text/html",
        on_click="ignore",
        icon=":material/print:",
        help="A self-contained page for a leadership meeting, for the filters shown here: "
        "summary, completion per region and need, overdue and due-soon outcomes with their "
        "latest notes, and the charts. Open it in a browser and print it or save it as PDF.",
    )
