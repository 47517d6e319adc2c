"""Evaluation (the plan's Appendix A): whether the tool helps regions act and collaborate.
The sections are panels in ui/panels/evaluation.py."""

import streamlit as st

from ui import filters, shell
from ui.panels import evaluation

shell.page()

st.title("Evaluation")
regions = filters.current().regions
evaluation.explain()
evaluation.scope_caption(regions)
current = evaluation.region_table(regions)
period = evaluation.period_choice()
series = evaluation.trends(period, regions)
evaluation.downloads(current, series, period)
