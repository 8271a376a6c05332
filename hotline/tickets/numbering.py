"""Human ticket numbers, ``YYYYMMDD-NNNNNN`` by the local (Asia/Shanghai) day of registration.

One atomic upsert per number: concurrent registrations never get the same number, on SQLite
or PostgreSQL, and the sequence restarts each day so callers can read the number out.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

from sqlmodel import Session

from hotline.core.columns import table_of
from hotline.core.db import upsert
from hotline.core.times import local
from hotline.tickets.models import TicketCounter


def next_number(session: Session, now: datetime) -> str:
    day = local(now).strftime("%Y%m%d")
    table = table_of(TicketCounter)
    stmt = upsert(session, table, {"day": day, "last": 1}, ["day"], {"last": table.c.last + 1})
    last = session.execute(stmt.returning(table.c.last)).scalar_one()
    return f"{day}-{last:06d}"


def normalise_number(text: str) -> str:
    """A number as people type or read it out — ``20261129000001``, ``２０２６１１２９－０００００１``,
    with spaces — in its stored form ``20261129-000001``. Anything else is returned trimmed, for
    the lookup to find nothing."""
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isdigit())
    if len(digits) == 14:
        return f"{digits[:8]}-{digits[8:]}"
    return text.strip()
