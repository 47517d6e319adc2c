"""A person's calendar feed: the open outcomes in their scope as iCalendar, the same
events as the static .ics download (core.io.exports.to_ics), each linking back to its
region's page. The feed's URL holds a secret (core.people.sessions.new_feed_token)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlmodel import Session

from core.io import exports
from core.models import Status, User
from core.people.permissions import actor_for
from core.progress import queries
from core.progress.filters import OutcomeFilter
from core.progress.schedule import is_closed

OPEN_STATUSES = tuple(s.value for s in Status if not is_closed(s.value))


def feed_rows(*, session: Session, user: User) -> list[dict]:
    """The open outcomes `user` is responsible for: a lead's assigned regions and
    strategies; the whole plan for anyone without assignments (admins, viewers)."""
    actor = actor_for(session, user)
    rows = queries.outcome_rows(session, OutcomeFilter(statuses=OPEN_STATUSES), members=False)
    if not (actor.region_ids or actor.strategy_ids):
        return rows
    return [
        r
        for r in rows
        if r["region_id"] in actor.region_ids or r["strategy_id"] in actor.strategy_ids
    ]


def calendar_feed(
    *, session: Session, user: User, base_url: str, now: datetime | None = None
) -> bytes:
    """The feed's body (text/calendar). `base_url` is the app's address, for the links."""
    base = base_url.rstrip("/")

    def link(row: Mapping[str, Any]) -> str:
        return f"{base}/region?{urlencode({'region': row['region_id']})}"

    return exports.to_ics(
        feed_rows(session=session, user=user),
        calendar_name=f"Plan tracker: {user.display_name}",
        now=now,
        link=link,
    )
