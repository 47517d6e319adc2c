"""Users (admins only): accounts, roles and leads' assignments."""

import pandas as pd
import streamlit as st
from sqlmodel import Session

from core import models
from core.people import accounts, permissions
from core.store.db import write_session
from ui import auth, data, shell

shell.page()

me = auth.actor()
st.title("Users")
try:
    permissions.require_admin(me, "manage users")
except permissions.PermissionDenied as exc:
    st.error(str(exc))
    st.stop()

if flash := st.session_state.pop("users_flash", None):
    st.success(flash, icon=":material/check_circle:")
ref = data.reference()
region_names = {r["id"]: r["name"] for r in ref["regions"]}


def act(fn, success: str) -> None:
    try:
        permissions.require_admin(auth.actor(fresh=True), "manage users")
        with write_session(data.engine()) as session:
            fn(session)
    except (accounts.AccountError, permissions.PermissionDenied) as exc:
        st.error(str(exc))
    else:
        st.session_state["users_flash"] = success
        st.rerun()


with Session(data.engine()) as session:
    users = accounts.list_users(session=session)
    rows = []
    for u in users:
        scopes = accounts.list_assignments(session=session, user=u)
        rows.append(
            {
                "username": u.username,
                "name": u.display_name,
                "email": u.email,
                "role": str(u.role),
                "active": u.active,
                "assigned to": ", ".join(
                    region_names.get(a.region_id, a.region_id) if a.region_id else a.strategy_id
                    for a in scopes
                ),
            }
        )
st.dataframe(pd.DataFrame(rows), hide_index=True)

usernames = [u.username for u in users]
left, right = st.columns(2)
with left, st.form("add_user", clear_on_submit=True):
    st.subheader("Add a user")
    username = st.text_input("Username", help="Lowercase letters, digits, . _ -")
    name = st.text_input("Display name")
    email = st.text_input("E-mail (optional; used for organisation sign-in)")
    role = st.selectbox("Role", [r.value for r in models.Role], index=1)
    password = st.text_input("Initial password (12+ characters)", type="password")
    if st.form_submit_button("Add user", type="primary"):
        act(
            lambda s: accounts.create_user(
                session=s,
                username=username,
                role=role,
                password=password,
                display_name=name,
                email=email or None,
            ),
            f"Added {username}.",
        )

with right:
    if usernames:
        st.subheader("Change a user")
        who = st.selectbox("User", usernames)
        roles = [r.value for r in models.Role]
        current_role = str(next(u.role for u in users if u.username == who))
        with st.form("change_role"):
            new_role = st.selectbox("Role", roles, index=roles.index(current_role))
            if st.form_submit_button("Set role"):
                act(
                    lambda s: accounts.set_role(
                        session=s,
                        user=accounts.require_user(session=s, username=who),
                        role=new_role,
                    ),
                    f"{who} is now {new_role}.",
                )
        with st.form("assign"):
            region = st.selectbox(
                "Assign to region", list(region_names), format_func=region_names.get
            )
            if st.form_submit_button("Assign region"):
                act(
                    lambda s: accounts.assign(
                        session=s,
                        user=accounts.require_user(session=s, username=who),
                        region_id=region,
                    ),
                    f"{who} now leads {region_names[region]}.",
                )
        if st.button("Deactivate this user", icon=":material/person_off:"):
            act(
                lambda s: accounts.deactivate_user(
                    session=s, user=accounts.require_user(session=s, username=who)
                ),
                f"{who} can no longer sign in.",
            )
