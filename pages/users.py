"""Users (admins only): accounts, roles and leads' assignments. The table and the
forms are panels in ui/panels/users.py; every change goes through ui/actions.py."""

import streamlit as st

from core.people import permissions
from ui import auth, shell
from ui.panels import users
from ui.text import md

shell.page()

me = auth.actor()
st.title("Users")
try:
    permissions.require_admin(me, "manage users")
except permissions.PermissionDenied as exc:
    st.error(md(exc))
    st.stop()

users.show_flash()
everyone = users.users_table()
left, right = st.columns(2)
with left:
    users.add_user_form()
with right:
    users.change_user_forms(everyone)
users.send_digests_button()
