"""My work: what needs the signed-in lead now, their outcomes grouped as
core/progress/my_work.py says. The sections are panels in ui/panels/my_work.py."""

import streamlit as st

from ui import shell, updates
from ui.panels import my_work

shell.page()

st.title("My work")
updates.show_errors()
my_work.draw()
updates.render_dialog()
