"""The work queues people look at: a unit's inbox tabs, the visit queue, returns and extension
requests waiting for the hotline, a caller's history at intake (similar matters from any caller:
``hotline.tickets.similar``).

All of them respect the same visibility rule as every list (``hotline.tickets.visibility``);
nothing here writes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, func, select
from sqlmodel.sql.expression import SelectOfScalar

from hotline.tickets.models import (
    OPEN_STATES,
    AssignmentRole,
    ExtensionRequest,
    ExtensionState,
    ReturnRecord,
    Status,
    Ticket,
    TicketUnit,
)
from hotline.tickets.reading import mark_pending_extensions, summary
from hotline.tickets.schemas import TicketSummary
from hotline.tickets.visibility import visibility_filter
from hotline.units.actor import Actor
from hotline.units.models import Unit, UnitKind
from hotline.units.tree import UnitCache, subtree_unit_ids

INBOX_TABS: list[tuple[str, str]] = [
    ("sign", "待签收"), ("doing", "办理中"), ("due", "即将到期"), ("overdue", "已超期"),
    ("returned", "退单"), ("approve", "待审批延期"), ("co", "协办"),
]
WORKING = [Status.in_progress, Status.rework]


def summaries(session: Session, actor: Actor, rows: list[Ticket], now: datetime) -> list[TicketSummary]:
    units = UnitCache(session)
    units.prefetch(u for t in rows for u in (t.lead_unit_id, t.holder_unit_id))
    return mark_pending_extensions(session, [summary(t, actor, units, now) for t in rows],
                                   [t.id for t in rows])


def inbox_conditions(session: Session, actor: Actor, now: datetime) -> dict[str, ColumnElement[bool]]:
    """One WHERE clause per inbox tab, for the actor's own unit."""
    me = actor.unit.id
    held = col(Ticket.holder_unit_id) == me
    open_ = col(Ticket.status).in_(sorted(OPEN_STATES))
    returned_by_me = select(ReturnRecord.ticket_id).where(ReturnRecord.from_unit_id == me)
    below = [u for u in subtree_unit_ids(session, actor.unit.path) if u != me]
    pending_below = (select(ExtensionRequest.ticket_id)
                     .where(ExtensionRequest.status == ExtensionState.pending)
                     .where(col(ExtensionRequest.unit_id).in_(below)))
    co_of_me = (select(TicketUnit.ticket_id).where(TicketUnit.unit_id == me)
                .where(TicketUnit.role == AssignmentRole.co).where(col(TicketUnit.active)))
    returned = col(Ticket.status) == Status.returned
    return {
        "sign": and_(held, col(Ticket.status) == Status.dispatched),
        "doing": and_(held, col(Ticket.status).in_(WORKING)),
        "due": and_(held, open_, col(Ticket.next_at_risk_at) <= now, col(Ticket.next_due_at) >= now),
        "overdue": and_(held, open_, col(Ticket.next_due_at) < now),
        "returned": or_(and_(held, returned), and_(col(Ticket.id).in_(returned_by_me), returned)),
        "approve": and_(col(Ticket.id).in_(pending_below), col(Ticket.status).in_(WORKING)),
        "co": and_(col(Ticket.id).in_(co_of_me), col(Ticket.status).in_(WORKING)),
    }


def inbox(session: Session, actor: Actor, tab: str, now: datetime,
          limit: int = 100) -> tuple[dict[str, int], list[TicketSummary]]:
    conds = inbox_conditions(session, actor, now)
    counts = {key: int(session.exec(select(func.count()).select_from(Ticket).where(cond)).one())
              for key, cond in conds.items()}
    order = ([col(Ticket.next_due_at).asc().nulls_last(), col(Ticket.id)]
             if tab in ("due", "overdue", "doing", "sign")
             else [col(Ticket.id).desc()])
    rows = list(session.exec(select(Ticket).where(conds[tab]).order_by(*order).limit(limit)).all())
    return counts, summaries(session, actor, rows, now)


def _visible(session: Session, actor: Actor) -> SelectOfScalar[Ticket]:
    stmt = select(Ticket)
    cond = visibility_filter(session, actor)
    return stmt.where(cond) if cond is not None else stmt


def visit_queue(session: Session, actor: Actor, now: datetime) -> list[TicketSummary]:
    rows = list(session.exec(_visible(session, actor)
                             .where(col(Ticket.status).in_([Status.replied, Status.verifying,
                                                            Status.visited]))
                             .order_by(col(Ticket.replied_at).asc().nulls_last()).limit(60)).all())
    return summaries(session, actor, rows, now)


def returned_to_hotline(session: Session, actor: Actor, now: datetime) -> list[TicketSummary]:
    hotline_ids = list(session.exec(select(Unit.id).where(Unit.kind == UnitKind.hotline)).all())
    rows = list(session.exec(_visible(session, actor).where(col(Ticket.status) == Status.returned)
                             .where(col(Ticket.holder_unit_id).in_(hotline_ids))
                             .order_by(col(Ticket.updated_at)).limit(50)).all())
    return summaries(session, actor, rows, now)


def return_reasons(session: Session, numbers: list[str]) -> dict[str, dict[str, Any]]:
    """The latest 退单 of each ticket, by number: why, from which unit, and whether it came after
    the return window (CQ §13(一)) — what a supervisor decides a re-dispatch on."""
    if not numbers:
        return {}
    rows = session.exec(select(ReturnRecord, Unit, Ticket.number)
                        .join(Ticket, col(Ticket.id) == col(ReturnRecord.ticket_id))
                        .join(Unit, col(Unit.id) == col(ReturnRecord.from_unit_id))
                        .where(col(Ticket.number).in_(numbers))
                        .order_by(col(ReturnRecord.id))).all()
    return {n: {"reason": r.reason, "unit": u.name, "late": bool(r.late), "at": r.at}
            for r, u, n in rows}


def awaiting_dispatch(session: Session, actor: Actor, now: datetime) -> list[TicketSummary]:
    """Registered and not dispatched: matters a peer handed over that routing could not place,
    and matters a peer sent back (reclaimed) — nothing may sit here unseen."""
    rows = list(session.exec(_visible(session, actor).where(col(Ticket.status) == Status.registered)
                             .order_by(col(Ticket.created_at)).limit(50)).all())
    return summaries(session, actor, rows, now)


def pending_extensions(session: Session) -> list[dict[str, Any]]:
    rows = session.exec(
        select(ExtensionRequest, Ticket, Unit)
        .join(Ticket, col(Ticket.id) == col(ExtensionRequest.ticket_id))
        .join(Unit, col(Unit.id) == col(ExtensionRequest.unit_id))
        .where(ExtensionRequest.status == ExtensionState.pending).order_by(col(ExtensionRequest.id))
        .limit(50)
    ).all()
    return [{"req": r, "ticket": t, "unit": u.name} for r, t, u in rows]


# ---------------------------------------------------------------------------------------------
# Agent console: the caller's history
# ---------------------------------------------------------------------------------------------
def caller_history(session: Session, actor: Actor, phone: str, now: datetime,
                   limit: int = 8) -> tuple[dict[str, Any], list[int]]:
    """The calls from this number, newest first, and the ids shown.

    Looking a caller up by phone shows who called about what: the page traces the ids shown
    like a detail view (CQ §22), once with whatever else it shows (the similar matters of
    ``tickets.similar``, which include this caller's own)."""
    rows = list(session.exec(select(Ticket).where(Ticket.caller_phone == phone)
                             .order_by(col(Ticket.id).desc()).limit(50)).all())
    shown = [t.id for t in rows[:limit] if t.id is not None]
    return {"phone": phone, "total": len(rows),
            "earlier": summaries(session, actor, rows[:limit], now)}, shown
