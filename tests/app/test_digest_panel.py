"""The digest in the app: the unsubscribe route (GET asks, POST turns it off; a forged
link is refused) and the admins' "Send digests now" button on the Users page."""

from __future__ import annotations

from sqlmodel import Session, select

from core import config
from core.io import digest
from core.models import DigestSent, User
from tests.core.io.conftest import (  # noqa: F401 (fixtures)
    SECRET_KEY,
    mail_settings,
    smtp,
    start_smtp,
)

from .conftest import by_label, make_user, texts
from .test_routes import call


def test_unsubscribe_link_asks_then_turns_the_digest_off(db, monkeypatch) -> None:
    monkeypatch.setenv("TRACKER_SECRET_KEY", SECRET_KEY)
    config.get_settings.cache_clear()
    lead = make_user(db, "lead-sw", region="southwest")
    path = f"/unsubscribe?u={lead}&t={digest.unsubscribe_token(lead, SECRET_KEY)}"

    status, _, body = call("GET", path)
    assert status == 200 and b"<form method='post'" in body
    with Session(db) as session:
        assert session.get(User, lead).digest == "weekly"  # type: ignore[union-attr]

    status, _, body = call("POST", path[:-4] + "0000")  # a forged token
    assert status == 400 and b"not valid" in body
    status, _, body = call("POST", path)
    assert status == 200 and b"no more digests" in body
    with Session(db) as session:
        assert session.get(User, lead).digest == "off"  # type: ignore[union-attr]


def test_admin_sends_digests_now(db, new_app, smtp, mail_settings) -> None:  # noqa: F811
    mail_settings(smtp.url)
    admin = make_user(db, "admin", "admin")
    lead = make_user(db, "lead-sw", region="southwest")
    with Session(db) as session:
        user = session.get(User, lead)
        assert user is not None
        user.email = "lead@example.org"
        session.add(user)
        session.commit()
    at = new_app("pages/users.py", user_id=admin).run()
    by_label(at.button, "Send digests now").click().run()

    assert not at.exception, [e.message for e in at.exception]
    assert texts(at.success) == ["Sent 1 digest; 0 with nothing due."]
    assert [m["To"] for m in smtp.messages] == ["lead@example.org"]
    with Session(db) as session:
        assert len(session.exec(select(DigestSent)).all()) == 1
