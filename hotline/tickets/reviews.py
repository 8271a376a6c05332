"""Who else has a say before a ticket is answered: its co-units (CQ §13(二)) and, where it
chose to, the unit above the holder (CQ §6(二) 审核办理结果).

Read by the guards' facts (``commands.facts_for``) and by the reply's handler, so both see the
same answer.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from hotline.core.times import as_utc
from hotline.tickets.models import Ticket, TicketEvent
from hotline.units.models import Unit, UnitKind


def co_inputs_since(session: Session, ticket_id: int, since: dict[int, datetime]) -> set[int]:
    """The co-units that gave input after they were (last) assigned."""
    if not since:
        return set()
    rows = session.exec(select(TicketEvent.actor_unit_id, TicketEvent.at)
                        .where(TicketEvent.ticket_id == ticket_id)
                        .where(TicketEvent.action == "co_input")
                        .where(col(TicketEvent.actor_unit_id).in_(list(since)))).all()
    return {u for u, at in rows if u is not None and as_utc(at) >= as_utc(since[u])}


def reviewer_of(session: Session, ticket: Ticket, holder: Unit | None) -> int | None:
    """CQ §6(二): the unit the holder got the ticket from reviews its reply, when that unit
    has chosen to (``units.review_replies``); the hotline's own dispatch needs no such review."""
    if holder is None or holder.kind == UnitKind.hotline or len(ticket.route) < 3:
        return None
    parent = session.get(Unit, ticket.route[-2])
    if parent is None or parent.kind == UnitKind.hotline or not parent.review_replies:
        return None
    return parent.id
