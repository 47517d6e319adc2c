"""The schedule rule (on time, due soon, overdue, closed) and the term order, each in
Python and in SQL side by side; tests/core/progress/test_schedule.py checks they agree."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import case

from core.models import (
    Outcome,
    Status,
)

CLOSED = (Status.DONE.value, Status.DROPPED.value)
DEFAULT_SOON_DAYS = 60


class Schedule(StrEnum):
    ON_TIME = "On time"
    DUE_SOON = "Due soon"
    OVERDUE = "Overdue"
    CLOSED = "Closed"  # done or dropped: no longer on a schedule


def schedule_of(
    status: str, due: date, today: date, soon_days: int = DEFAULT_SOON_DAYS
) -> Schedule:
    if status in CLOSED:
        return Schedule.CLOSED
    if due < today:
        return Schedule.OVERDUE
    if (due - today).days <= soon_days:
        return Schedule.DUE_SOON
    return Schedule.ON_TIME


def freshness_days(last_updated: datetime | None, today: date) -> int | None:
    return None if last_updated is None else max(0, (today - last_updated.date()).days)


TERM_ORDER = case({"short": 0, "medium": 1, "long": 2}, value=Outcome.term, else_=3)
