"""Tickets that may report the same matter at the same place, whoever called (并单).

The scoring is ``textsearch.similar`` (pure: content tokens plus the places named, a figure in
[0, 1], threshold measured on hand-labelled pairs — docs/SIMILAR.md); this module only picks the
candidates and shows them. Candidates are bounded so the console can ask on every pause in
typing: tickets registered in the last ``HOTLINE_SIMILAR_WINDOW_DAYS`` days that are still being
worked or were closed since (the ``(status, created_at)`` index), the newest ``SCAN`` of them.
A ticket's profile (its tokens and places) is computed once per process and content: a ticket's
content and address do not change after registration.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlmodel import Session, col, select

import textsearch
from hotline.core.phones import normalise_phone
from hotline.core.settings import get_settings
from hotline.tickets.models import Status, Ticket
from hotline.tickets.queues import summaries
from hotline.tickets.schemas import TicketSummary
from hotline.tickets.visibility import log_contact_access, visibility_filter
from hotline.units.actor import Actor
from textsearch import similar as scorer

#: Tickets a new call can still be merged into (the merge handler refuses a closed target).
MERGEABLE = frozenset({Status.registered, Status.dispatched, Status.in_progress, Status.returned,
                       Status.replied, Status.verifying, Status.rework, Status.visited})
#: Shown at intake: those, and the ones closed in the window (the agent can tell the caller
#: the result at once).
SHOWN = MERGEABLE | {Status.closed}
#: The figure from which a ticket is offered (measured: docs/SIMILAR.md).
THRESHOLD = scorer.THRESHOLD
#: The newest this many candidates are scored: a bound on the console's work per keystroke.
SCAN = 500
#: What is compared of a call: as much as an agent types, no more.
MAX_CONTENT, MAX_ADDRESS = 4000, 300


@lru_cache(maxsize=8192)
def _profile(content: str, address: str) -> textsearch.Profile:
    return textsearch.profile(content[:MAX_CONTENT], address[:MAX_ADDRESS])


def similar_tickets(session: Session, content: str, address: str | None, now: datetime,
                    exclude_id: int | None = None, actor: Actor | None = None,
                    limit: int = 10) -> list[tuple[float, Ticket]]:
    """(score, ticket) of the candidates at or above the shipped threshold, best first.

    With ``actor``, only tickets that actor may see are candidates."""
    if not content.strip():
        return []
    since = now - timedelta(days=get_settings().similar_window_days)
    # Only what is scored is read; the few tickets that match are loaded whole afterwards.
    stmt = (select(Ticket.id, Ticket.content, Ticket.address)
            .where(col(Ticket.status).in_(sorted(SHOWN))).where(col(Ticket.created_at) >= since))
    if actor is not None and (cond := visibility_filter(session, actor)) is not None:
        stmt = stmt.where(cond)
    rows = [r for r in session.exec(stmt.order_by(col(Ticket.created_at).desc(), col(Ticket.id).desc())
                                    .limit(SCAN)).all() if r[0] != exclude_id]
    query = _profile(content, address or "")
    found = scorer.most_similar(query, [_profile(c, a or "") for _, c, a in rows], limit=limit)
    ids = [rows[i][0] for i, _ in found]
    tickets = {t.id: t for t in session.exec(select(Ticket).where(col(Ticket.id).in_(ids))).all()}
    return [(score, tickets[rows[i][0]]) for i, score in found if rows[i][0] in tickets]


def _rows(session: Session, actor: Actor, pairs: list[tuple[float, Ticket]], phone: str | None,
          now: datetime) -> list[dict[str, Any]]:
    shown = summaries(session, actor, [t for _, t in pairs], now)
    return [{"score": round(s * 100), "mergeable": t.status in MERGEABLE,
             "same_caller": bool(phone) and t.caller_phone == phone, "ticket": row}
            for (s, t), row in zip(pairs, shown, strict=True)]


def at_intake(session: Session, actor: Actor, content: str, address: str | None,
              phone: str | None, now: datetime,
              limit: int = 5) -> tuple[list[dict[str, Any]], list[int]]:
    """What the console (and ``GET /api/v1/tickets/similar``) shows while a call is taken —
    the matching tickets with their figure, whether a merge can go into them, whether the same
    number called — and the ids shown, which the caller traces with its purpose (CQ §22)."""
    pairs = similar_tickets(session, content, address, now, actor=actor, limit=limit)
    return (_rows(session, actor, pairs, _phone(phone), now),
            [t.id for _, t in pairs if t.id is not None])


def _phone(typed: str | None) -> str | None:
    """The number as tickets store it (typed with spaces, +86…), or as typed while incomplete."""
    if not typed:
        return None
    try:
        return normalise_phone(typed)
    except ValueError:
        return typed.strip()


def duplicates_of(session: Session, actor: Actor, ticket: Ticket, now: datetime) -> list[dict[str, Any]]:
    """Candidates to merge ``ticket`` into: earlier tickets about the same matter, any caller."""
    pairs = [(s, t) for s, t in similar_tickets(session, ticket.content, ticket.address, now,
                                                exclude_id=ticket.id, actor=actor)
             if t.id is not None and ticket.id is not None and t.id < ticket.id]
    found = _rows(session, actor, pairs, ticket.caller_phone or None, now)
    log_contact_access(session, actor, [t.id for _, t in pairs if t.id is not None],
                       "similar_lookup", now)
    return found


#: A caller's own earlier calls are looked at further back and in every state but merged and
#: archived: a repeat call about a matter answered at intake is worth seeing too.
SAME_CALLER_DAYS = 30


def repeats_of_caller(session: Session, actor: Actor, phone: str, content: str,
                      address: str | None, now: datetime,
                      limit: int = 5) -> tuple[list[tuple[int, TicketSummary]], list[int]]:
    """(figure, ticket) of this number's recent calls that read like this one, and their ids:
    the console's "可能重复" beside the caller's history."""
    if not content.strip() or not phone:
        return [], []
    rows = list(session.exec(
        select(Ticket).where(Ticket.caller_phone == phone)
        .where(col(Ticket.created_at) >= now - timedelta(days=SAME_CALLER_DAYS))
        .where(col(Ticket.status).not_in([Status.merged, Status.archived]))
        .order_by(col(Ticket.id).desc()).limit(50)).all())
    query = _profile(content, address or "")
    found = scorer.most_similar(query, [_profile(t.content, t.address or "") for t in rows],
                                limit=limit)
    shown = summaries(session, actor, [rows[i] for i, _ in found], now)
    return ([(round(s * 100), row) for (_, s), row in zip(found, shown, strict=True)],
            [rows[i].id for i, _ in found if rows[i].id is not None])
