"""A real SMTP server (aiosmtpd) on a free loopback port, for the mail tests: it keeps
every message it accepts, and can refuse recipients or every login."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from core import config

MAIL_FROM = "tracker@example.org"
BASE_URL = "https://tracker.example.org"
SECRET_KEY = "k" * 40
PASSWORD = "s3cret-smtp-password"


@dataclass
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class Handler:
    refuse: set[str] = field(default_factory=set)  # recipients answered with 550
    received: list[Received] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted"


@dataclass
class SmtpServer:
    port: int
    handler: Handler

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        return [r.message for r in self.handler.received]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _refuse_every_login(server, session, envelope, mechanism, auth_data) -> AuthResult:
    return AuthResult(success=False, handled=False)


@pytest.fixture
def start_smtp() -> Iterator[Callable[..., SmtpServer]]:
    """`start_smtp(refuse_login=False)`: a server on 127.0.0.1 (no TLS: loopback)."""
    controllers: list[Controller] = []

    def start(*, refuse_login: bool = False) -> SmtpServer:
        handler = Handler()
        port = free_port()
        kwargs = {}
        if refuse_login:
            kwargs = {"authenticator": _refuse_every_login, "auth_require_tls": False}
        controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        controllers.append(controller)
        return SmtpServer(port, handler)

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def smtp(start_smtp) -> SmtpServer:
    return start_smtp()


@pytest.fixture
def mail_settings(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """`mail_settings(smtp_url)`: point the settings at a server."""

    def configure(url: str) -> None:
        monkeypatch.setenv("TRACKER_SMTP_URL", url)
        monkeypatch.setenv("TRACKER_MAIL_FROM", MAIL_FROM)
        monkeypatch.setenv("TRACKER_BASE_URL", BASE_URL)
        monkeypatch.setenv("TRACKER_SECRET_KEY", SECRET_KEY)
        config.get_settings.cache_clear()

    return configure
