"""Maps a ticket's history onto ``sla`` timeline events and keeps the ticket's clock columns.

The history (ticket_events) is the only input: clocks can be recomputed at any time from the
record, e.g. after operators load a corrected holiday table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

import sla
from hotline.core.settings import get_settings
from hotline.core.sla_setup import get_calendar, get_policy
from hotline.core.times import as_utc
from hotline.tickets.models import Ticket, TicketEvent

# hotline action → sla timeline kind (CQ §13, §14). Actions not listed do not touch clocks.
_KIND = {
    "dispatch": "dispatched",
    "sign": "signed",
    "forward": "forwarded",
    "reject_return": "forwarded",
    "return": "returned",
    "approve_extension": "extended",
    "reply": "replied",
    "rework": "reopened",
    "merge": "merged",
    "close": "closed",
    "explain_close": "closed",
    "close_without_visit": "closed",
}


def _parse_due(value: object) -> datetime | None:
    if not value:
        return None
    return as_utc(datetime.fromisoformat(str(value)))


def timeline(events: Sequence[TicketEvent]) -> list[sla.TimelineEvent]:
    out: list[sla.TimelineEvent] = []
    for ev in events:
        kind = _KIND.get(ev.action)
        if kind is None:
            continue
        p = ev.payload or {}
        days = p.get("due_working_days") or p.get("add_working_days")
        out.append(
            sla.TimelineEvent(
                kind=kind,
                at=as_utc(ev.at),
                to_hotline=bool(p.get("to_hotline", False)),
                add=sla.Duration(int(days), "working_days") if days else None,
                new_due=_parse_due(p.get("due_at")),
            )
        )
    return out


def compute(
    ticket: Ticket, events: Sequence[TicketEvent], now: datetime
) -> dict[str, sla.ClockStatus]:
    return sla.compute_clocks(
        timeline(events),
        policy=get_policy(),
        calendar=get_calendar(),
        now=now,
        request_type=ticket.request_type,
        category=ticket.category,
        legal=ticket.legal_basis,
    )


def load_events(session: Session, ticket_id: int) -> list[TicketEvent]:
    return list(
        session.exec(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket_id)
            .order_by(col(TicketEvent.seq))
        ).all()
    )


def refresh(
    ticket: Ticket, events: Sequence[TicketEvent], now: datetime
) -> dict[str, sla.ClockStatus]:
    """Recompute every clock and store what the lists and the SLA scan filter and sort on."""
    clocks = compute(ticket, events, now)
    transfer, ret, close = clocks.get("transfer"), clocks.get("return"), clocks.get("close")
    ticket.transfer_due_at = transfer.due if transfer else None
    ticket.return_due_at = ret.due if ret else None
    ticket.close_due_at = close.due if close else None
    open_clocks = sorted((c for c in clocks.values() if c.open), key=lambda c: c.due)
    first = open_clocks[0] if open_clocks else None
    ticket.next_due_at = first.due if first else None
    ticket.next_clock = first.name if first else None
    ticket.next_at_risk_at = min((c.at_risk_at for c in open_clocks), default=None)
    ticket.next_escalate_at = escalate_at(first.due) if first else None
    # The scan looks at the ticket again from its first threshold on (supervision/escalation.py).
    ticket.scan_next_at = ticket.next_at_risk_at
    ticket.sla_provisional = any(c.provisional for c in clocks.values())
    return clocks


def escalate_at(due: datetime) -> datetime:
    """Still overdue this long after the due → the next level (settings.escalate_after)."""
    policy = get_policy()
    delay = sla.Duration.parse(get_settings().escalate_after)
    rule = sla.CountingRule(start_day_counts=False, end_at=policy.rule.end_at)
    return sla.deadline_after(get_calendar(), due, delay, rule).due


def act_facts(action: str, clock_map: dict[str, sla.ClockStatus], now: datetime) -> dict[str, object]:
    """What the metrics need to know about an act, judged by the clocks at that moment."""
    if action == "sign" and (transfer := clock_map.get("transfer")) is not None:
        return {"on_time": transfer.state == "met"}
    if action == "reply" and (close := clock_map.get("close")) is not None:
        taken = get_calendar().working_days_between(
            close.started_at.astimezone(sla.SHANGHAI).date(), now.astimezone(sla.SHANGHAI).date())
        return {"on_time": close.state == "met", "working_days_taken": taken,
                "due_at": close.due.isoformat()}
    if action == "return" and (ret := clock_map.get("return")) is not None:
        return {"within_window": ret.state != "breached"}
    return {}


def warning_level(ticket: Ticket, now: datetime) -> str:
    """The ticket's light from the stored columns: red when any open clock is past due."""
    if ticket.next_due_at is not None and ticket.next_due_at < now:
        return "overdue"
    if ticket.next_at_risk_at is not None and ticket.next_at_risk_at <= now:
        return "at_risk"
    return "normal"
