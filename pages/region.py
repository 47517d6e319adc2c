"""Region: its profile, progress, timeline, and logic model(s) laid out as in the
report. The sections are panels in ui/panels/region.py."""

import streamlit as st

from core import charts
from ui import components, data, filters, shell, updates
from ui.panels import region as panel
from ui.text import md

shell.page()

regions = {r["id"]: r for r in data.reference()["regions"]}
region_id = panel.pick_region(regions)
region = regions[region_id]
st.title(md(region["name"]))
updates.show_errors()
panel.profile(region)

flt = filters.current(regions=(region_id,))
df = data.outcomes(flt, filters.soon_days())
if filters.active():
    st.caption(f"Sidebar filters apply: {md(filters.describe())}.")
if df.empty:
    components.empty_state(
        "No outcomes of this region match the filters.",
        hint="Clear the sidebar filters to see the whole logic model.",
    )
    st.stop()

panel.headline(flt)
# Drawn only while open (opening it reruns the page): most visits never open it.
timeline = st.expander(
    "Timeline", key="region_timeline", on_change="rerun", icon=":material/view_timeline:"
)
if timeline.open:
    with timeline:
        components.chart(charts.timeline(df, data.today()), width="stretch")
panel.logic_models(region_id, df)
updates.render_dialog()
