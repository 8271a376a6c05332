"""Human ticket numbers, ``YYYYMMDD-NNNNNN`` by the local (Asia/Shanghai) day of registration.

Numbers are unique on either database and restart each day, so callers can read them out. How
they are drawn differs, because the two databases serialise writers differently:

- **SQLite** has one writer at a time anyway: a per-day counter row, incremented by an atomic
  upsert, gives numbers without gaps at no extra cost.
- **PostgreSQL** runs registrations side by side. A counter row would be locked from the
  registration's first write to its commit, so every registration in the city would wait for
  the one before it (issue 13 measured that wait as 40 % of intake time). Instead a number is
  ``nextval('ticket_serial') - base``, where ``base`` is the sequence's value when the day's
  first registration came (table ``ticket_days``). ``nextval`` takes no lock that lasts, so
  registrations only meet at the day's first one. Like every sequence, it does not roll back: a
  registration refused after its number was drawn leaves that number unused (a gap), never a
  duplicate. ``hotline audit verify`` proves what happened to each ticket through its event
  chain, not through consecutive numbers.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

from sqlalchemy import text as sql
from sqlmodel import Session

from hotline.core.columns import table_of
from hotline.core.db import upsert
from hotline.core.times import local
from hotline.tickets.models import TicketCounter

SEQUENCE = "ticket_serial"
_DRAW = sql(f"SELECT nextval('{SEQUENCE}') - base FROM ticket_days WHERE day = :day")
# The sequence's value now (is_called is false only before its first nextval): every number
# drawn after this row is visible is greater, so the day's numbers start at 1 or just above.
# That needs the sequence's CACHE to stay 1 (a backend caching values could draw below it).
_OPEN_DAY = sql(
    "INSERT INTO ticket_days (day, base) "
    f"SELECT :day, CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM {SEQUENCE} "
    "ON CONFLICT (day) DO NOTHING")


def next_number(session: Session, now: datetime) -> str:
    day = local(now).strftime("%Y%m%d")
    if session.get_bind().dialect.name == "postgresql":
        return f"{day}-{_from_sequence(session, day):06d}"
    table = table_of(TicketCounter)
    stmt = upsert(session, table, {"day": day, "last": 1}, ["day"], {"last": table.c.last + 1})
    last = session.execute(stmt.returning(table.c.last)).scalar_one()
    return f"{day}-{last:06d}"


def _from_sequence(session: Session, day: str) -> int:
    """One statement on every registration but the day's first. That one opens the day; a
    registration racing it waits on the day's row until the first commits (or rolls back, and
    then opens the day itself), and reads the committed base."""
    drawn = session.execute(_DRAW, {"day": day}).scalar()
    if drawn is None:
        session.execute(_OPEN_DAY, {"day": day})
        drawn = session.execute(_DRAW, {"day": day}).scalar_one()
    return int(drawn)


def normalise_number(text: str) -> str:
    """A number as people type or read it out — ``20261129000001``, ``２０２６１１２９－０００００１``,
    with spaces — in its stored form ``20261129-000001``. Anything else is returned trimmed, for
    the lookup to find nothing."""
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isdigit())
    if len(digits) == 14:
        return f"{digits[:8]}-{digits[8:]}"
    return text.strip()
