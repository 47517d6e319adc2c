"""Overview: where the plan stands statewide, per region and per need. The sections
are panels in ui/panels/overview.py."""

import streamlit as st

from core.models import Status
from ui import components, data, filters, shell
from ui.panels import banner, overview
from ui.report import report_download
from ui.text import md

shell.page()

st.title("Statewide progress")
flt = filters.current()
soon = filters.soon_days()
st.caption(f"Showing {md(filters.describe())} · today is {data.today():%B %-d, %Y}.")
report_download(flt)  # the printable report for these filters (ui/report.py)
banner.report_dates(flt)
overview.how_to_read()

total = data.overall(flt)
if not total["total"]:
    components.empty_state(
        "No outcomes match these filters.",
        hint="Widen or clear the filters in the sidebar.",
    )
    st.stop()

status = data.status_counts(flt)
overview.headline(total, data.schedule_counts(flt, soon), soon)
overview.status_chart(status)
overview.completion_charts(flt)
overview.progress_against_plan(flt)
hist = overview.activity(flt)
overview.latest_updates(hist)
if status.get(Status.DONE.value, 0) == 0 and hist.empty:
    st.caption("Every outcome starts as “Not started”: the plan is ready for its first update.")
