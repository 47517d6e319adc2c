"""The Users page's panels (admins only): the table of accounts with their roles and
assignments, the form that adds a user, and the forms that change one; every change
goes through the action runner (ui/actions.py)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st
from sqlmodel import Session, col, select

from core import models
from core.clock import utcnow
from core.io import digest
from core.people import accounts, permissions, sessions
from ui import actions, auth, data
from ui.text import md

FLASH = "users_flash"


def show_flash() -> None:
    if flash := st.session_state.pop(FLASH, None):
        st.success(md(flash), icon=":material/check_circle:")


def _region_names() -> dict[str, str]:
    return {r["id"]: r["name"] for r in data.reference()["regions"]}


def _act(change: Callable[[Session], object], success: str) -> None:
    """Make a change as an admin (checked again, as they are now in the database), then
    rerun with `success`; a refusal, a database error included, is shown instead."""

    def action(session: Session) -> None:
        permissions.require_admin(auth.actor(fresh=True), "manage users")
        change(session)

    result = actions.run(action)
    if result.error is not None:
        actions.show(result.error)
        return
    st.session_state[FLASH] = success
    st.rerun()


def users_table() -> list[models.User]:
    """Every account, with what each lead is assigned to; returns the users."""
    regions = _region_names()
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
                        regions.get(a.region_id, a.region_id)
                        if a.region_id
                        else a.strategy_id or ""
                        for a in scopes
                    ),
                }
            )
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    return users


def add_user_form() -> None:
    with st.form("add_user", clear_on_submit=True):
        st.subheader("Add a user")
        username = st.text_input("Username", help="Lowercase letters, digits, . _ -")
        name = st.text_input("Display name")
        email = st.text_input("E-mail (optional; used for organisation sign-in)")
        role = st.selectbox("Role", [r.value for r in models.Role], index=1)
        password = st.text_input("Initial password (12+ characters)", type="password")
        if st.form_submit_button("Add user", type="primary"):
            _act(
                lambda s: accounts.create_user(
                    session=s,
                    username=username,
                    role=role or "",
                    password=password,
                    display_name=name,
                    email=email or None,
                ),
                f"Added {username}.",
            )


def change_user_forms(users: list[models.User]) -> None:
    """Pick a user, then set their role, assign them a region, or deactivate them."""
    usernames = [u.username for u in users]
    if not usernames:
        return
    st.subheader("Change a user")
    who = st.selectbox("User", usernames)
    roles = [r.value for r in models.Role]
    current_role = str(next(u.role for u in users if u.username == who))
    with st.form("change_role"):
        new_role = st.selectbox("Role", roles, index=roles.index(current_role))
        if st.form_submit_button("Set role"):
            _act(
                lambda s: accounts.set_role(
                    session=s,
                    user=accounts.require_user(session=s, username=who or ""),
                    role=new_role or "",
                ),
                f"{who} is now {new_role}.",
            )
    regions = _region_names()
    with st.form("assign"):
        region = st.selectbox("Assign to region", list(regions), format_func=regions.__getitem__)
        if st.form_submit_button("Assign region"):
            _act(
                lambda s: accounts.assign(
                    session=s,
                    user=accounts.require_user(session=s, username=who or ""),
                    region_id=region,
                ),
                f"{who} now leads {regions[region or '']}.",
            )
    organisation_form(who or "", next(u.organisation_id for u in users if u.username == who))
    if st.button("Deactivate this user", icon=":material/person_off:"):
        _act(
            lambda s: accounts.deactivate_user(
                session=s, user=accounts.require_user(session=s, username=who or "")
            ),
            f"{who} can no longer sign in.",
        )
    sessions_list(who or "")


def organisation_form(username: str, current: str | None) -> None:
    """Which organisation `username` belongs to: what they write carries it."""
    with Session(data.engine()) as session:
        active = session.exec(
            select(models.Organisation.id, models.Organisation.name)
            .where(models.Organisation.retired == False)  # noqa: E712
            .order_by(col(models.Organisation.name))
        ).all()
    labels = {"": "(none)"} | dict(active)
    with st.form("set_organisation"):
        org = st.selectbox(
            "Organisation",
            list(labels),
            index=list(labels).index(current) if current in labels else 0,
            format_func=labels.__getitem__,
        )
        if st.form_submit_button("Set organisation"):
            _act(
                lambda s: accounts.set_organisation(
                    session=s,
                    user=accounts.require_user(session=s, username=username),
                    organisation_id=org or None,
                ),
                f"{username} now belongs to {labels[org or '']}.",
            )


def _when(value: object) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if hasattr(value, "strftime") else ""


def sessions_list(username: str) -> None:
    """The browsers `username` is signed in on (README "Staying signed in"), each with
    an End button; a password, role or activation change ends them all."""
    with Session(data.engine()) as session:
        user = accounts.get_user_by_username(session=session, username=username)
        rows = sessions.list_sessions(session=session, user=user) if user else []
    st.subheader("Signed-in browsers")
    if not rows:
        st.caption(f"{md(username)} is not signed in on any browser.")
        return
    for row in rows:
        left, right = st.columns([5, 1], vertical_alignment="center")
        left.text(
            f"{row.user_agent or 'unknown browser'}\n"
            f"signed in {_when(row.created_at)} · last seen {_when(row.last_seen_at)} · "
            f"expires {_when(row.expires_at)}"
        )
        if right.button("End", key=f"end_session_{row.id}", icon=":material/logout:"):
            _act(_ender(username, row.id or 0), f"Ended a session of {username}.")


def _ender(username: str, session_id: int) -> Callable[[Session], object]:
    def end(session: Session) -> bool:
        user = accounts.require_user(session=session, username=username)
        return sessions.end_session_by_id(session=session, user=user, session_id=session_id)

    return end


def send_digests_button() -> None:
    """Send the e-mail digests that are due now, as `python -m core digest` does."""
    st.subheader("E-mail digests")
    st.caption(
        "Each lead's digest of what needs them is sent weekly or daily as they chose, "
        "never twice in a week or day (README: Reminders by e-mail)."
    )
    if not st.button("Send digests now", icon=":material/forward_to_inbox:"):
        return

    def send(session: Session) -> digest.DigestRun:
        me = auth.actor(fresh=True)
        return digest.send_digests(session=session, actor=me, now=utcnow(), today=data.today())

    result = actions.run(send)
    if result.error is not None or result.value is None:
        actions.show(result.error or "Nothing was sent.")
        return
    run = result.value
    st.session_state[FLASH] = (
        f"Sent {len(run.sent)} digest{'s' if len(run.sent) != 1 else ''}; "
        f"{run.nothing_due} with nothing due."
    )
    for sent_to, reason in run.failed:
        st.error(md(f"Not sent to {sent_to.recipient}: {reason}"), icon=":material/error:")
    if not run.failed:
        st.rerun()
