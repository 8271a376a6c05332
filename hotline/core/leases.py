"""Claiming due outbox rows for sending: the 110 relay and the caller-SMS outbox share it.

A sender takes up to ``limit`` pending rows whose ``next_attempt_at`` has come, pushes their
``next_attempt_at`` forward by ``lease`` and commits at once, before any network call: another
sender (a second worker, the timer beside a kick) skips them, and if this one dies mid-send the
rows come due again when the lease runs out. On PostgreSQL the claim skips rows another sender
has locked (``SKIP LOCKED``); SQLite serialises writers anyway.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from sqlmodel import Session, col, select


def lease_due(session: Session, model: Any, pending: Enum, now: datetime, limit: int,
              lease: timedelta) -> list[int]:
    """Ids of the rows claimed (possibly none); the session is committed either way."""
    stmt = (select(model.id).where(model.state == pending)
            .where(col(model.next_attempt_at) <= now)
            .order_by(col(model.id)).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    ids = list(session.exec(stmt))
    if ids:
        for row in session.exec(select(model).where(col(model.id).in_(ids))):
            row.next_attempt_at = now + lease
            session.add(row)
    session.commit()
    return ids
