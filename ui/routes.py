"""The App server's own routes (dashboard.py's `st.App`): signing in and out with a
session cookie, and each person's calendar feed.

- `POST /auth/sign-in` (username, password, csrf, next): core.people.signin.authenticate
  with its throttling and messages, then a server-side session (core.people.sessions)
  whose token goes in the `tracker_session` cookie: HttpOnly, SameSite=Lax, Path=/,
  Secure over HTTPS. Answers 303 back to `next` (a path of this site only).
- `POST /auth/sign-out` (csrf, next): ends the session and clears the cookie.
- `GET /calendar/{token}.ics`: the person's open outcomes as text/calendar; 404 for a
  token that is unknown or was replaced by a new link.

Both POSTs must come from this site: the Origin (or Referer) names this host, and the
form's `csrf` equals the `tracker_csrf` cookie (a double-submit token the middleware
below gives every page). A refusal or failure goes back to the page as a notice (the
short-lived `tracker_notice` cookie ui.auth shows once), never as an error page.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import quote, urlsplit

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.config import get_settings
from core.io.feed import calendar_feed
from core.people import sessions, signin
from core.store.db import make_engine, write_session

log = logging.getLogger(__name__)

SESSION_COOKIE = "tracker_session"
CSRF_COOKIE = "tracker_csrf"
NOTICE_COOKIE = "tracker_notice"
NOTICE_SECONDS = 30  # long enough for the redirect's page to read it
# The browser keeps the cookie this long; the server ends the session when it is idle
# for TRACKER_SESSION_IDLE_DAYS (the cookie cannot be renewed from a page run).
SESSION_COOKIE_SECONDS = 400 * 24 * 3600
SIGN_IN_PATH = "/auth/sign-in"
SIGN_OUT_PATH = "/auth/sign-out"
FORM_EXPIRED = "The sign-in form had expired. Please try again."
DATABASE_DOWN = "Signing in failed: the database is unavailable."
UNEXPECTED = "Signing in failed on the server. Please try again."
NO_FEED = "No calendar at this address: the link may have been replaced by a new one.\n"


@lru_cache(maxsize=4)
def _engine_for(url: str) -> Engine:
    return make_engine(url)


def _engine() -> Engine:
    """The routes' own engine (pool): ui.data.engine() is a Streamlit cache, made for
    page runs, not for the server's worker threads. A page run has created and
    migrated the database before anyone can sign in or make a calendar link."""
    return _engine_for(get_settings().url)


def _forwarded(request: Request, name: str) -> str | None:
    """The last value of a proxy's header, read only behind a trusted proxy."""
    if not get_settings().tracker_trusted_proxy_header:
        return None
    values = [v.strip() for v in ",".join(request.headers.getlist(name)).split(",")]
    return values[-1] if values and values[-1] else None


def is_https(request: Request) -> bool:
    return (request.url.scheme == "https") or (
        (_forwarded(request, "x-forwarded-proto") or "").lower() == "https"
    )


def _host(request: Request) -> str:
    return (_forwarded(request, "x-forwarded-host") or request.headers.get("host", "")).lower()


def same_origin(request: Request) -> bool:
    """Whether the request's Origin (else Referer) is this site."""
    source = request.headers.get("origin") or request.headers.get("referer") or ""
    netloc = urlsplit(source).netloc.lower() if source and source != "null" else ""
    return bool(netloc) and netloc == _host(request)


def safe_next(value: object) -> str:
    """`next` if it is a path on this site (no scheme, host or protocol-relative URL)."""
    text = value if isinstance(value, str) else ""
    if not text.startswith("/") or text.startswith(("//", "/\\")) or any(c < " " for c in text):
        return "/"
    return text


def _set(response: Response, request: Request, name: str, value: str, **kwargs) -> None:
    response.set_cookie(
        name,
        value,
        path="/",
        httponly=True,
        samesite="lax",
        secure=is_https(request),
        **kwargs,
    )


def _back(request: Request, to: str, notice: str | None = None) -> Response:
    response = RedirectResponse(to, status_code=303)
    if notice:
        # A nonce, so the page shows each notice once (ui.auth); percent-encoded text.
        value = f"{secrets.token_hex(4)}:{quote(notice, safe='')}"
        _set(response, request, NOTICE_COOKIE, value, max_age=NOTICE_SECONDS)
    return response


async def _checked_form(request: Request) -> dict[str, str] | None:
    """The form's fields, or None unless it came from this site with the right token."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    expected = request.cookies.get(CSRF_COOKIE, "")
    given = fields.get("csrf", "")
    if not same_origin(request) or not expected or not hmac.compare_digest(given, expected):
        return None
    return fields


def _client_address(request: Request) -> str:
    header = get_settings().tracker_trusted_proxy_header
    forwarded = ",".join(request.headers.getlist(header)) if header else None
    peer = request.client.host if request.client else None
    return signin.client_address(peer, forwarded)


def _open_session(username: str, password: str, address: str, user_agent: str) -> str:
    with Session(_engine()) as session:  # the hash runs holding no lock
        checked = signin.check_password(session=session, username=username, password=password)
    with write_session(_engine()) as session:
        user = signin.authenticate(
            session=session, username=username, password=password, address=address, checked=checked
        )
        return sessions.create_session(session=session, user=user, user_agent=user_agent)


def _guarded(work: Callable[[], Response], request: Request, to: str) -> Response:
    """`work()`, with every failure turned into a notice back on the page."""
    try:
        return work()
    except signin.SignInError as exc:
        return _back(request, to, str(exc))
    except SQLAlchemyError:
        log.exception("sign-in route: database error")
        return _back(request, to, DATABASE_DOWN)
    except Exception:
        log.exception("sign-in route: unexpected error")
        return _back(request, to, UNEXPECTED)


async def sign_in(request: Request) -> Response:
    fields = await _checked_form(request)
    to = safe_next((fields or {}).get("next"))
    if fields is None:
        return _back(request, to, FORM_EXPIRED)
    username, password = fields.get("username", ""), fields.get("password", "")
    address, agent = _client_address(request), request.headers.get("user-agent", "")

    def work() -> Response:
        token = _open_session(username, password, address, agent)
        response = _back(request, to)
        _set(response, request, SESSION_COOKIE, token, max_age=SESSION_COOKIE_SECONDS)
        return response

    return await run_in_threadpool(_guarded, work, request, to)


async def sign_out(request: Request) -> Response:
    fields = await _checked_form(request)
    to = safe_next((fields or {}).get("next"))
    if fields is None:
        return _back(request, to, FORM_EXPIRED)
    token = request.cookies.get(SESSION_COOKIE)

    def work() -> Response:
        with write_session(_engine()) as session:
            sessions.end_session(session=session, token=token)
        response = _back(request, to)
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
        return response

    return await run_in_threadpool(_guarded, work, request, to)


def _feed(token: str, base_url: str) -> bytes | None:
    with Session(_engine()) as session:
        user = sessions.feed_user(session=session, token=token)
        if user is None:
            return None
        return calendar_feed(session=session, user=user, base_url=base_url)


async def calendar(request: Request) -> Response:
    base = get_settings().tracker_base_url or str(request.base_url)
    try:
        body = await run_in_threadpool(_feed, request.path_params["token"], base)
    except SQLAlchemyError:
        log.exception("calendar feed: database error")
        return PlainTextResponse("The calendar is unavailable; try again later.\n", 503)
    if body is None:
        return PlainTextResponse(NO_FEED, 404)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"},
    )


class CsrfCookieMiddleware:
    """Gives every HTML page a `tracker_csrf` cookie (a random value) unless the
    browser has one; the sign-in and sign-out forms repeat it (double submit)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or CSRF_COOKIE in Request(scope).cookies:
            await self.app(scope, receive, send)
            return
        secure = is_https(Request(scope))

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if headers.get("content-type", "").startswith("text/html"):
                    headers.append("set-cookie", _csrf_cookie(secure))
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _csrf_cookie(secure: bool) -> str:
    # token_urlsafe needs no quoting in a cookie.
    value = f"{CSRF_COOKIE}={secrets.token_urlsafe(32)}; Path=/; SameSite=Lax; HttpOnly"
    return f"{value}; Secure" if secure else value


async def unsubscribe(request: Request) -> Response:
    """The digest's one-click unsubscribe link (ui/panels/digest.py)."""
    # Imported here: ui.panels.digest imports ui.auth, which imports this module.
    from ui.panels.digest import unsubscribe_endpoint

    return await unsubscribe_endpoint(request)


ROUTES = [
    Route(SIGN_IN_PATH, sign_in, methods=["POST"]),
    Route(SIGN_OUT_PATH, sign_out, methods=["POST"]),
    Route("/calendar/{token}.ics", calendar, methods=["GET"]),
    Route("/unsubscribe", unsubscribe, methods=["GET", "POST"]),
]
MIDDLEWARE = [Middleware(CsrfCookieMiddleware)]
