"""The e-mail digest: for each lead (and admin) with an e-mail address, what needs them
now — overdue, due in the next 14 days, Blocked, not updated in 30 days or more, and
the mentions since their last digest — sent weekly (the default) or daily.

A digest is sent once per period (the ISO week "2026-W49", or the day "2026-12-03"):
`DigestSent` records it, claimed in a savepoint before the message goes out and
committed only once the server has accepted it, so a refusal or a fault records
nothing and the next run tries again, and two runs cannot both record one period.
Every link goes to TRACKER_BASE_URL; the unsubscribe link is signed (HMAC-SHA256 with
TRACKER_SECRET_KEY, else TRACKER_BACKUP_KEY) so nobody can turn off another's digest.
"""

from __future__ import annotations

import hashlib
import hmac
import html
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.config import Settings, get_settings
from core.errors import TrackerError
from core.io import mail
from core.models import DigestFrequency, DigestSent, Role, Status, User
from core.people.permissions import Actor, actor_for, outcome_scope, require_admin
from core.progress import comments, derived, queries
from core.progress.filters import OutcomeFilter
from core.progress.schedule import CLOSED, Schedule

DUE_SOON_DAYS = 14
STALE_DAYS = 30
LIST_LIMIT = 25  # outcomes listed per group; the rest are counted, with a link to all
MENTION_CHARS = 200  # of a comment, in the digest
MIN_KEY_LENGTH = 32
UNSUBSCRIBE_PATH = "/unsubscribe"  # a route of the App server (ui/routes.py)
INTERVALS = {DigestFrequency.WEEKLY: timedelta(days=7), DigestFrequency.DAILY: timedelta(days=1)}
# The digest's groups, in order; an outcome is listed in the first one it meets.
GROUPS = (
    ("overdue", "Overdue"),
    ("due_soon", f"Due in the next {DUE_SOON_DAYS} days"),
    ("blocked", "Blocked"),
    ("stale", f"Not updated in {STALE_DAYS} days or more"),
)


class DigestError(TrackerError):
    """The digest cannot be built or sent as configured; the message says what to set."""


@dataclass
class Digest:
    """One person's digest for one period."""

    user_id: int
    username: str
    display_name: str
    recipient: str
    frequency: str
    period: str
    groups: dict[str, list[dict[str, Any]]]
    mentions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.mentions and not any(self.groups.values())

    def counts(self) -> str:
        parts = [
            f"{len(rows):,} {label.lower()}" for key, label in GROUPS if (rows := self.groups[key])
        ]
        if self.mentions:
            n = len(self.mentions)
            parts.append(f"{n} mention{'s' if n != 1 else ''}")
        return " · ".join(parts)


@dataclass
class DigestRun:
    """What a run did: digests sent (or, dry, that would be), and those that failed."""

    sent: list[Digest] = field(default_factory=list)
    failed: list[tuple[Digest, str]] = field(default_factory=list)
    nothing_due: int = 0  # people whose digest would be empty: none is sent
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed


def period_key(frequency: str, today: date) -> str | None:
    """The period a digest belongs to: ISO week for weekly, the day for daily."""
    if frequency == DigestFrequency.WEEKLY:
        year, week, _ = today.isocalendar()
        return f"{year}-W{week:02d}"
    if frequency == DigestFrequency.DAILY:
        return today.isoformat()
    return None


# ---- links and the unsubscribe token ----------------------------------------------


def secret_key(settings: Settings | None = None) -> str:
    settings = settings or get_settings()
    for name, value in (
        ("TRACKER_SECRET_KEY", settings.tracker_secret_key),
        ("TRACKER_BACKUP_KEY", settings.tracker_backup_key),
    ):
        if value is not None and value.get_secret_value():
            key = value.get_secret_value()
            if len(key) < MIN_KEY_LENGTH:
                raise DigestError(
                    f"{name} is {len(key)} characters long; use at least {MIN_KEY_LENGTH}."
                )
            return key
    raise DigestError(
        "Set TRACKER_SECRET_KEY (at least 32 characters, e.g. the output of "
        '`python -c "import secrets; print(secrets.token_urlsafe(32))"`): it signs the '
        "unsubscribe links in digests, and the app checks them with it."
    )


def base_url(settings: Settings | None = None) -> str:
    url = ((settings or get_settings()).tracker_base_url or "").strip().rstrip("/")
    if not url.startswith(("https://", "http://")):
        raise DigestError(
            "Set TRACKER_BASE_URL to the app's address as people open it (e.g. "
            "https://tracker.example.org): the links in e-mails go there."
        )
    return url


def unsubscribe_token(user_id: int, key: str) -> str:
    message = f"digest-unsubscribe:{user_id}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:32]


def outcome_link(base: str, row: dict[str, Any]) -> str:
    """The outcome's region page (as the calendar feed links), naming the outcome."""
    query = {"region": row.get("region_id") or "", "outcome": row.get("outcome_id") or ""}
    return f"{base}/region?{urlencode(query)}"


def unsubscribe_link(base: str, user_id: int, key: str) -> str:
    return f"{base}{UNSUBSCRIBE_PATH}?u={user_id}&t={quote(unsubscribe_token(user_id, key))}"


def unsubscribe(*, session: Session, user_id: str, token: str, key: str | None = None) -> User:
    """Turn off the digest of the user the signed link names (one click, no sign-in)."""
    key = key or secret_key()
    user = session.get(User, int(user_id)) if user_id.isdigit() else None
    if (
        user is None
        or user.id is None
        or not hmac.compare_digest(unsubscribe_token(user.id, key), token)
    ):
        raise DigestError(
            "This unsubscribe link is not valid (it may be cut short): sign in and turn "
            "the digest off on My work instead."
        )
    user.digest = DigestFrequency.OFF
    session.add(user)
    session.flush()
    return user


# ---- who gets what ------------------------------------------------------------------


def _open_rows(session: Session, today: date) -> list[dict[str, Any]]:
    """Every open outcome of the plan, annotated (schedule as of today, freshness)."""
    open_statuses = tuple(s for s in Status if s.value not in CLOSED)
    flt = OutcomeFilter(statuses=tuple(s.value for s in open_statuses), order="due")
    rows = queries.outcome_rows(session, flt, members=True)
    summaries = derived.term_summaries(session, today)
    return derived.annotate(rows, summaries, today, DUE_SOON_DAYS)


def _group_of(row: dict[str, Any]) -> str | None:
    if row["schedule"] == Schedule.OVERDUE.value:
        return "overdue"
    if row["schedule"] == Schedule.DUE_SOON.value:
        return "due_soon"
    if row["status"] == Status.BLOCKED.value:
        return "blocked"
    age = row["freshness_days"]
    if age is None or age >= STALE_DAYS:
        return "stale"
    return None


def groups_for(actor: Actor, rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The actor's outcomes among `rows` (an admin's: all), by what needs them."""
    return _grouped(actor, _PlanIndex(rows))


class _PlanIndex:
    """The open rows by region and by strategy, built once for every digest of a run."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.by_region: dict[str, list[dict[str, Any]]] = {}
        self.by_strategy: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            self.by_region.setdefault(row["region_id"], []).append(row)
            self.by_strategy.setdefault(row["strategy_id"], []).append(row)

    def of(self, actor: Actor) -> list[dict[str, Any]]:
        if actor.is_admin:
            return self.rows
        mine = {id(r): r for k in actor.region_ids for r in self.by_region.get(k, [])}
        mine.update({id(r): r for k in actor.strategy_ids for r in self.by_strategy.get(k, [])})
        return sorted(mine.values(), key=lambda r: (r["due_date"], r["outcome_id"]))


def _grouped(actor: Actor, index: _PlanIndex) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {key: [] for key, _ in GROUPS}
    for row in index.of(actor):
        if (group := _group_of(row)) is not None:
            groups[group].append(row)
    return groups


def _mentions(session: Session, username: str, since: datetime) -> list[dict[str, Any]]:
    """Comments mentioning @username since `since`, each with its outcome's region."""
    out = []
    for comment in comments.mentions_of(session, username, since):
        scope = outcome_scope(session, outcome_id=comment["outcome_id"])
        body = " ".join(str(comment.get("body", "")).split())
        out.append(
            {
                "outcome_id": comment["outcome_id"],
                "region_id": scope.region_id if scope else "",
                "author": comment.get("author", ""),
                "text": body[:MENTION_CHARS] + ("…" if len(body) > MENTION_CHARS else ""),
            }
        )
    return out


def due_digests(session: Session, *, now: datetime, today: date) -> tuple[list[Digest], int]:
    """The digests due now: active leads and admins with an e-mail address and a digest
    not off, not yet sent this period; and how many of them have nothing to say."""
    users = session.exec(
        select(User)
        .where(
            col(User.active).is_(True),
            col(User.email).is_not(None),
            col(User.digest) != DigestFrequency.OFF.value,
            col(User.role).in_((Role.LEAD.value, Role.ADMIN.value)),
        )
        .order_by(col(User.username))
    ).all()
    periods = {u.id: period_key(u.digest, today) for u in users}
    sent = set(
        session.exec(
            select(DigestSent.user_id, DigestSent.period).where(
                col(DigestSent.period).in_({p for p in periods.values() if p})
            )
        ).all()
    )
    last_sent = dict(
        session.exec(
            select(DigestSent.user_id, func.max(DigestSent.sent_at)).group_by(
                col(DigestSent.user_id)
            )
        ).all()
    )
    index: _PlanIndex | None = None
    digests, nothing_due = [], 0
    for user in users:
        period = periods[user.id]
        if user.id is None or period is None or (user.id, period) in sent:
            continue
        index = _PlanIndex(_open_rows(session, today)) if index is None else index
        frequency = DigestFrequency(user.digest)
        since = last_sent.get(user.id) or now - INTERVALS[frequency]
        digest = Digest(
            user_id=user.id,
            username=user.username,
            display_name=user.display_name,
            recipient=user.email or "",
            frequency=frequency.value,
            period=period,
            groups=_grouped(actor_for(session, user), index),
            mentions=_mentions(session, user.username, since),
        )
        if digest.empty:
            nothing_due += 1
        else:
            digests.append(digest)
    return digests, nothing_due


# ---- the message ------------------------------------------------------------------


def _line(row: dict[str, Any]) -> str:
    """An outcome in a few words: where it is, what it says, when it is due."""
    if row["schedule"] == Schedule.OVERDUE.value:
        when = f"{row['days_overdue']} days overdue"
    elif row["days_to_due"] >= 0:
        when = f"due {row['due_date'].isoformat()}"
    else:
        when = f"was due {row['due_date'].isoformat()}"
    age = row["freshness_days"]
    updated = "never updated" if age is None else f"updated {age} days ago"
    term = f"{row['term']}-term #{row['number']}"
    return (
        f"{row['region']} · {row['strategy'] or ''} · {term} · {row['status']}, {when}, {updated}"
    )


def digest_text(digest: Digest, *, base: str, key: str) -> str:
    label = "weekly" if digest.frequency == DigestFrequency.WEEKLY else "daily"
    out = [f"Hello {digest.display_name},", "", f"Your {label} digest: {digest.counts()}.", ""]
    for group, title in GROUPS:
        if rows := digest.groups[group]:
            out += [f"{title} ({len(rows):,})", "-" * len(title)]
            for row in rows[:LIST_LIMIT]:
                out += [
                    f"* {row['text']}",
                    f"  {_line(row)}",
                    f"  {outcome_link(base, row)}",
                ]
            if len(rows) > LIST_LIMIT:
                out.append(f"… and {len(rows) - LIST_LIMIT:,} more on My work: {base}/")
            out.append("")
    if digest.mentions:
        out += ["Mentions since your last digest", "-" * 31]
        for m in digest.mentions[:LIST_LIMIT]:
            out += [
                f"* {m.get('author', '')}: {m.get('text', '')}",
                f"  {outcome_link(base, m)}",
            ]
        out.append("")
    out += [
        f"Open My work: {base}/",
        "",
        f"You get this {label} because you lead part of the plan. Choose daily, weekly or "
        "off on My work, or stop these e-mails in one click:",
        unsubscribe_link(base, digest.user_id, key),
    ]
    return "\n".join(out) + "\n"


def _a(href: str, text: str) -> str:
    return f'<a href="{html.escape(href, quote=True)}">{html.escape(text)}</a>'


def digest_html(digest: Digest, *, base: str, key: str) -> str:
    """The HTML part: every text from the database escaped, every link quoted."""
    label = "weekly" if digest.frequency == DigestFrequency.WEEKLY else "daily"
    out = [
        f"<p>Hello {html.escape(digest.display_name)},</p>",
        f"<p>Your {label} digest: <strong>{html.escape(digest.counts())}</strong>.</p>",
    ]
    for group, title in GROUPS:
        if rows := digest.groups[group]:
            out.append(f"<h2>{html.escape(title)} ({len(rows):,})</h2><ul>")
            for row in rows[:LIST_LIMIT]:
                link = _a(outcome_link(base, row), row["text"])
                out.append(f"<li>{link}<br><small>{html.escape(_line(row))}</small></li>")
            out.append("</ul>")
            if len(rows) > LIST_LIMIT:
                more = f"… and {len(rows) - LIST_LIMIT:,} more on My work"
                out.append(f"<p>{_a(base + '/', more)}</p>")
    if digest.mentions:
        out.append("<h2>Mentions since your last digest</h2><ul>")
        for m in digest.mentions[:LIST_LIMIT]:
            link = _a(outcome_link(base, m), m.get("text", ""))
            out.append(f"<li>{html.escape(str(m.get('author', '')))}: {link}</li>")
        out.append("</ul>")
    out += [
        f"<p>{_a(base + '/', 'Open My work')}</p>",
        f"<p><small>You get this {label} because you lead part of the plan. Choose daily, "
        "weekly or off on My work, or "
        f"{_a(unsubscribe_link(base, digest.user_id, key), 'unsubscribe in one click')}."
        "</small></p>",
    ]
    return "<!doctype html><html><body>" + "\n".join(out) + "</body></html>"


def digest_message(digest: Digest, *, sender: str, base: str, key: str) -> mail.EmailMessage:
    message = mail.new_message(
        sender=sender,
        to=[digest.recipient],
        subject=f"Plan tracker: {digest.counts()}",
        text=digest_text(digest, base=base, key=key),
    )
    # RFC 8058: a mail client's own "unsubscribe" button POSTs to the link.
    message["List-Unsubscribe"] = f"<{unsubscribe_link(base, digest.user_id, key)}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.add_alternative(digest_html(digest, base=base, key=key), subtype="html")
    return message


# ---- sending -----------------------------------------------------------------------


def send_digests(
    *,
    session: Session,
    actor: Actor,
    now: datetime,
    today: date,
    dry_run: bool = False,
    settings: Settings | None = None,
    mailer: Callable[[mail.SmtpServer], mail.Mailer] = mail.Mailer,
) -> DigestRun:
    """Send every digest due now, each committed as sent once the server accepted it.
    A refused recipient is reported and the others still go; a server that cannot be
    reached or refuses the login raises MailError before anything is recorded."""
    require_admin(actor, "send the e-mail digests")
    settings = settings or get_settings()
    base, key = base_url(settings), secret_key(settings)
    digests, nothing_due = due_digests(session, now=now, today=today)
    run = DigestRun(nothing_due=nothing_due, dry_run=dry_run)
    if dry_run:
        run.sent = digests
        return run
    if not digests:
        return run
    server, sender = mail.configured_server(settings), mail.configured_sender(settings)
    session.commit()  # the reads above hold no lock while the server is contacted
    with mailer(server) as connection:
        for digest in digests:
            message = digest_message(digest, sender=sender, base=base, key=key)
            try:
                with session.begin_nested():
                    session.add(
                        DigestSent(
                            user_id=digest.user_id,
                            period=digest.period,
                            sent_at=now,
                            recipient=digest.recipient,
                        )
                    )
                    session.flush()  # claims the period: a concurrent run waits or fails
                    connection.send(message)
            except IntegrityError:
                continue  # another run sent this period's digest meanwhile
            except mail.MailError as exc:
                run.failed.append((digest, exc.message))
                continue
            session.commit()
            run.sent.append(digest)
    return run
