"""Partners: the plan's organisations, who works on what, and whether collaboration grows.
The sections are panels in ui/panels/partners.py."""

import streamlit as st

from ui import components, shell
from ui.panels import partners as panel

shell.page()

st.title("Partners")
st.caption(
    "The organisations the plan's strategies name in their Resources: what each works on, "
    "who works together, and how many take part each month."
)
if panel.organisations().empty:
    components.empty_state(
        "No organisations are recorded yet.",
        hint="An admin adds them on the Organisations page.",
    )
    st.stop()

if (organisation_id := panel.pick_organisation()) is not None:
    panel.organisation(organisation_id)
else:
    st.caption("Choose an organisation to see its strategies, outcomes and activity.")
panel.collaboration()
panel.contributing()
