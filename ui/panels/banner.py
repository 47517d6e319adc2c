"""The first-visit banner of Overview, Timeline and Overdue: while any logic model still
runs on the report's 2019 dates, how many outcomes do, what that means, how many of the
overdue are overdue on those dates, and (for admins) where to re-baseline."""

from __future__ import annotations

import streamlit as st

from core.progress import baseline
from core.progress.filters import OutcomeFilter
from ui import auth, data

EDITOR = "pages/plan_editor.py"


def text(counts: baseline.ReportDates) -> str:
    """The banner's words (markdown: numbers and dates only, nothing typed by people)."""
    total = counts.on_report + counts.rebaselined
    start = f" ({counts.report_start:%B %-d, %Y})" if counts.report_start else ""
    models = counts.logic_models_on_report
    words = (
        f"**{counts.on_report:,} of {total:,} outcomes still run on the report's dates**: "
        f"{models} logic model{'s' if models != 1 else ''} still start{'s' if models == 1 else ''} "
        f"on the report's start{start}, not yet moved to the region's real start. The report "
        "meant its 2020–2022 dates as guidance, so these outcomes read as overdue although "
        "nobody is late: read them as the plan's intended order and spacing."
    )
    overdue = counts.overdue_on_report + counts.overdue_rebaselined
    if overdue:
        words += (
            f"\n\nOf the {overdue:,} overdue, **{counts.overdue_on_report:,} are overdue on "
            f"the report's dates** and {counts.overdue_rebaselined:,} on re-baselined dates."
        )
    return words


def report_dates(flt: OutcomeFilter) -> None:
    """The banner, when any outcome of the filter still runs on the report's dates."""
    counts = data.report_dates(flt)  # sums of the page's counts scan
    if not counts.any_on_report:
        return
    with st.container(border=True, key="report_dates_banner"):
        st.markdown(f":material/event_note: {text(counts)}")
        if auth.is_admin():
            st.page_link(
                EDITOR,
                label="Re-baseline a logic model or a region under Edit the plan",
                icon=":material/edit_calendar:",
            )
