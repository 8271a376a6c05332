"""The application's notion of "now", always timezone-aware UTC.

One function so that seeding and time-travel tests can move time (time-machine patches it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, AwareDatetime

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Normalise a datetime read back from the database (SQLite drops the offset) to aware UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def local(value: datetime) -> datetime:
    return as_utc(value).astimezone(SHANGHAI)


#: The span of time a client may name. Outside it there is no meaningful hotline date, and near
#: year 1 or 9999 converting an offset to UTC, or adding working days, overflows (issue 15 §3:
#: a dispatch due 9999-12-31 made every later action on that ticket a 500).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def bounded(value: datetime) -> datetime:
    """A client's aware datetime, refused (ValueError → 422) outside 2000–2100.

    The wall-clock year is checked before any arithmetic, so an offset can never push the
    conversion past year 1 or 9999."""
    if value.tzinfo is None:
        raise ValueError("时间须带时区，例如 2026-11-21T08:00:00+08:00")
    if not EARLIEST.year <= value.year < LATEST.year or not EARLIEST <= value < LATEST:
        raise ValueError(f"时间须在 {EARLIEST.year} 年至 {LATEST.year - 1} 年之间")
    return value


BoundedDatetime = Annotated[AwareDatetime, AfterValidator(bounded)]
