"""Edit the plan (admins only): re-baseline timelines, re-date outcomes, add, edit,
retire and restore plan items, import a logic model, back up, and the change log.
Each section (kept in the URL as `?tab=`) is a panel in ui/panels/plan_editor/; every
save goes through ui/actions.py."""

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

SECTIONS = {
    "rebaseline": ("Re-baseline", rebaseline.rebaseline_tab),
    "redate": ("Re-date an outcome", redate.redate_tab),
    "edit": ("Edit", edit.edit_tab),
    "add": ("Add", add.add_tab),
    "retire": ("Retire or restore", retire.retire_tab),
    "import": ("Import", lambda: transfer.import_panel(me)),
    "changes": ("Change log", changes.change_log_tab),
    "backup": ("Backup", lambda: backup.backup_panel(me)),
}
section = common.section_picker({slug: label for slug, (label, _) in SECTIONS.items()})
SECTIONS[section][1]()
