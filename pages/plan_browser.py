"""Plan browser: every outcome, filterable and searchable, plus Appendix A."""

import dataclasses

import streamlit as st

from ui import components, data, filters, selection, shell, transfer, updates
from ui.text import md

shell.page()

st.title("Plan browser")
flt = filters.current()
total = sum(data.status_counts(flt).values())
# A very large plan is listed in pages of the report's order, not all at once.
df = data.outcomes(dataclasses.replace(flt, limit=components.TABLE_ROWS), filters.soon_days())
shown = (
    f"the first {len(df):,} of {total:,} outcomes in the report's order (narrow with the "
    "filters, or download them all)"
    if total > len(df)
    else f"{total:,} outcomes"
)
st.caption(f"Showing {md(filters.describe())} · {shown}. Filters are in the sidebar.")
transfer.export_buttons(flt, total)
updates.show_errors()

COLUMNS = [
    "region",
    "need",
    "strategy",
    "term",
    "number",
    "text",
    "date_as_written",
    "due_date",
    "slip_days",
    "redate_count",
    "date_basis",
    "status",
    "blocked_reason",
    "schedule",
    "days_overdue",
    "upstream",
    "flags",
    "freshness_days",
    "last_note",
]
if df.empty:
    components.empty_state(
        "No outcomes match these filters.", hint="Widen or clear the filters in the sidebar."
    )
else:

    def table() -> None:
        selected = selection.selectable_table(df, COLUMNS, key="browser_table")
        updates.bulk_controls(selected, key="browser")

    components.outcome_list(df, key="browser", table=table, button=updates.form_button)
updates.render_dialog()

ref = data.reference()
st.header("Appendix A: the research agenda", divider="gray")
st.caption("The report's suggestions for future research and what providers asked for.")
left, right = st.columns(2)
# Each list one element (one list to a screen reader, not one list per item).
with left:
    st.subheader("Future research")
    st.markdown("\n".join(f"- {md(item)}" for item in ref["appendix"].get("future_research", [])))
with right:
    st.subheader("Provider suggestions")
    suggestions = ref["appendix"].get("provider_suggestions", [])
    st.markdown("\n".join(f"- {md(item)}" for item in suggestions))
