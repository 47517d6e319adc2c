"""Edit the plan (admins only): re-baseline timelines, re-date outcomes, add, edit,
retire and restore plan items, import a logic model, back up, and the change log.
Each tab is a panel in ui/panels/plan_editor/; every save goes through ui/actions.py."""

import streamlit as st

from core.people import permissions
from ui import auth, backup, shell, transfer
from ui.panels.plan_editor import add, changes, common, edit, rebaseline, redate, retire
from ui.text import md

shell.page()

me = auth.actor()
st.title("Edit the plan")
try:
    permissions.require_admin(me, "edit the plan")
except permissions.PermissionDenied as exc:
    st.error(md(exc))
    st.stop()

st.caption(
    "The report calls its timelines guidance, to be moved to each community's real start date, "
    "and its logic models living documents. Every change here is kept in the change log: who, "
    "when, what it was before and after, and why. Retired items leave the views and completion "
    "rates but keep their history, and can be restored."
)
common.show_flash()

tabs = st.tabs(
    [
        "Re-baseline",
        "Re-date an outcome",
        "Edit",
        "Add",
        "Retire or restore",
        "Import",
        "Change log",
        "Backup",
    ]
)
with tabs[0]:
    rebaseline.rebaseline_tab()
with tabs[1]:
    redate.redate_tab()
with tabs[2]:
    edit.edit_tab()
with tabs[3]:
    add.add_tab()
with tabs[4]:
    retire.retire_tab()
with tabs[5]:
    transfer.import_panel(me)
with tabs[6]:
    changes.change_log_tab()
with tabs[7]:
    backup.backup_panel(me)
