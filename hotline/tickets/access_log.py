"""Reading the personal-data access log (CQ §22: 谁管理、谁使用、谁负责 — every view of a caller's
contact is traceable, and traced by someone).

The log is written by ``visibility.log_contact_access``; here authorised staff (supervisors and
administrators) read it back, filtered by person, unit, ticket, purpose and time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from hotline.core.times import as_utc
from hotline.tickets.models import PersonalDataAccess, Ticket
from hotline.units.models import Unit, User


@dataclass(frozen=True)
class AccessFilter:
    username: str | None = None
    unit_id: int | None = None
    ticket_number: str | None = None
    purpose: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def read_access_log(session: Session, flt: AccessFilter, page: int,
                    page_size: int) -> tuple[list[dict[str, Any]], int]:
    """One page of accesses, newest first, with who (name, role, unit) saw which ticket's caller."""
    pda = PersonalDataAccess
    stmt = (select(pda, User, Ticket.number, Unit.name)
            .join(User, col(User.id) == col(pda.user_id))
            .join(Ticket, col(Ticket.id) == col(pda.ticket_id))
            .join(Unit, col(Unit.id) == col(User.unit_id)))
    if flt.username:
        stmt = stmt.where(User.username == flt.username)
    if flt.unit_id is not None:
        stmt = stmt.where(User.unit_id == flt.unit_id)
    if flt.ticket_number:
        stmt = stmt.where(Ticket.number == flt.ticket_number)
    if flt.purpose:
        stmt = stmt.where(pda.purpose == flt.purpose)
    if flt.since is not None:
        stmt = stmt.where(col(pda.at) >= as_utc(flt.since))
    if flt.until is not None:
        stmt = stmt.where(col(pda.at) < as_utc(flt.until))
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(stmt.order_by(col(pda.at).desc(), col(pda.id).desc())
                        .offset((page - 1) * page_size).limit(page_size)).all()
    items = [{"id": a.id, "at": a.at, "purpose": a.purpose, "ticket_number": number,
              "user_id": u.id, "username": u.username, "full_name": u.full_name, "role": u.role,
              "unit_id": u.unit_id, "unit": unit_name}
             for a, u, number, unit_name in rows]
    return items, int(total)
