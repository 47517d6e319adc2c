"""Overdue & due soon: what is late, sorted by how late, with the latest notes."""

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
flt = filters.current()
df = data.outcomes(flt, soon)
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

overdue = df[df["schedule"] == Schedule.OVERDUE.value] if not df.empty else df
overdue = overdue.sort_values("days_overdue", ascending=False) if not overdue.empty else overdue
st.subheader(
    f"Overdue ({len(overdue):,})", help="Past due and neither done nor dropped, most overdue first."
)
if overdue.empty:
    components.empty_state("Nothing is overdue for these filters.")
else:
    selected = updates.selectable_table(overdue, ["days_overdue", *COLUMNS], key="overdue_table")
    updates.bulk_controls(selected, key="overdue")

due_soon = df[df["schedule"] == Schedule.DUE_SOON.value] if not df.empty else df
due_soon = due_soon.sort_values("days_to_due") if not due_soon.empty else due_soon
st.subheader(f"Due in the next {soon} days ({len(due_soon):,})")
if due_soon.empty:
    components.empty_state(f"Nothing open is due in the next {soon} days for these filters.")
else:
    selected = updates.selectable_table(due_soon, ["days_to_due", *COLUMNS], key="soon_table")
    updates.bulk_controls(selected, key="soon")
updates.render_dialog()
