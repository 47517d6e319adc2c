"""Timeline: a Gantt chart of the filtered outcomes, region → strategy → term."""

import streamlit as st

from core import charts
from ui import components, data, filters, shell
from ui.text import md

shell.page()

st.title("Timeline")
flt = filters.current()
total = sum(data.status_counts(flt).values())
st.caption(f"Showing {md(filters.describe())} · {total:,} outcomes.")

if not total:
    components.empty_state(
        "No outcomes match these filters.", hint="Widen or clear the filters in the sidebar."
    )
    st.stop()

if total > charts.AGGREGATE_THRESHOLD:
    st.info(
        f"{total:,} outcomes are too many to draw one by one: each bar is a strategy, "
        "coloured by its share done. Filter by region or need to see single outcomes.",
        icon=":material/stacked_bar_chart:",
    )
    # Aggregated in SQL: the outcomes themselves are never loaded.
    spans = charts.strategy_span_frame(data.strategy_spans(flt))
    components.altair_chart(charts.strategy_timeline(spans, data.today()), width="stretch")
else:
    df = data.outcomes(flt, filters.soon_days())
    components.altair_chart(charts.timeline(df, data.today()), width="stretch")
st.caption(
    "Each bar runs from an outcome's start (the latest due date of the previous term in its "
    "strategy, else its logic model's start) to its due date. Click a legend entry to show one "
    "status; click a bar to pick out its strategy. Hatched, faded bars have a corrected or "
    "inferred date: hover for the date as the report wrote it. A black tick marks the report's "
    "own date where an outcome has been re-baselined or re-dated (hover for its slip). The red "
    "rule is today."
)
with st.expander("Why so much is overdue", icon=":material/info:"):
    st.markdown(
        "The report's dates (2020–2022) are guidance, meant to be moved to each community's real "
        "start date. Until a region re-baselines its plan, outcomes keep the report's dates, so "
        "many read as overdue: treat the chart as the plan's intended sequence and spacing. "
        "Admins re-baseline a logic model or a whole region under **Edit the plan**; every due "
        "date then moves by the same offset, and the report's dates stay as the baseline."
    )
