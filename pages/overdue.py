"""Overdue & due soon: what is late, sorted by how late, with the latest notes."""

import dataclasses

import pandas as pd
import streamlit as st

from core.progress.schedule import Schedule
from ui import components, data, filters, selection, shell, updates
from ui.panels import banner
from ui.text import md

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
counts = data.schedule_counts(filters.current(), soon)
COUNT_KEY = {Schedule.OVERDUE: "overdue", Schedule.DUE_SOON: "due_soon"}
st.caption(f"Showing {md(filters.describe())} · today is {data.today():%B %-d, %Y}.")
banner.report_dates(filters.current())
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
    "blocked_reason",
    "upstream",
    "last_updated",
    "last_note",
]


def load(schedules: tuple[str, ...]) -> pd.DataFrame:
    """The outcomes of these schedules, earliest due first (both "most overdue first"
    and "soonest due first"), at most TABLE_ROWS of them."""
    flt = filters.current(schedules=schedules)
    return data.outcomes(dataclasses.replace(flt, order="due", limit=components.TABLE_ROWS), soon)


# Only the rows shown are loaded, the counts come from SQL. When both sections fit in
# one table's rows, one query loads them (a page run reads the outcomes once).
together = None
if (
    len(wanted) == 2
    and sum(counts[COUNT_KEY[Schedule(s)]] for s in wanted) <= components.TABLE_ROWS
):
    together = load(wanted)


def section(schedule: Schedule, by: str, ascending: bool, title: str, empty: str, **kw) -> None:
    rows = pd.DataFrame()
    if schedule.value in wanted:
        if together is None:
            rows = load((schedule.value,))
        elif not together.empty:
            # Earliest due first, the overdue rows come before those due soon.
            rows = components.rows_where(together, "schedule", schedule.value)
    total = counts[COUNT_KEY[schedule]] if schedule.value in wanted else 0
    st.subheader(f"{title} ({total:,})", **kw)
    if rows.empty:
        components.empty_state(empty)
        return
    if total > len(rows):
        st.caption(
            f"The {len(rows):,} earliest of {total:,}; narrow with the filters to see the rest."
        )
    # Loaded earliest due first, which is already "most overdue first" and "soonest due
    # first": sorted again only when it is not (a sort takes every column).
    ordered = rows[by].is_monotonic_increasing if ascending else rows[by].is_monotonic_decreasing
    if not ordered:
        rows = rows.sort_values(by, ascending=ascending, kind="stable")
    key = filters.slug(schedule.value)

    def table() -> None:
        selected = selection.selectable_table(rows, [by, *COLUMNS], key=f"{key}_table")
        updates.bulk_controls(selected, key=key)

    components.outcome_list(rows, key=key, table=table, button=updates.form_button)


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
