"""Staying signed in, on the page's side: the `tracker_session` cookie the sign-in
route set (ui/routes.py) is read from `st.context.cookies` at every run, and the
sidebar's sign-in and sign-out are real HTML forms posting to those routes.

Streamlit's own widgets cannot set a cookie (a page run has no HTTP response), and an
`st.form` cannot post to a URL, so the forms are drawn with `st.html`, which puts
them in the page itself (not an iframe), sanitised by DOMPurify (forms and inputs are
kept, scripts are not). The browser then leaves the page for the route and comes
back with a 303, which starts a new Streamlit session that reads the new cookie.
"""

from __future__ import annotations

import html
import logging
import time
from urllib.parse import unquote, urlencode, urlsplit

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from core import models
from core.people import sessions
from core.store.db import write_session
from ui import data, routes

log = logging.getLogger(__name__)

_REJECTED = "_rejected_session_cookie"  # the cookie this session found invalid
_VIA_COOKIE = "_signed_in_by_cookie"
_TOUCHED = "_session_touched_at"  # time.monotonic() of the last touch
_SEEN_NOTICES = "_seen_route_notices"
SESSION_ENDED = "You were signed out (in another tab, by an admin, or after a long idle time)."


def cookie(name: str) -> str | None:
    try:
        value = st.context.cookies.get(name)
    except Exception:  # no browser request behind this run (e.g. a test harness)
        return None
    return value if isinstance(value, str) and value else None


def has_forms() -> bool:
    """Whether the page was served by the App (it gave the browser a CSRF cookie), so
    the HTML forms can post to its routes; otherwise ui.auth signs in for this tab."""
    return cookie(routes.CSRF_COOKIE) is not None


def signed_in_by_cookie() -> bool:
    return bool(st.session_state.get(_VIA_COOKIE))


def user_from_cookie(session: Session) -> tuple[models.User | None, bool]:
    """The user the session cookie signs in, and whether the cookie just stopped
    signing this Streamlit session in (ended elsewhere, expired, account changed).
    An unknown, forged or expired cookie simply signs nobody in. The session's last
    use is recorded by `touch`, called once `session` is closed: a write opened while
    this read holds its connection would ask the pool for a second one."""
    token = cookie(routes.SESSION_COOKIE)
    if token is None or st.session_state.get(_REJECTED) == token:
        return None, False
    user = sessions.resolve_session(session=session, token=token)
    if user is None:
        st.session_state[_REJECTED] = token
        return None, bool(st.session_state.pop(_VIA_COOKIE, False))
    st.session_state[_VIA_COOKIE] = True
    return user, False


def touch() -> None:
    """Record the cookie's session's last use: one write a minute per browser tab at
    most (sessions.touch also checks the row)."""
    token = cookie(routes.SESSION_COOKIE)
    if token is None or not signed_in_by_cookie():
        return
    now = time.monotonic()
    if now - st.session_state.get(_TOUCHED, float("-inf")) < 60:
        return
    st.session_state[_TOUCHED] = now
    try:
        with write_session(data.engine()) as session:
            sessions.touch(session=session, token=token)
    except SQLAlchemyError:
        log.warning("could not record a session's last use", exc_info=True)


def end_cookie_session() -> None:
    """End the cookie's session from a page run (when the sign-out form cannot post)."""
    token = cookie(routes.SESSION_COOKIE)
    st.session_state[_REJECTED] = token
    st.session_state.pop(_VIA_COOKIE, None)
    try:
        with write_session(data.engine()) as session:
            sessions.end_session(session=session, token=token)
    except SQLAlchemyError:
        log.warning("could not end a session", exc_info=True)


def route_notice() -> str | None:
    """The message a sign-in or sign-out route sent back (each shown once per session)."""
    value = cookie(routes.NOTICE_COOKIE)
    if value is None or ":" not in value:
        return None
    nonce, _, text = value.partition(":")
    seen = st.session_state.setdefault(_SEEN_NOTICES, set())
    if nonce in seen:
        return None
    seen.add(nonce)
    return unquote(text)[:500] or None


def _next_path() -> str:
    """Where the route sends the browser back: this page, with its filters."""
    url = st.context.url or "/"
    pairs = [(k, v) for k in st.query_params for v in st.query_params.get_all(k)]
    query = f"?{urlencode(pairs)}" if pairs else ""
    return routes.safe_next(f"{urlsplit(url).path or '/'}{query}")


def _hidden() -> str:
    csrf = html.escape(cookie(routes.CSRF_COOKIE) or "", quote=True)
    back = html.escape(_next_path(), quote=True)
    return (
        f'<input type="hidden" name="csrf" value="{csrf}">'
        f'<input type="hidden" name="next" value="{back}">'
    )


_FIELD = (
    "display:block;width:100%;box-sizing:border-box;padding:0.4rem 0.6rem;margin:0.2rem 0 0.7rem;"
    "border:1px solid rgba(49,51,63,0.2);border-radius:0.5rem;font:inherit"
)
_BUTTON = (
    "padding:0.3rem 0.8rem;border-radius:0.5rem;font:inherit;cursor:pointer;"
    "border:1px solid rgba(49,51,63,0.2)"
)


def sign_in_form() -> None:
    st.html(
        f'<form method="post" action="{routes.SIGN_IN_PATH}">{_hidden()}'
        '<label for="tracker-username">Username</label>'
        f'<input id="tracker-username" name="username" autocomplete="username" '
        f'autocapitalize="none" spellcheck="false" required style="{_FIELD}">'
        '<label for="tracker-password">Password</label>'
        f'<input id="tracker-password" name="password" type="password" '
        f'autocomplete="current-password" required style="{_FIELD}">'
        f'<button type="submit" style="{_BUTTON};background:#ff4b4b;color:white;'
        f'border-color:#ff4b4b">Sign in</button></form>'
    )


def sign_out_form() -> None:
    st.html(
        f'<form method="post" action="{routes.SIGN_OUT_PATH}">{_hidden()}'
        f'<button type="submit" style="{_BUTTON};background:transparent">Sign out</button>'
        "</form>"
    )
