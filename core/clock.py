"""Time: every timestamp the tracker stores or compares is timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Timestamps are timezone-aware UTC (SQLModel stores and returns them so)."""
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime:
    """`value` as aware UTC (naive values are taken to be UTC); None → now."""
    if value is None:
        return utcnow()
    return value.replace(tzinfo=UTC) if value.utcoffset() is None else value.astimezone(UTC)
