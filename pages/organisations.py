"""Organisations (admins only): add, rename, merge and retire the plan's organisations,
and link strategies' resource items to them. The table and the forms are panels in
ui/panels/organisations.py; every change goes through ui/actions.py."""

import streamlit as st

from core.people import permissions
from ui import auth, shell
from ui.panels import organisations
from ui.text import md

shell.page()

me = auth.actor()
st.title("Organisations")
try:
    permissions.require_admin(me, "curate organisations")
except permissions.PermissionDenied as exc:
    st.error(md(exc))
    st.stop()

organisations.show_flash()
table = organisations.organisations()
organisations.organisations_table(table)
organisations.add_form()
if (chosen := organisations.pick(table)) is not None:
    row = table.set_index("id").loc[chosen]
    left, right = st.columns(2)
    with left:
        organisations.edit_form(chosen)
        organisations.names_form(chosen, row["names"].split("; ") if row["names"] else [])
    with right:
        organisations.merge_form(chosen, table)
        organisations.retire_form(chosen, not bool(row["active"]))
        organisations.link_form(chosen)
organisations.change_log()
