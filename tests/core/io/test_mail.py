"""TRACKER_SMTP_URL, the mail connection's messages, and the commands that send mail
(`python -m core report --email`, `python -m core digest`), against a real SMTP server
on a loopback port (aiosmtpd)."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from core.cli.main import main
from core.config import Settings
from core.io import mail
from core.people import accounts
from core.store.bootstrap import init_db
from core.store.db import make_engine, write_session
from tests.core.io.conftest import PASSWORD, free_port


def test_smtp_url_is_parsed_and_the_password_never_shown():
    server = mail.parse_smtp_url(f"smtp://ada%40org:{PASSWORD}@mail.example.org:2525")
    assert (server.host, server.port, server.implicit_tls) == ("mail.example.org", 2525, False)
    assert (server.username, server.password) == ("ada@org", PASSWORD)
    assert PASSWORD not in repr(server)
    assert mail.parse_smtp_url("smtp://mail.example.org").port == 587
    secure = mail.parse_smtp_url("smtps://u:p@mail.example.org")
    assert (secure.port, secure.implicit_tls) == (465, True)


@pytest.mark.parametrize(
    "url", [f"http://u:{PASSWORD}@mail.example.org", "smtp://", f"smtp://u:{PASSWORD}@h:99999"]
)
def test_a_bad_smtp_url_is_refused_without_showing_it(url):
    with pytest.raises(mail.MailError, match="TRACKER_SMTP_URL") as caught:
        mail.parse_smtp_url(url)
    assert PASSWORD not in str(caught.value)


def test_an_unset_server_or_sender_is_named():
    with pytest.raises(mail.MailError, match="TRACKER_SMTP_URL"):
        mail.configured_server(Settings(tracker_smtp_url=None))
    with pytest.raises(mail.MailError, match="TRACKER_MAIL_FROM"):
        mail.configured_sender(Settings(tracker_mail_from=" "))
    assert mail.configured_server(Settings(tracker_smtp_url=SecretStr("smtps://h"))).port == 465


def test_starttls_is_required_off_this_machine():
    assert mail.SmtpServer("127.0.0.1", 25, False).is_loopback
    assert mail.SmtpServer("localhost", 25, False).is_loopback
    assert not mail.SmtpServer("192.0.2.10", 25, False).is_loopback


def test_a_loopback_server_without_starttls_is_used_and_one_elsewhere_refused(smtp, monkeypatch):
    message = mail.new_message(
        sender="t@example.org", to=["ada@example.org"], subject="Hi", text="Hello"
    )
    with mail.Mailer(mail.parse_smtp_url(smtp.url)) as connection:
        assert connection.send(message) == {}
    assert smtp.messages[0]["Subject"] == "Hi"
    # The same server seen as another machine: no STARTTLS offered, so nothing is sent.
    monkeypatch.setattr(mail.SmtpServer, "is_loopback", property(lambda self: False))
    with pytest.raises(mail.MailError, match="STARTTLS"):
        with mail.Mailer(mail.parse_smtp_url(smtp.url)):
            pass
    assert len(smtp.messages) == 1


def test_a_server_that_is_down_gets_a_clear_message():
    with pytest.raises(mail.MailError, match=r"cannot be reached .*connection refused"):
        with mail.Mailer(mail.SmtpServer("127.0.0.1", free_port(), False), timeout=5):
            pass


# ---- the commands ------------------------------------------------------------------


@pytest.fixture
def cli_db(mail_settings, smtp):
    """The database the command line opens (the test's settings), with a lead."""
    mail_settings(smtp.url)
    engine = make_engine()
    init_db(engine)
    with write_session(engine) as session:
        ada = accounts.create_user(session=session, username="ada", role="lead", email="a@x.org")
        accounts.assign(session=session, user=ada, region_id="central")
    engine.dispose()
    return smtp


def test_report_email_attaches_the_report_with_a_summary(cli_db, capsys, tmp_path):
    out = tmp_path / "report.html"
    code = main(["report", str(out), "--email", "Chair@Example.org", "board@example.org"])
    assert code == 0, capsys.readouterr().err
    (message,) = cli_db.messages
    assert message["To"] == "chair@example.org, board@example.org"
    assert message["Subject"].startswith("Progress report, ")
    body = message.get_body(("plain",)).get_content()
    assert "outcomes:" in body and "overdue" in body and "Scope: the whole plan." in body
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/html"
    assert attachment.get_filename().startswith("progress-report-")
    # Text parts travel with CRLF line ends; the report itself is unchanged.
    assert attachment.get_content().replace("\r\n", "\n") == out.read_text(encoding="utf-8")
    assert "E-mailed the progress report to chair@example.org" in capsys.readouterr().out


def test_report_email_refuses_a_bad_address_and_sends_nothing(cli_db, capsys):
    assert main(["report", "--email", "not an address"]) == 1
    assert "not a valid address" in capsys.readouterr().err
    assert main(["report"]) == 2
    assert cli_db.messages == []


def test_digest_command_dry_run_then_sends_once(cli_db, capsys):
    now = ["--now", "2026-12-07T08:00+00:00"]
    assert main(["digest", "--dry-run", *now]) == 0
    out = capsys.readouterr().out
    assert "would send the weekly digest (2026-W50) to a@x.org" in out
    assert "https://tracker.example.org/unsubscribe?u=" in out
    assert cli_db.messages == []
    assert main(["digest", *now]) == 0
    assert "Sent the weekly digest (2026-W50) to a@x.org" in capsys.readouterr().out
    assert main(["digest", *now]) == 0
    assert "0 digests sent" in capsys.readouterr().out
    assert len(cli_db.messages) == 1


def test_digest_command_with_the_server_down_exits_4(cli_db, mail_settings, capsys):
    mail_settings(f"smtp://127.0.0.1:{free_port()}")
    assert main(["digest", "--now", "2026-12-07T08:00+00:00"]) == 4
    assert "cannot be reached" in capsys.readouterr().err
