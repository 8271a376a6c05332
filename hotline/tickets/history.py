"""A ticket's append-only history (CQ §16): reading it, and numbering what is appended to it.

Every row a ticket's history gets — a person's action, a system event, a scan's reminder — is
numbered here, and only here: ``seq`` is one more than the ticket's last, and the unique
(ticket, seq) index turns two writers racing on one ticket into a clean conflict. Each row keeps
its actor's name as it was, and is sealed into the ticket's hash chain (``tickets/chain.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from hotline.core.columns import table_of
from hotline.tickets import chain
from hotline.tickets.models import Status, Ticket, TicketEvent
from hotline.units.actor import Actor

_EVENTS = table_of(TicketEvent)


def load(session: Session, ticket_id: int) -> list[TicketEvent]:
    return list(session.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
                             .order_by(col(TicketEvent.seq))).all())


def load_many(session: Session, ticket_ids: Iterable[int],
              chunk: int = 1000) -> dict[int, list[TicketEvent]]:
    """The histories of many tickets in a few queries (one per ``chunk`` ids), in ``seq`` order:
    a report that replays thousands of tickets must not pay a round trip for each."""
    ids = sorted(set(ticket_ids))
    out: dict[int, list[TicketEvent]] = {tid: [] for tid in ids}
    for i in range(0, len(ids), chunk):
        for row in session.exec(select(TicketEvent)
                                .where(col(TicketEvent.ticket_id).in_(ids[i:i + chunk]))
                                .order_by(col(TicketEvent.ticket_id), col(TicketEvent.seq))):
            out[row.ticket_id].append(row)
    return out


def last_seqs(session: Session, ticket_ids: Iterable[int]) -> dict[int, int]:
    """The last seq of each ticket's history (0 for none), in one query."""
    ids = sorted(set(ticket_ids))
    found = dict(session.exec(
        select(TicketEvent.ticket_id, func.max(TicketEvent.seq))
        .where(col(TicketEvent.ticket_id).in_(ids)).group_by(col(TicketEvent.ticket_id))
    ).all())
    return {tid: int(found.get(tid) or 0) for tid in ids}


def values(ticket: Ticket, *, seq: int, kind: str, actor: Actor | None, now: datetime,
           from_status: Status | None, to_status: Status | None, reason: str | None = None,
           payload: dict[str, Any] | None = None) -> dict[str, Any]:
    """A history row for ``ticket`` as column values."""
    return {"ticket_id": ticket.id, "seq": seq, "action": kind, "from_status": from_status,
            "to_status": to_status, "actor_id": actor.id if actor else None,
            "actor_unit_id": actor.unit.id if actor else None, "reason": reason,
            "payload": payload or {}, "at": now,
            "actor_name": actor.user.full_name if actor else None,
            "actor_unit_name": actor.unit.name if actor else None}


def event(ticket: Ticket, *, seq: int, kind: str, actor: Actor | None, now: datetime,
          from_status: Status | None, to_status: Status | None, reason: str | None = None,
          payload: dict[str, Any] | None = None) -> TicketEvent:
    """A history row for ``ticket`` (not yet added to the session)."""
    return TicketEvent(**values(ticket, seq=seq, kind=kind, actor=actor, now=now,
                                from_status=from_status, to_status=to_status, reason=reason,
                                payload=payload))


def next_seq(session: Session, ticket_id: int) -> int:
    return last_seqs(session, [ticket_id])[ticket_id] + 1


def note(session: Session, ticket: Ticket, kind: str, *, actor: Actor | None, now: datetime,
         reason: str | None = None, payload: dict[str, Any] | None = None) -> TicketEvent:
    """Append an event that does not change the ticket's state (a peer's feedback, a merge in)."""
    row = event(ticket, seq=next_seq(session, ticket.id), kind=kind, actor=actor, now=now,
                from_status=ticket.status, to_status=ticket.status, reason=reason, payload=payload)
    session.add(row)
    session.flush()
    return row


def insert_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Bulk-append events given as column dicts without ``seq`` (the SLA scan's reminders)."""
    if not rows:
        return
    last = last_seqs(session, (r["ticket_id"] for r in rows))
    for r in rows:
        last[r["ticket_id"]] += 1
        r["seq"] = last[r["ticket_id"]]
    insert_numbered(session, rows)


def insert_numbered(session: Session, rows: list[dict[str, Any]]) -> None:
    """Append rows that carry their ``seq`` already (``values``), sealed, as one Core statement.

    Why not the ORM: a row nobody reads back in the same command (the registration's first
    event) costs a unit-of-work flush for nothing; the Core insert is about a third of that on
    the intake path (bench/RESULTS.md, "Intake: history rows without the ORM").
    """
    session.flush()  # a pending ORM row of the same ticket is sealed and written first
    chain.seal_rows(session.connection(), rows)
    session.execute(_EVENTS.insert(), rows)
