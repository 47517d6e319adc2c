"""Timeline: the plan as region → strategy → outcome bars inside a time window; an
agenda by month on phones. The sections are panels in ui/panels/timeline.py."""

import streamlit as st

from core import charts
from core.charts import plan_timeline
from ui import components, data, filters, shell
from ui.panels import banner
from ui.panels import timeline as panel
from ui.text import md

shell.page()

st.title("Timeline")
flt = filters.current()
total = sum(data.status_counts(flt).values())
st.caption(f"Showing {md(filters.describe())} · {total:,} outcomes.")
banner.report_dates(flt)

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
    components.chart(charts.strategy_timeline(spans, data.today()), width="stretch")
    st.stop()

every = data.timeline_rows(flt, filters.soon_days())
span = panel.window(every, data.today())
opened, all_open = panel.expanded(every[every["level"] == plan_timeline.STRATEGY])
rows = every if all_open else plan_timeline.collapsed(every, opened)
panel.chart_or_agenda(rows, every, data.today(), span)
