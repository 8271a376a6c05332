"""Who may see which ticket, and whose eyes get the caller's real phone number.

CQ §22: caller information by role and unit, least privilege, every access traceable. Unit
users see only tickets one of their subtree's units has a part in; everyone else is told the
ticket does not exist (404), so numbers cannot be probed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, insert, literal
from sqlalchemy import select as sa_select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from hotline.core.columns import table_of
from hotline.core.db import write_after_read
from hotline.tickets.models import PersonalDataAccess, Ticket, TicketUnit
from hotline.units.actor import Actor
from hotline.units.tree import subtree_unit_ids


def subtree_filter(session: Session, unit_path: str, *, probe: bool = False) -> ColumnElement[bool]:
    """Tickets in which some unit of the subtree rooted at ``unit_path`` has a part.

    The subtree's unit ids are resolved first (a few dozen at most), so the per-ticket probe is
    one lookup on the (ticket_id, unit_id) index instead of a join with a LIKE.

    ``probe``: the list is already narrowed by a time condition (overdue, at risk: ~1 % of the
    table), so check each of its tickets by an index-only probe (``ix_ticket_units_active_
    ticket_unit``). As ``EXISTS`` PostgreSQL turns it into a semi-join and hashes *all* the
    subtree's assignments first — 230k rows and ~100 ms for a district at 1M tickets
    (bench/RESULTS.md) — so the probe is written as a ``LIMIT 1`` subquery, which the planner
    keeps per row. Without a narrowing condition the semi-join is the right plan, and stays.
    """
    ids = subtree_unit_ids(session, unit_path)
    part = (sa_select(literal(1)).select_from(table_of(TicketUnit))
            .where(col(TicketUnit.ticket_id) == col(Ticket.id))
            .where(col(TicketUnit.unit_id).in_(ids))
            .where(col(TicketUnit.active)))  # a unit that returned it, or was replaced, no longer sees it
    if probe:
        return part.limit(1).correlate(table_of(Ticket)).scalar_subquery().is_not(None)
    return exists(part)


def visibility_filter(session: Session, actor: Actor, *, probe: bool = False) -> ColumnElement[bool] | None:
    if actor.hotline_side:
        return None
    return subtree_filter(session, actor.unit.path, probe=probe)


def can_see(session: Session, actor: Actor, ticket: Ticket) -> bool:
    cond = visibility_filter(session, actor)
    if cond is None:
        return True
    return session.exec(select(Ticket.id).where(Ticket.id == ticket.id).where(cond)).first() is not None


def sees_contact(actor: Actor, ticket: Ticket) -> bool:
    """Agents, supervisors and the units that must call the caller back (lead or holder)."""
    if actor.hotline_side:
        return True
    return actor.unit.id in (ticket.lead_unit_id, ticket.holder_unit_id)


def mask_phone(phone: str) -> str:
    digits = phone.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    keep_head = 3 if len(digits) >= 11 else 0
    return digits[:keep_head] + "*" * (len(digits) - keep_head - 4) + digits[-4:]


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    return name[0] + "*" * (len(name) - 1 if len(name) > 1 else 1)


def log_contact_access(session: Session, actor: Actor, ticket_ids: list[int], purpose: str,
                       now: datetime) -> None:
    """Trace that this actor was shown these tickets' callers (CQ §22). A read request writes it
    right after its read, before the answer leaves (``core.db.write_after_read``)."""
    if not ticket_ids:
        return
    rows = [{"ticket_id": tid, "user_id": actor.id, "purpose": purpose, "at": now}
            for tid in ticket_ids]

    def write(s: Session) -> None:
        s.execute(insert(table_of(PersonalDataAccess)), rows)

    write_after_read(session, write)
