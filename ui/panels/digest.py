"""The e-mail digest in the app: the choice of weekly, daily or off on My work, and the
unsubscribe page its one-click link opens (a route of ui/routes.py).

The link's GET shows a page with one button, and its POST (that button, or a mail
client's own "unsubscribe" per RFC 8058) turns the digest off: link scanners that
open every link in a message do not unsubscribe anyone.
"""

from __future__ import annotations

import html
import logging

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from core.errors import TrackerError
from core.io import digest
from core.models import DigestFrequency, User
from core.people import accounts
from core.store.db import write_session
from ui import actions, auth, data

log = logging.getLogger(__name__)

CHOICES = {
    DigestFrequency.WEEKLY.value: "Weekly (Monday's run)",
    DigestFrequency.DAILY.value: "Daily",
    DigestFrequency.OFF.value: "Off",
}


def frequency_choice() -> None:
    """How often the signed-in person gets the digest of their My work by e-mail."""
    me = auth.actor()
    if me.user_id is None:
        return
    with Session(data.engine()) as session:
        user = session.get(User, me.user_id)
        current, email = (user.digest, user.email) if user else ("weekly", None)
    options = list(CHOICES)
    chosen = st.segmented_control(
        "E-mail digest",
        options,
        default=current if current in CHOICES else options[0],
        format_func=CHOICES.__getitem__,
        key="digest_frequency",
        help="What needs you (overdue, due in the next 14 days, Blocked, not updated in "
        "30 days, mentions), sent to your e-mail address.",
    )
    if not email:
        st.caption("No e-mail address is on your account: ask an admin to add one.")
    if chosen and chosen != current:
        result = actions.run(
            lambda s: accounts.set_digest_frequency(
                session=s, actor=auth.actor(fresh=True), frequency=chosen
            )
        )
        if result.error is not None:
            actions.show(result.error)
        else:
            st.toast(f"E-mail digest: {CHOICES[chosen].lower()}.", icon=":material/mail:")


# ---- the unsubscribe route -----------------------------------------------------------


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    """A small page of our own text (`body` is HTML built here, never from input)."""
    return HTMLResponse(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><meta name='viewport' "
        f"content='width=device-width'><title>{html.escape(title)}</title></head>"
        "<body style='font-family:sans-serif;max-width:36em;margin:3em auto'>"
        f"<h1>{html.escape(title)}</h1>{body}<p><a href='/'>Open the plan tracker</a></p>"
        "</body></html>",
        status_code=status,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


def _turn_off(user_id: str, token: str) -> None:
    with write_session(data.engine()) as session:
        digest.unsubscribe(session=session, user_id=user_id, token=token)


async def unsubscribe_endpoint(request: Request) -> Response:
    user_id = request.query_params.get("u", "")
    token = request.query_params.get("t", "")
    if request.method != "POST":
        action = html.escape(f"{digest.UNSUBSCRIBE_PATH}?{request.url.query}", quote=True)
        return _page(
            "Stop the e-mail digest?",
            f"<form method='post' action='{action}'><button type='submit'>Stop the "
            "e-mail digest</button></form><p>You can turn it on again on My work.</p>",
        )
    try:
        await run_in_threadpool(_turn_off, user_id, token)
    except TrackerError as exc:
        return _page("Not unsubscribed", f"<p>{html.escape(exc.message)}</p>", 400)
    except SQLAlchemyError:
        log.exception("unsubscribe: database error")
        return _page("Not unsubscribed", "<p>The database is unavailable; try again.</p>", 503)
    return _page(
        "You will get no more digests",
        "<p>The e-mail digest is off. To get it again, sign in and choose weekly or "
        "daily on My work.</p>",
    )
