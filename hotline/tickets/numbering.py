"""Human ticket numbers, ``YYYYMMDD-NNNNNN`` by the local (Asia/Shanghai) day of registration.

One atomic upsert per number: concurrent registrations never get the same number, on SQLite
or PostgreSQL, and the sequence restarts each day so callers can read the number out.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from hotline.core.times import local
from hotline.tickets.models import TicketCounter


def next_number(session: Session, now: datetime) -> str:
    day = local(now).strftime("%Y%m%d")
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = TicketCounter.__table__  # type: ignore[attr-defined]
    stmt = (
        insert(table)
        .values(day=day, last=1)
        .on_conflict_do_update(index_elements=["day"], set_={"last": table.c.last + 1})
        .returning(table.c.last)
    )
    last = session.execute(stmt).scalar_one()
    return f"{day}-{last:06d}"
