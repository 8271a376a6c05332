"""RQ job functions. Each one is idempotent: RQ may run a job twice, or not at all.

Jobs open their own engine in the worker process (never one inherited across a fork).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from hotline.clock import utcnow
from hotline.db import get_engine
from hotline.models import Ticket
from hotline.services import clocks
from hotline.workflow import OPEN_STATES

BATCH = 500


def refresh_open_clocks(now: datetime | None = None, *, only_provisional: bool = False) -> int:
    """Recompute the stored clock columns of every open ticket from its history.

    Run after operators load a holiday table (provisional deadlines become exact) or change a
    policy. It writes what the history implies, so running it twice changes nothing more.
    Returns the number of tickets whose stored due times changed.
    """
    now = now or utcnow()
    changed = 0
    last_id = 0
    while True:
        with Session(get_engine(), expire_on_commit=False) as session:
            stmt = (select(Ticket).where(col(Ticket.status).in_(OPEN_STATES))
                    .where(col(Ticket.id) > last_id).order_by(col(Ticket.id)).limit(BATCH))
            if only_provisional:
                stmt = stmt.where(col(Ticket.sla_provisional))
            batch = list(session.exec(stmt).all())
            if not batch:
                return changed
            for ticket in batch:
                before = (ticket.close_due_at, ticket.next_due_at, ticket.next_at_risk_at,
                          ticket.sla_provisional)
                clocks.refresh(ticket, clocks.load_events(session, ticket.id), now)  # type: ignore[arg-type]
                after = (ticket.close_due_at, ticket.next_due_at, ticket.next_at_risk_at,
                         ticket.sla_provisional)
                if after != before:
                    changed += 1
                    session.add(ticket)
            session.commit()
            last_id = batch[-1].id  # type: ignore[assignment]


def sla_scan(full: bool = False, now: datetime | None = None) -> dict[str, object]:
    """The SLA scan as a job: one transaction; safe to run twice or to kill half way."""
    from hotline.supervision.scan import scan

    now = now or utcnow()
    with Session(get_engine(), expire_on_commit=False) as session:
        result = scan(session, now, full=full)
        session.commit()
    return {"scan_id": result.scan_id, "candidates": result.candidates, "fired": result.fired,
            "notifications": result.notifications}


def deliver_notifications(now: datetime | None = None) -> dict[str, int]:
    """Push pending notifications to the configured webhook (at least once, keyed)."""
    from hotline.supervision.channels import deliver_webhooks

    with Session(get_engine(), expire_on_commit=False) as session:
        counts = deliver_webhooks(session, now or utcnow())
        session.commit()
    return counts


def watch_anomalies(now: datetime | None = None) -> int:
    """Snapshot today's unit figures, then raise new anomaly alerts (each once a day)."""
    from hotline.supervision.anomalies import detect, snapshot_unit_stats

    now = now or utcnow()
    with Session(get_engine(), expire_on_commit=False) as session:
        snapshot_unit_stats(session, now)
        created = detect(session, now)
        session.commit()
    return len(created)
