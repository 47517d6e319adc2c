"""Sign-in for the views: local accounts (core.accounts) and, when `[auth]` is set in
secrets, Streamlit's OIDC `st.login`, mapped to local users by e-mail.

A browser served by the App signs in through the sign-in route and stays signed in
by its session cookie (ui/browser_session.py, README "Staying signed in"); without
the App's cookies (AppTest) the sidebar's Streamlit form signs in this tab only."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from core import models
from core.config import get_settings
from core.people import accounts, permissions, signin
from core.people.permissions import ANONYMOUS_VIEWER, Actor
from core.store.db import write_session
from ui import browser_session, components, data
from ui.panels import calendar
from ui.text import md


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


_ACTOR = "_actor"
# The user's credentials_version when this session signed in (0 for a session that
# recorded none); a password, role or activation change since then signs it out.
_VERSION = "credentials_version"
_NOTICE = "signed_out_notice"
ACCOUNT_CHANGED = "Your account changed; sign in again."


def _forget_sign_in() -> None:
    for key in ("user_id", "username", _VERSION):
        st.session_state.pop(key, None)


def _signed_in_as(user: models.User) -> tuple[int | None, str, int]:
    return (user.id, user.username, user.credentials_version)


def _remember(signed_in: tuple[int | None, str, int]) -> None:
    for key, value in zip(("user_id", "username", _VERSION), signed_in, strict=True):
        st.session_state[key] = value


def _from_cookie() -> Actor | None:
    """The actor the session cookie signs in; None (and this tab signed out, with a
    notice if it was signed in by the cookie) when the cookie no longer does."""
    if browser_session.cookie(browser_session.routes.SESSION_COOKIE) is None:
        return None
    found: Actor | None = None
    with Session(data.engine()) as session:
        user, ended = browser_session.user_from_cookie(session)
        if user is not None:
            _remember(_signed_in_as(user))
            found = permissions.actor_for(session, user)
        elif ended:
            before = session.get(models.User, st.session_state.get("user_id", -1))
            changed = before is not None and before.credentials_version != st.session_state.get(
                _VERSION, 0
            )
            _forget_sign_in()
            st.session_state[_NOTICE] = (
                ACCOUNT_CHANGED if changed else browser_session.SESSION_ENDED
            )
    if found is not None:
        browser_session.touch()  # a write: once the read has given its connection back
    return found


def _load_actor() -> Actor:
    if (by_cookie := _from_cookie()) is not None:
        return by_cookie
    user_id = st.session_state.get("user_id")
    email: str | None = None
    if user_id is None and _oidc_configured() and getattr(st.user, "is_logged_in", False):
        claim = st.user.get("email")
        email = claim if isinstance(claim, str) else None  # a claim may be any JSON value
    if user_id is None and not email:
        return ANONYMOUS_VIEWER
    with Session(data.engine()) as session:
        user = session.get(models.User, user_id) if user_id is not None else None
        signed_in_as = st.session_state.get("username")
        if user is not None and signed_in_as is not None and user.username != signed_in_as:
            # The database was restored or replaced and this id is someone else now.
            _forget_sign_in()
            user = None
        if user is not None and user.credentials_version != st.session_state.get(_VERSION, 0):
            _forget_sign_in()
            st.session_state[_NOTICE] = ACCOUNT_CHANGED
            user = None
        if user is None and email:
            user = accounts.get_user_by_email(session=session, email=email)
        return permissions.actor_for(session, user)


def refresh() -> Actor:
    """Read who is using this session; dashboard.py calls it at the top of every run,
    so a role change applies at the next interaction, and a session signed in before
    its user's password, role or activation changed is signed out (ACCOUNT_CHANGED)."""
    st.session_state[_ACTOR] = _load_actor()
    return st.session_state[_ACTOR]


_WRITING = threading.local()  # the actor read for the write this thread runs


@contextmanager
def read_for_write() -> Iterator[Actor]:
    """Read the actor now, for the write transaction about to begin (ui/actions.run):
    `actor(fresh=True)` inside it returns this read and opens no second connection
    while the transaction holds one."""
    outer = getattr(_WRITING, "actor", None)
    _WRITING.actor = refresh()
    try:
        yield _WRITING.actor
    finally:
        _WRITING.actor = outer


def actor(*, fresh: bool = False) -> Actor:
    """The actor read at the top of this run (one query per run, not per button).
    Writes pass `fresh=True`: a callback runs before the next refresh, and a lead
    whose scope changed since the page rendered must be checked as they are now (in
    ui/actions.run, as read just before its transaction began)."""
    if fresh and (writing := getattr(_WRITING, "actor", None)) is not None:
        return writing
    if fresh or _ACTOR not in st.session_state:
        return refresh()
    return st.session_state[_ACTOR]


def is_admin() -> bool:
    return actor().is_admin


def can_read() -> bool:
    return permissions.can_read(actor(), get_settings())


def _client_address() -> str:
    """The address sign-in failures are counted by (README: TRACKER_TRUSTED_PROXY_HEADER)."""
    header = get_settings().tracker_trusted_proxy_header
    forwarded = ",".join(st.context.headers.get_all(header)) if header else None
    return signin.client_address(st.context.ip_address, forwarded)


def _sign_in(username: str, password: str) -> None:
    try:
        with Session(data.engine()) as session:  # the hash runs holding no lock
            checked = signin.check_password(session=session, username=username, password=password)
        with write_session(data.engine()) as session:
            user = signin.authenticate(
                session=session,
                username=username,
                password=password,
                address=_client_address(),
                checked=checked,
            )
            signed_in = _signed_in_as(user)
    except signin.SignInError as exc:
        st.session_state["sign_in_error"] = str(exc)
        return
    except SQLAlchemyError:
        st.session_state["sign_in_error"] = "Signing in failed: the database is unavailable."
        return
    _remember(signed_in)


def sign_out() -> None:
    if browser_session.signed_in_by_cookie():
        browser_session.end_cookie_session()
    _forget_sign_in()
    if _oidc_configured() and getattr(st.user, "is_logged_in", False):
        st.logout()


def sidebar() -> None:
    me = actor()
    with st.sidebar:
        if me.signed_in:
            role = str(me.role)  # a Role (StrEnum) or its value
            scope = f" · {', '.join(me.scope_labels)}" if me.scope_labels else ""
            st.markdown(f":material/person: **{md(me.display_name)}** ({md(role)}{md(scope)})")
            if browser_session.signed_in_by_cookie() and browser_session.has_forms():
                browser_session.sign_out_form()
            else:
                st.button("Sign out", on_click=sign_out, icon=":material/logout:")
            # Drawn only while open: it is in the sidebar of every page.
            if me.user_id is not None and (
                box := components.lazy_expander(
                    "My calendar", key="my_calendar", icon=":material/calendar_month:"
                )
            ):
                with box:
                    calendar.my_calendar(me.user_id)
        else:
            if notice := st.session_state.pop(_NOTICE, None):
                st.warning(notice, icon=":material/logout:")
            refused = browser_session.route_notice()
            if refused:
                st.error(md(refused), icon=":material/error:")
            with st.expander(
                "Sign in to record progress", icon=":material/login:", expanded=bool(refused)
            ):
                if _oidc_configured():
                    st.button("Sign in with your organisation", on_click=st.login)
                if browser_session.has_forms():
                    browser_session.sign_in_form()
                    _caption()
                    return
                with st.form("sign_in", clear_on_submit=False, border=False):
                    username = st.text_input("Username", autocomplete="username")
                    password = st.text_input(
                        "Password", type="password", autocomplete="current-password"
                    )
                    if st.form_submit_button("Sign in", type="primary"):
                        st.session_state.pop("sign_in_error", None)
                        _sign_in(username, password)
                        st.rerun()
                if error := st.session_state.get("sign_in_error"):
                    st.error(error)
                _caption()


def _caption() -> None:
    st.caption("Anyone can read the plan. Workgroup leads and admins sign in to update it.")
