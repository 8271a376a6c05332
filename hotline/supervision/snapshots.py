"""Figures the board shows, computed by a periodic job and read back by every view.

Some of the board's figures replay or re-cluster a span of tickets: the month's evaluation
(tens of seconds at a million tickets) and the week's hotspots (seconds for a busy city). A
supervisor keeps the board open all day and a city registers a ticket every few seconds, so
"recompute when something changed" would mean recompute on nearly every view. Instead a job
refreshes each figure on a period, a view reads the stored one and says when it was computed,
and only a figure older than its ``max_age`` (no job running: a fresh install, or tests) is
computed by the view itself and then stored, after the read (``write_after_read``), so a GET
still never holds SQLite's write lock while it reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlmodel import Session

from hotline.core.columns import table_of
from hotline.core.db import upsert, write_after_read
from hotline.core.times import as_utc
from hotline.supervision.models import BoardSnapshot

T = TypeVar("T")


@dataclass(frozen=True)
class Stored(Generic[T]):
    value: T
    computed_at: datetime


def store(session: Session, key: str, computed_at: datetime, payload: Any) -> None:
    values = {"key": key, "computed_at": computed_at, "payload": payload}
    session.execute(upsert(session, table_of(BoardSnapshot), values, ["key"],
                           {"computed_at": computed_at, "payload": payload}))


def computed_at(session: Session, key: str) -> datetime | None:
    row = session.get(BoardSnapshot, key)
    return as_utc(row.computed_at) if row is not None else None


def read(session: Session, key: str, now: datetime, max_age: timedelta,
         compute: Callable[[], T], dump: Callable[[T], Any], load: Callable[[Any], T],
         final: Callable[[datetime], bool] = lambda _: False) -> Stored[T]:
    """The stored figure when it is younger than ``max_age`` (or ``final``: it can no longer
    change); else computed now and stored after the read."""
    row = session.get(BoardSnapshot, key)
    if row is not None:
        at = as_utc(row.computed_at)
        if final(at) or now - max_age <= at <= now + timedelta(minutes=5):
            return Stored(load(row.payload), at)
    value = compute()
    payload = dump(value)
    write_after_read(session, lambda s: store(s, key, now, payload))
    return Stored(value, now)
