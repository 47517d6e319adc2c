"""The App's routes (ui/routes.py) in-process: the same routes and middleware that
dashboard.py's `st.App` serves, in a bare Starlette app driven over ASGI (no server),
on the test's database (`db`, tests/app/conftest.py)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote, urlencode

import pytest
from icalendar import Calendar
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Route
from streamlit.web.server.app_discovery import discover_asgi_app

from core.config import PROJECT_ROOT
from core.models import User, UserSession
from core.people import sessions
from core.store.db import write_session
from tests.app.conftest import PASSWORD, make_user
from ui import routes

HOST = "tracker.example"
CSRF = "a-csrf-token-of-this-browser"


def _page(_request):
    return HTMLResponse("<html></html>")


def _plain(_request):
    return PlainTextResponse("ok")


APP = Starlette(
    routes=[*routes.ROUTES, Route("/", _page), Route("/_stcore/health", _plain)],
    middleware=routes.MIDDLEWARE,
)


def call(
    method: str,
    path: str,
    *,
    form: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    scheme: str = "http",
) -> tuple[int, list[tuple[str, str]], bytes]:
    """One request through the ASGI app: (status, headers, body)."""
    body = urlencode(form or {}).encode()
    sent = {"host": HOST, **(headers or {})}
    if form is not None:
        sent["content-type"] = "application/x-www-form-urlencoded"
    path_only, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": scheme,
        "path": path_only,
        "raw_path": path_only.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in sent.items()],
        "client": ("203.0.113.7", 50000),
        "server": (HOST, 443 if scheme == "https" else 80),
    }
    messages: list[dict] = []
    chunks = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive():
        return chunks.pop(0) if chunks else {"type": "http.disconnect"}

    async def send(message):
        messages.append(message)

    # In a thread of its own: the caller's thread may already run an event loop (a
    # Playwright browser of the same pytest worker keeps one running in it).
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, APP(scope, receive, send)).result()
    start = next(m for m in messages if m["type"] == "http.response.start")
    out = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    heads = [(k.decode().lower(), v.decode()) for k, v in start["headers"]]
    return start["status"], heads, out


def cookies_set(headers: list[tuple[str, str]]) -> dict[str, str]:
    return {v.split("=", 1)[0]: v for k, v in headers if k == "set-cookie"}


def header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in headers if k == name), None)


def notice(headers: list[tuple[str, str]]) -> str | None:
    value = cookies_set(headers).get(routes.NOTICE_COOKIE)
    if value is None:
        return None
    return unquote(value.split("=", 1)[1].split(";")[0].split(":", 1)[1])


def post(path: str, fields: dict[str, str], **kwargs):
    headers = {"origin": f"http://{HOST}", "cookie": f"{routes.CSRF_COOKIE}={CSRF}"}
    headers.update(kwargs.pop("headers", {}))
    return call("POST", path, form={"csrf": CSRF, **fields}, headers=headers, **kwargs)


def sign_in(username: str = "lead-sw", password: str = PASSWORD, **kwargs):
    fields = {"username": username, "password": password, "next": "/region?region=southwest"}
    return post(routes.SIGN_IN_PATH, fields, **kwargs)


def session_rows(engine: Engine) -> list[UserSession]:
    with Session(engine) as session:
        return list(session.exec(select(UserSession)).all())


def test_streamlit_run_discovers_the_app_in_dashboard_py() -> None:
    found = discover_asgi_app(Path(PROJECT_ROOT / "dashboard.py"))
    assert found.is_asgi_app and found.import_string == "dashboard:app"


def test_the_sign_in_route_holds_no_write_lock_while_the_password_hash_runs(
    db: Engine, db_file, monkeypatch
) -> None:
    """As the sidebar's form (tests/app/test_updates.py): the route checks the password
    before its write transaction, so a sign-in's Argon2 run blocks no other writer."""
    from .test_updates import _lock_free_while_hashing

    make_user(db, "lead-sw", region="southwest")
    free = _lock_free_while_hashing(db_file, monkeypatch)
    status, headers, _ = sign_in()

    assert status == 303 and routes.SESSION_COOKIE in cookies_set(headers)
    assert free == [True]


@pytest.mark.backends("sqlite", "postgresql")
def test_sign_in_sets_an_httponly_lax_cookie_and_stores_only_its_hash(db: Engine) -> None:
    make_user(db, "lead-sw", region="southwest")
    status, headers, _ = sign_in(headers={"user-agent": "Chromium test"})
    assert status == 303
    assert header(headers, "location") == "/region?region=southwest"
    cookie = cookies_set(headers)[routes.SESSION_COOKIE]
    attrs = [a.strip().lower() for a in cookie.split(";")]
    assert {"httponly", "path=/", "samesite=lax"} <= set(attrs)
    assert "secure" not in attrs
    token = cookie.split("=", 1)[1].split(";")[0]
    [row] = session_rows(db)
    assert row.token_hash == sessions.token_hash(token) and row.user_agent == "Chromium test"
    with Session(db) as session:
        user = sessions.resolve_session(session=session, token=token)
        assert user is not None and user.username == "lead-sw"


@pytest.mark.parametrize(
    ("scheme", "env", "extra"),
    [
        ("https", {}, {}),
        (
            "http",
            {"TRACKER_TRUSTED_PROXY_HEADER": "X-Forwarded-For"},
            {"x-forwarded-proto": "https"},
        ),
    ],
    ids=["https", "behind-a-trusted-proxy"],
)
def test_cookie_is_secure_over_https(db: Engine, monkeypatch, scheme, env, extra) -> None:
    from core import config

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    config.get_settings.cache_clear()
    make_user(db, "lead-sw", region="southwest")
    origin = {"origin": f"https://{HOST}", **extra}
    status, headers, _ = sign_in(headers=origin, scheme=scheme)
    assert status == 303
    assert "secure" in cookies_set(headers)[routes.SESSION_COOKIE].lower().split("; ")


def test_forwarded_proto_is_ignored_without_a_trusted_proxy(db: Engine) -> None:
    make_user(db, "lead-sw", region="southwest")
    _, headers, _ = sign_in(headers={"x-forwarded-proto": "https"})
    assert "secure" not in cookies_set(headers)[routes.SESSION_COOKIE].lower()


def test_wrong_password_comes_back_with_signins_message(db: Engine) -> None:
    make_user(db, "lead-sw", region="southwest")
    status, headers, _ = sign_in(password="not the password at all")
    assert status == 303 and header(headers, "location") == "/region?region=southwest"
    assert notice(headers) == "Wrong username or password."
    assert routes.SESSION_COOKIE not in cookies_set(headers)
    assert session_rows(db) == []


def test_sign_in_throttling_is_signins(db: Engine) -> None:
    make_user(db, "lead-sw", region="southwest")
    for _ in range(5):
        sign_in(password="not the password at all")
    _, headers, _ = sign_in()  # the right password, within the wait
    assert "Try again in 2 seconds." in (notice(headers) or "")
    assert session_rows(db) == []


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example"},
        {"origin": "null"},
        {"origin": ""},
        {"cookie": f"{routes.CSRF_COOKIE}=another-token"},
        {"cookie": ""},
    ],
    ids=["other-origin", "null-origin", "no-origin", "csrf-mismatch", "no-csrf-cookie"],
)
def test_cross_site_or_tokenless_sign_in_is_refused(db: Engine, headers) -> None:
    make_user(db, "lead-sw", region="southwest")
    status, out, _ = sign_in(headers=headers)
    assert status == 303
    assert notice(out) == routes.FORM_EXPIRED
    assert routes.SESSION_COOKIE not in cookies_set(out)
    assert session_rows(db) == []


def test_referer_stands_in_for_a_missing_origin(db: Engine) -> None:
    make_user(db, "lead-sw", region="southwest")
    _, headers, _ = sign_in(headers={"origin": "", "referer": f"http://{HOST}/timeline"})
    assert routes.SESSION_COOKIE in cookies_set(headers)


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "/\\evil", ""])
def test_next_never_leaves_the_site(db: Engine, target: str) -> None:
    make_user(db, "lead-sw", region="southwest")
    fields = {"username": "lead-sw", "password": PASSWORD, "next": target}
    _, headers, _ = post(routes.SIGN_IN_PATH, fields)
    assert header(headers, "location") == "/"


def test_sign_out_ends_the_session_and_clears_the_cookie(db: Engine) -> None:
    make_user(db, "lead-sw", region="southwest")
    _, headers, _ = sign_in()
    token = cookies_set(headers)[routes.SESSION_COOKIE].split("=", 1)[1].split(";")[0]
    cookie = f"{routes.CSRF_COOKIE}={CSRF}; {routes.SESSION_COOKIE}={token}"
    status, out, _ = post(routes.SIGN_OUT_PATH, {"next": "/timeline"}, headers={"cookie": cookie})
    assert status == 303 and header(out, "location") == "/timeline"
    cleared = cookies_set(out)[routes.SESSION_COOKIE].lower()
    assert 'tracker_session=""' in cleared and "max-age=0" in cleared
    [row] = session_rows(db)
    assert row.ended_at is not None
    with Session(db) as session:
        assert sessions.resolve_session(session=session, token=token) is None


def test_sign_out_of_an_unknown_session_is_harmless(db: Engine) -> None:
    cookie = f"{routes.CSRF_COOKIE}={CSRF}; {routes.SESSION_COOKIE}=forged"
    status, out, _ = post(routes.SIGN_OUT_PATH, {}, headers={"cookie": cookie})
    assert status == 303 and notice(out) is None


@pytest.mark.backends("sqlite", "postgresql")
def test_calendar_feed_serves_text_calendar_and_a_new_link_revokes_the_old(db: Engine) -> None:
    user_id = make_user(db, "lead-sw", region="southwest")
    with write_session(db) as session:
        user = session.get(User, user_id)
        assert user is not None
        old = sessions.new_feed_token(session=session, user=user)
    status, headers, body = call("GET", f"/calendar/{old}.ics")
    assert status == 200 and (header(headers, "content-type") or "").startswith("text/calendar")
    events = Calendar.from_ical(body).walk("VEVENT")
    assert events and all(str(e["UID"]).startswith("southwest.") for e in events)
    assert str(events[0]["URL"]) == f"http://{HOST}/region?region=southwest"
    with write_session(db) as session:
        user = session.get(User, user_id)
        assert user is not None
        new = sessions.new_feed_token(session=session, user=user)
    assert call("GET", f"/calendar/{old}.ics")[0] == 404
    assert call("GET", f"/calendar/{new}.ics")[0] == 200
    assert call("GET", "/calendar/unknown.ics")[0] == 404


def test_the_request_helper_works_beside_a_running_event_loop() -> None:
    """Under pytest-xdist a worker may run the browser tests first, and Playwright's
    sync API keeps an event loop running in the test's thread."""

    async def inside_a_loop() -> int:
        return call("GET", "/_stcore/health")[0]

    assert asyncio.run(inside_a_loop()) == 200


def test_pages_get_a_csrf_cookie_once(db: Engine) -> None:
    _, headers, _ = call("GET", "/")
    cookie = cookies_set(headers)[routes.CSRF_COOKIE]
    assert {"httponly", "path=/", "samesite=lax"} <= {a.strip().lower() for a in cookie.split(";")}
    _, again, _ = call("GET", "/", headers={"cookie": f"{routes.CSRF_COOKIE}=kept"})
    assert routes.CSRF_COOKIE not in cookies_set(again)
    _, plain, _ = call("GET", "/_stcore/health")
    assert routes.CSRF_COOKIE not in cookies_set(plain)
