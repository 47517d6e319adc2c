"""Since the last meeting: what changed since a date or a saved meeting.
The sections are panels in ui/panels/since_last_meeting.py."""

import streamlit as st

from ui import data, filters, shell, updates
from ui.panels import since_last_meeting as panel
from ui.report import report_download
from ui.text import md

shell.page()

st.title("Since the last meeting")
updates.show_errors()
today = data.today()
saved = panel.saved_meetings()
window = panel.window(saved, today)
panel.picker(saved, window, today)
panel.save_form(today)
panel.remove_button(window)

flt = filters.current()
if filters.active():
    st.caption(f"Sidebar filters apply: {md(filters.describe())}.")
found = panel.changes(flt, window)
if found.empty:
    panel.nothing_changed(window, filters.active())
    st.stop()
panel.summary(found)
report_download(flt, since=window.since, key="since_report")  # with a "Since" section
panel.sections(found)
updates.render_dialog()
