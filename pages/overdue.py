"""Overdue & due soon: what is late, sorted by how late, with the latest notes."""

import pandas as pd
import streamlit as st

from core.progress import Schedule
from ui import components, data, filters, shell, updates

shell.page()

st.title("Overdue & due soon")
st.segmented_control(
    "Due-soon window",
    filters.SOON_CHOICES,
    key="f_soon",
    format_func=lambda d: f"{d} days",
    help="How far ahead 'due soon' looks. Kept in the link.",
    required=True,
)
filters.sync_url()
soon = filters.soon_days()
late = (Schedule.OVERDUE.value, Schedule.DUE_SOON.value)
chosen = filters.current().schedules
# Only what this page lists is loaded; a sidebar schedule filter narrows it further.
wanted = tuple(s for s in late if not chosen or s in chosen)
df = data.outcomes(filters.current(schedules=wanted), soon) if wanted else pd.DataFrame()
st.caption(f"Showing {filters.describe()} · today is {data.today():%B %-d, %Y}.")
updates.show_errors()

COLUMNS = [
    "region",
    "need",
    "strategy",
    "term",
    "number",
    "text",
    "due_date",
    "date_as_written",
    "status",
    "upstream",
    "last_updated",
    "last_note",
]


def section(schedule: Schedule, by: str, ascending: bool, title: str, empty: str, **kw) -> None:
    rows = df[df["schedule"] == schedule.value] if not df.empty else df
    st.subheader(f"{title} ({len(rows):,})", **kw)
    if rows.empty:
        components.empty_state(empty)
        return
    rows = rows.sort_values(by, ascending=ascending)
    key = filters.slug(schedule.value)
    selected = updates.selectable_table(rows, [by, *COLUMNS], key=f"{key}_table")
    updates.bulk_controls(selected, key=key)


section(
    Schedule.OVERDUE,
    "days_overdue",
    False,
    "Overdue",
    "Nothing is overdue for these filters.",
    help="Past due and neither done nor dropped, most overdue first.",
)
section(
    Schedule.DUE_SOON,
    "days_to_due",
    True,
    f"Due in the next {soon} days",
    f"Nothing open is due in the next {soon} days for these filters.",
)
updates.render_dialog()
