"""Measures: the numbers the plan tracks against a target, with their computed state.
The sections are panels in ui/panels/measures.py."""

import streamlit as st

from ui import components, data, filters, shell
from ui.panels import measure_values
from ui.panels import measures as panel
from ui.text import md

shell.page()

st.title("Measures")
flt = filters.current()
st.caption(f"Showing {md(filters.describe())} · today is {data.today():%B %-d, %Y}.")
items = panel.rows(flt)
if not items:
    components.empty_state(
        "No measures match these filters.",
        hint="Measures belong to outcomes, strategies and regions; widen the filters.",
    )
    st.stop()
st.markdown(f"**{panel.counts_line(items)}**")
st.caption(
    "On track, at risk and off track are computed from each measure's target, its "
    "direction, its latest value and its date (core/measures/state.py)."
)
measure_values.transfer(flt)
panel.browse(items)
