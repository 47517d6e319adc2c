"""My calendar: the signed-in person's secret feed URL (ui/routes.py serves it) of the
open outcomes in their scope, to subscribe to from any calendar app. The secret is
shown once, when the link is made (only its hash is kept); a new link revokes the old
one, which is how a leaked link is stopped."""

from __future__ import annotations

from urllib.parse import urlsplit

import streamlit as st
from sqlmodel import Session

from core.config import get_settings
from core.errors import TrackerError
from core.models import User
from core.people import sessions
from ui import actions, data

_LINK = "_my_calendar_link"  # (user id, URL) made in this session


def _base_url() -> str:
    if configured := get_settings().tracker_base_url:
        return configured.rstrip("/")
    parts = urlsplit(st.context.url or "http://localhost:8501")
    return f"{parts.scheme}://{parts.netloc}"


def feed_url(token: str) -> str:
    return f"{_base_url()}/calendar/{token}.ics"


def _has_link(user_id: int) -> bool:
    with Session(data.engine()) as session:
        user = session.get(User, user_id)
        return bool(user and user.feed_token_hash)


def _new_link(user_id: int) -> None:
    def action(session: Session) -> str:
        user = session.get(User, user_id)
        if user is None or not user.active:
            raise TrackerError("Your account is not active; sign in again.")
        return sessions.new_feed_token(session=session, user=user)

    result = actions.run(action)
    if result.error is not None or result.value is None:
        actions.show(result.error or "The link could not be made.")
        return
    st.session_state[_LINK] = (user_id, feed_url(result.value))


def my_calendar(user_id: int) -> None:
    """The panel (in the sidebar, and for a page such as My work to reuse)."""
    made = st.session_state.get(_LINK)
    url = made[1] if made and made[0] == user_id else None
    if url is None and st.button("Show my calendar link", key="cal_show"):
        if not _has_link(user_id):
            _new_link(user_id)
            made = st.session_state.get(_LINK)
            url = made[1] if made else None
        else:
            st.info(
                "Your link was shown when it was made and is not kept readable. If you "
                "no longer have it, make a new link (the old one stops working).",
                icon=":material/lock:",
            )
    if url is not None:
        st.caption("Subscribe to this address in your calendar app. Keep it private.")
        st.code(url, language=None, wrap_lines=True)
    if st.button("New link (revokes the old one)", key="cal_new", icon=":material/autorenew:"):
        _new_link(user_id)
        st.rerun()
