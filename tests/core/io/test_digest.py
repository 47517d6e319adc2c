"""The e-mail digest against a real SMTP server on a loopback port (aiosmtpd): who gets
it, what it says (both parts, links, the unsubscribe link), once per period, and
nothing recorded when the server refuses or is down."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import Session, select

from core.io import digest, mail
from core.models import DigestFrequency, DigestSent, Role, User
from core.people import accounts
from core.people.permissions import Actor
from core.store.db import write_session
from tests.core.io.conftest import BASE_URL, MAIL_FROM, PASSWORD, SECRET_KEY

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # a Monday: ISO week 2026-W50
OPERATOR = Actor(user_id=None, username="cli", display_name="cli", role=Role.ADMIN)


def make_users(engine) -> dict[str, int]:
    """Two leads with e-mail (Southwest; St. Louis), and people who get none."""
    with write_session(engine) as session:
        ada = accounts.create_user(
            session=session,
            username="ada",
            role="lead",
            password="correct horse battery staple",
            display_name="Ada <b>Lovelace</b>",
            email="ada@example.org",
        )
        accounts.assign(session=session, user=ada, region_id="southwest")
        bob = accounts.create_user(
            session=session, username="bob", role="lead", email="bob@example.org"
        )
        accounts.assign(session=session, user=bob, region_id="st-louis")
        accounts.create_user(session=session, username="vic", role="viewer", email="v@example.org")
        accounts.create_user(session=session, username="nomail", role="lead")
        off = accounts.create_user(session=session, username="off", role="lead", email="o@b.org")
        off.digest = DigestFrequency.OFF
        return {"ada": ada.id or 0, "bob": bob.id or 0}


def run(engine, *, now: datetime = NOW, dry_run: bool = False) -> digest.DigestRun:
    with write_session(engine) as session:
        return digest.send_digests(
            session=session, actor=OPERATOR, now=now, today=now.date(), dry_run=dry_run
        )


def sent_rows(engine) -> list[tuple[int, str, str]]:
    with Session(engine) as session:
        rows = session.exec(select(DigestSent).order_by(DigestSent.user_id)).all()
        return [(r.user_id, r.period, r.recipient) for r in rows]


@pytest.fixture
def configured(smtp, mail_settings):
    mail_settings(smtp.url)
    return smtp


def test_period_key_is_the_iso_week_or_the_day():
    assert digest.period_key("weekly", date(2026, 12, 7)) == "2026-W50"
    assert digest.period_key("weekly", date(2027, 1, 1)) == "2026-W53"
    assert digest.period_key("daily", date(2026, 12, 7)) == "2026-12-07"
    assert digest.period_key("off", date(2026, 12, 7)) is None


def test_digest_sends_each_lead_their_own_outcomes(engine, configured):
    ids = make_users(engine)
    result = run(engine)
    assert result.ok and not result.failed
    assert sorted(d.recipient for d in result.sent) == ["ada@example.org", "bob@example.org"]
    by_to = {r.rcpt_tos[0]: r for r in configured.handler.received}
    assert sorted(by_to) == ["ada@example.org", "bob@example.org"]
    assert all(r.mail_from == MAIL_FROM for r in by_to.values())
    message = by_to["ada@example.org"].message
    assert message["To"] == "ada@example.org"
    assert message["Subject"].startswith("Plan tracker: ")
    assert "overdue" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Overdue (" in text and "<h2>Overdue (" in html
    # Links to each outcome on its region page; only Southwest's for Ada.
    links = re.findall(r"https://tracker\.example\.org/region\?[^\s\"<]+", text)
    assert links
    regions = {parse_qs(urlsplit(link).query)["region"][0] for link in links}
    assert regions == {"southwest"}
    assert all(parse_qs(urlsplit(link).query)["outcome"][0] for link in links)
    # The one-click unsubscribe link, signed for Ada, in both parts and the header.
    token = digest.unsubscribe_token(ids["ada"], SECRET_KEY)
    unsubscribe = f"{BASE_URL}/unsubscribe?u={ids['ada']}&t={token}"
    assert unsubscribe in text
    assert unsubscribe.replace("&", "&amp;") in html
    assert message["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # What people typed is escaped in the HTML part.
    assert "Ada &lt;b&gt;Lovelace&lt;/b&gt;" in html and "<b>Lovelace" not in html
    assert sent_rows(engine) == [
        (ids["ada"], "2026-W50", "ada@example.org"),
        (ids["bob"], "2026-W50", "bob@example.org"),
    ]


def test_no_second_digest_within_the_interval(engine, configured):
    ids = make_users(engine)
    assert len(run(engine).sent) == 2
    assert run(engine, now=NOW + timedelta(days=3)).sent == []  # same week
    assert len(configured.messages) == 2
    with write_session(engine) as session:
        user = session.get(User, ids["bob"])
        assert user is not None
        accounts.set_digest_frequency(
            session=session, actor=Actor(ids["bob"], "bob", "bob", Role.LEAD), frequency="daily"
        )
    # Bob now daily: one today (a new period kind), none again today, one tomorrow.
    assert [d.recipient for d in run(engine, now=NOW + timedelta(hours=1)).sent] == [
        "bob@example.org"
    ]
    assert run(engine, now=NOW + timedelta(hours=2)).sent == []
    next_week = run(engine, now=NOW + timedelta(days=7))
    assert sorted(d.recipient for d in next_week.sent) == ["ada@example.org", "bob@example.org"]
    assert len(configured.messages) == 5


def test_dry_run_sends_and_records_nothing(engine, configured):
    make_users(engine)
    result = run(engine, dry_run=True)
    assert sorted(d.recipient for d in result.sent) == ["ada@example.org", "bob@example.org"]
    assert configured.messages == [] and sent_rows(engine) == []
    assert len(run(engine).sent) == 2  # the real run still sends


def test_a_refused_recipient_is_not_recorded_and_the_others_still_go(engine, configured):
    ids = make_users(engine)
    configured.handler.refuse.add("ada@example.org")
    result = run(engine)
    assert [d.recipient for d in result.sent] == ["bob@example.org"]
    assert [(d.recipient, "550" in why) for d, why in result.failed] == [("ada@example.org", True)]
    assert not result.ok
    assert sent_rows(engine) == [(ids["bob"], "2026-W50", "bob@example.org")]
    configured.handler.refuse.clear()
    assert [d.recipient for d in run(engine).sent] == ["ada@example.org"]  # tried again


def test_a_refused_login_records_nothing(engine, start_smtp, mail_settings):
    server = start_smtp(refuse_login=True)
    mail_settings(f"smtp://tracker:{PASSWORD}@127.0.0.1:{server.port}")
    make_users(engine)
    with pytest.raises(mail.MailError, match="refused the login of 'tracker'") as caught:
        run(engine)
    assert PASSWORD not in str(caught.value)
    assert sent_rows(engine) == [] and server.messages == []


def test_a_server_that_is_down_records_nothing(engine, mail_settings, smtp):
    from tests.core.io.conftest import free_port

    mail_settings(f"smtp://127.0.0.1:{free_port()}")
    make_users(engine)
    with pytest.raises(mail.MailError, match="cannot be reached"):
        run(engine)
    assert sent_rows(engine) == []


def test_missing_settings_are_named(engine, monkeypatch, configured):
    make_users(engine)
    monkeypatch.delenv("TRACKER_BASE_URL")
    from core import config

    config.get_settings.cache_clear()
    with pytest.raises(digest.DigestError, match="TRACKER_BASE_URL"):
        run(engine)


def test_only_admins_send_digests(engine, configured):
    lead = Actor(user_id=1, username="ada", display_name="Ada", role=Role.LEAD)
    with write_session(engine) as session, pytest.raises(Exception, match="Only admins"):
        digest.send_digests(session=session, actor=lead, now=NOW, today=NOW.date())


def test_unsubscribe_link_turns_the_digest_off_and_a_forged_one_is_refused(engine):
    ids = make_users(engine)
    with write_session(engine) as session, pytest.raises(digest.DigestError, match="not valid"):
        digest.unsubscribe(session=session, user_id=str(ids["ada"]), token="0" * 32, key=SECRET_KEY)
    token = digest.unsubscribe_token(ids["bob"], SECRET_KEY)
    with write_session(engine) as session, pytest.raises(digest.DigestError):
        digest.unsubscribe(session=session, user_id=str(ids["ada"]), token=token, key=SECRET_KEY)
    with write_session(engine) as session:
        digest.unsubscribe(session=session, user_id=str(ids["bob"]), token=token, key=SECRET_KEY)
    with Session(engine) as session:
        assert session.get(User, ids["bob"]).digest == "off"  # type: ignore[union-attr]
        assert session.get(User, ids["ada"]).digest == "weekly"  # type: ignore[union-attr]
