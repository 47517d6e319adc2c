"""Backup and restore for admins: download the whole database as one JSON file, or
restore one. core.backup builds, checks and restores the file (and checks that the
actor is an admin); this module only puts it behind widgets. A page calls
`backup_panel(actor)`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from core.models import User
from core.people import permissions
from core.people.permissions import ANONYMOUS_VIEWER, Actor, PermissionDenied
from core.store import backup, backup_checks
from core.store.db import DatabaseUnavailable, describe_db_error
from ui import auth, data
from ui.text import md

CONFIRM_WORD = "REPLACE"
SENSITIVE = (
    "The file holds everything: the plan, every status and plan change with its history, "
    "and the user accounts with their password hashes. Keep it as safe as the database."
)


def _actor_now(engine: Engine, user_id: int | None, username: str) -> Actor:
    """Who `user_id` is in the database now: an admin demoted or deactivated since
    the page was drawn is an admin no more (a restored database's other person with
    this id is nobody)."""
    with Session(engine) as session:
        user = session.get(User, user_id) if user_id is not None else None
        if user is None or user.username != username:
            return ANONYMOUS_VIEWER
        return permissions.actor_for(session, user)


def _later(actor: Actor) -> Callable[[], bytes]:
    """The backup, made only when the button is clicked, for the account as it is
    then. Streamlit runs it on another thread, outside this session (so no
    auth.actor()): it gets the engine and the account's id now, and its role then."""
    engine = data.engine()
    user_id, username = actor.user_id, actor.username
    return lambda: backup.backup_for(_actor_now(engine, user_id, username), engine)


def _key_notice() -> None:
    """Say when backups cannot be signed, and what to set."""
    try:
        key = backup_checks.configured_key()
    except backup.BackupError as exc:
        st.error(md(exc), icon=":material/key_off:")
        return
    if key is None:
        st.warning(
            "No backup key is set (TRACKER_BACKUP_KEY), so backups are unsigned: this app "
            "will not restore them, and the command line only with --trust-unsigned. Set "
            "the key in the environment or .streamlit/secrets.toml (README, Security).",
            icon=":material/key_off:",
        )


@st.cache_data(max_entries=2, show_spinner="Checking the backup…")
def _check(payload: bytes, name: str) -> dict:
    """The uploaded file's header once the whole file passed the checks (raises
    BackupError otherwise)."""
    content = backup.loads(payload, name=name)
    backup.validate(content)
    return {k: content.get(k) for k in ("created_at", "revision", "app_version", "row_counts")}


def _restore(actor: Actor, payload: bytes, name: str, replace: bool, key: str, n: int) -> None:
    engine = data.engine()
    try:
        report = backup.restore_for(
            auth.actor(fresh=True), engine, payload, replace=replace, name=name
        )
    except (backup.BackupError, PermissionDenied, DatabaseUnavailable) as exc:
        st.session_state[f"{key}_result"] = ("error", md(exc))
        return
    except SQLAlchemyError as exc:
        st.session_state[f"{key}_result"] = ("error", md(describe_db_error(exc, engine)))
        return
    data.forget_cached()  # every cached view held the old database
    message = report.summary()
    with Session(engine) as session:  # is this session's account still the same person?
        user = session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None or user.username != actor.username:
        auth.sign_out()
        message += f" The restored database has no account {actor.username!r}: you were signed out."
    st.session_state[f"{key}_result"] = ("success", md(message))
    st.session_state[f"{key}_n"] = n + 1  # a new uploader: the file is done with


def _show_result(key: str) -> None:
    if result := st.session_state.pop(f"{key}_result", None):
        kind, message = result
        if kind == "success":
            st.success(message, icon=":material/check_circle:")
        else:
            st.error(message, icon=":material/error:")


def backup_panel(actor: Actor, *, key: str = "backup") -> None:
    """Download a backup; upload one to restore it into this database (refused while
    the database holds data unless "replace" is ticked and confirmed by typing
    REPLACE). Self-contained: a page only passes the signed-in actor."""
    if not actor.is_admin:
        st.info("Only admins can back up or restore the database.", icon=":material/lock:")
        return
    st.subheader("Back up")
    st.caption(SENSITIVE)
    _key_notice()
    st.download_button(
        "Download a backup",
        data=_later(actor),
        file_name=f"plan-tracker-backup-{datetime.now(UTC):%Y-%m-%d-%H%M}.json",
        mime="application/json",
        on_click="ignore",
        icon=":material/download:",
        key=f"{key}_download",
    )

    st.subheader("Restore")
    st.caption(
        "Restores a backup file exactly, in one step: if anything goes wrong, nothing "
        "changes. A database that already holds data (as this one does once the app has "
        "started) is only replaced when you tick the box below and confirm; download a "
        "backup of it first."
    )
    _show_result(key)
    n = st.session_state.get(f"{key}_n", 0)
    upload = st.file_uploader("Backup file (.json)", type=["json"], key=f"{key}_file_{n}")
    if upload is None:
        return
    payload, name = upload.getvalue(), upload.name
    try:
        header = _check(payload, name)
    except backup.BackupError as exc:
        st.error(md(exc), icon=":material/error:")
        return
    counts = header["row_counts"]
    st.markdown(
        f"**{md(name)}**: made {md(header['created_at'])} by version "
        f"{md(header['app_version'])} (schema {md(header['revision'])}); "
        f"{counts.get('outcome', 0):,} outcomes, "
        f"{counts.get('status_update', 0):,} status updates, "
        f"{counts.get('plan_change', 0):,} plan changes, "
        f"{counts.get('user_account', 0):,} users."
    )
    replace = st.checkbox(
        "Replace the current database (everything in it now is lost)", key=f"{key}_replace_{n}"
    )
    confirmed = True
    if replace:
        typed = st.text_input(f"Type {CONFIRM_WORD} to confirm", key=f"{key}_confirm_{n}")
        confirmed = typed.strip() == CONFIRM_WORD
    st.button(
        "Restore this backup",
        type="primary",
        icon=":material/settings_backup_restore:",
        disabled=not confirmed,
        on_click=_restore,
        args=(actor, payload, name, replace, key, n),
        key=f"{key}_go_{n}",
    )
