"""Sending e-mail: the SMTP server named by TRACKER_SMTP_URL, and the e-mailed
progress report.

`smtp://user:password@host:587` sends over STARTTLS, which is required unless the
server is on this machine (loopback); `smtps://user:password@host:465` uses implicit
TLS. Every failure becomes a `MailError` whose message names the server (host and
port, never the password) and what to check; nothing is logged.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from types import TracebackType
from urllib.parse import unquote, urlsplit

from sqlmodel import Session

from core.config import Settings, get_settings
from core.errors import TrackerError
from core.progress import queries
from core.progress.filters import OutcomeFilter
from core.progress.schedule import DEFAULT_SOON_DAYS

DEFAULT_PORTS = {"smtp": 587, "smtps": 465}
TIMEOUT_S = 30


class MailError(TrackerError):
    """The mail could not be sent; the message says why and what to check."""


class RecipientRefused(MailError):
    """The server refused this message's recipient(s); other messages may still go."""


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    implicit_tls: bool
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def is_loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def parse_smtp_url(url: str) -> SmtpServer:
    """The server in an smtp:// or smtps:// URL; MailError (without the URL, which
    holds the password) when it is not one."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise MailError(
            "TRACKER_SMTP_URL is not a valid URL: use smtp://user:password@host:587 "
            "(STARTTLS) or smtps://user:password@host:465 (implicit TLS)."
        ) from None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise MailError(
            "TRACKER_SMTP_URL must start with smtp:// (STARTTLS) or smtps:// (implicit TLS) "
            "and name a host, e.g. smtp://user:password@mail.example.org:587."
        )
    return SmtpServer(
        host=parts.hostname,
        port=port or DEFAULT_PORTS[parts.scheme],
        implicit_tls=parts.scheme == "smtps",
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def configured_server(settings: Settings | None = None) -> SmtpServer:
    url = (settings or get_settings()).tracker_smtp_url
    if url is None or not url.get_secret_value().strip():
        raise MailError(
            "No mail server is set: set TRACKER_SMTP_URL (e.g. "
            "smtp://user:password@mail.example.org:587) and TRACKER_MAIL_FROM."
        )
    return parse_smtp_url(url.get_secret_value())


def configured_sender(settings: Settings | None = None) -> str:
    sender = ((settings or get_settings()).tracker_mail_from or "").strip()
    if not sender:
        raise MailError(
            "TRACKER_MAIL_FROM is not set: set it to the address mail is sent from, "
            "e.g. tracker@example.org."
        )
    return sender


def ascii_address(address: str) -> str:
    """The address with its domain in IDNA form, for servers without SMTPUTF8."""
    local, _, domain = address.rpartition("@")
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError:
        return address


class Mailer:
    """One connection to the server, for sending several messages:
    `with Mailer(server) as mailer: mailer.send(message)`."""

    def __init__(self, server: SmtpServer, *, timeout: float = TIMEOUT_S) -> None:
        self.server = server
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        try:
            self._smtp = self._connect()
        except smtplib.SMTPAuthenticationError:
            raise MailError(
                f"The mail server {self.server.name} refused the login of "
                f"{self.server.username!r}: check the user and password in "
                "TRACKER_SMTP_URL. Nothing was sent."
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise MailError(
                f"The mail server {self.server.name}: {exc} Nothing was sent."
            ) from None
        except ssl.SSLError as exc:
            raise MailError(
                f"TLS with the mail server {self.server.name} failed ({exc.reason or exc}). "
                "Nothing was sent."
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(
                f"The mail server {self.server.name} cannot be reached or closed the "
                f"connection ({_reason(exc)}): check TRACKER_SMTP_URL and that the server "
                "is up. Nothing was sent."
            ) from None
        return self

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.server.implicit_tls:
            smtp = smtplib.SMTP_SSL(
                self.server.host, self.server.port, timeout=self.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(self.server.host, self.server.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if not self.server.implicit_tls:
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=context)
                    smtp.ehlo()
                elif not self.server.is_loopback:
                    # Never send a password or a digest in the clear over a network.
                    raise smtplib.SMTPNotSupportedError(
                        "it does not offer STARTTLS, which is required for a server on "
                        "another machine; use smtps:// or a server that offers STARTTLS."
                    )
            if self.server.username:
                smtp.login(self.server.username, self.server.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: EmailMessage) -> dict[str, str]:
        """Send `message`; the recipients the server refused (when some were accepted)
        with its reply. RecipientRefused when it refused them all, MailError otherwise."""
        if self._smtp is None:
            raise MailError("Not connected to the mail server.")
        try:
            refused = self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise RecipientRefused(
                f"The mail server {self.server.name} refused "
                f"{_refusals(exc.recipients)}. Nothing was sent to them."
            ) from None
        except smtplib.SMTPSenderRefused as exc:
            raise MailError(
                f"The mail server {self.server.name} refused the sender {exc.sender!r} "
                f"({_reply(exc.smtp_code, exc.smtp_error)}): check TRACKER_MAIL_FROM."
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise MailError(
                f"The mail server {self.server.name} refused the message "
                f"({_reply(exc.smtp_code, exc.smtp_error)})."
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(
                f"The connection to the mail server {self.server.name} failed "
                f"({_reason(exc)}). The message was not sent."
            ) from None
        return {to: _reply(code, text) for to, (code, text) in refused.items()}

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (OSError, smtplib.SMTPException):
            self._smtp.close()
        self._smtp = None


def _reply(code: int, text: bytes | str) -> str:
    detail = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {detail}".strip()


def _refusals(recipients: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{to} ({_reply(code, text)})" for to, (code, text) in recipients.items())


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.gaierror):
        return "unknown host"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def new_message(*, sender: str, to: list[str], subject: str, text: str) -> EmailMessage:
    """A plain-text message with the headers every message of the tracker carries."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(ascii_address(a) for a in to)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    message.set_content(text)
    return message


def report_message(
    *, sender: str, to: list[str], title: str, today: date, summary: list[str], html: str
) -> EmailMessage:
    """The printable progress report as an attachment, its summary in the body."""
    lines = [
        f"{title}: the progress report as of {today.isoformat()}.",
        "",
        *summary,
        "",
        "The full report is attached: open it in a browser to read or print it.",
    ]
    message = new_message(
        sender=sender,
        to=to,
        subject=f"Progress report, {today.isoformat()}: {title}",
        text="\n".join(lines) + "\n",
    )
    # Text, not bytes: the part then says charset=utf-8 (bytes would be read as ASCII).
    message.add_attachment(
        html, subtype="html", charset="utf-8", filename=f"progress-report-{today.isoformat()}.html"
    )
    return message


def report_summary(session: Session, *, today: date, flt: OutcomeFilter, scope: str) -> list[str]:
    """The report's headline figures in words, for the body of the e-mail."""
    flt = dataclasses.replace(flt, today=today, include_retired=False)
    total = queries.completion(session, flt)[0]
    counts = queries.schedule_counts(session, today, DEFAULT_SOON_DAYS, flt)
    rate = f" ({total['rate']:.0%} of active)" if total["rate"] is not None else ""
    return [
        f"Scope: {scope or 'the whole plan'}.",
        f"{total['total']:,} outcomes: {total['done']:,} done{rate}, {counts['open']:,} open.",
        f"{counts['overdue']:,} overdue, {counts['due_soon']:,} due in the next "
        f"{DEFAULT_SOON_DAYS} days, {counts['blocked']:,} blocked.",
    ]
