"""A ticket's deadlines: its history replayed by ``sla``, and the due-time columns lists sort on.

The history (ticket_events) is the only input, so the deadlines can be recomputed from the
record at any time, e.g. after operators load a corrected holiday table. Each action's meaning
to the clocks is its ``clock`` field in the workflow table. Working-day arithmetic happens in
``sla`` alone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

import sla
from hotline.core.settings import get_settings
from hotline.core.sla_setup import get_calendar, get_policy
from hotline.tickets.models import Ticket, TicketEvent
from hotline.tickets.workflow import BY_ACTION, FrozenClock

log = logging.getLogger("hotline.tickets")

ClockMap = dict[str, sla.ClockStatus]
CLOCK_LABELS = {"transfer": "流转时限", "return": "退单时限", "close": "办结时限"}


def _parse_due(value: object) -> datetime | None:
    """A due time the history recorded (always written as aware UTC ISO text)."""
    return datetime.fromisoformat(str(value)) if value else None


def timeline(events: Sequence[TicketEvent]) -> list[sla.TimelineEvent]:
    out: list[sla.TimelineEvent] = []
    for ev in events:
        transition = BY_ACTION.get(ev.action)
        if transition is None or transition.clock is None:
            continue
        p = ev.payload or {}
        days = p.get("due_working_days") or p.get("add_working_days")
        out.append(sla.TimelineEvent(
            kind=transition.clock, at=ev.at, to_hotline=bool(p.get("to_hotline", False)),
            add=sla.Duration(int(days), "working_days") if days else None,
            new_due=_parse_due(p.get("due_at")),
        ))
    return out


def compute(ticket: Ticket, events: Sequence[TicketEvent], now: datetime) -> ClockMap:
    policy = get_policy()
    legal = ticket.legal_basis
    if legal and legal not in policy.legal:
        # Dispatch refuses unknown names; one can still vanish when operators load a new table.
        # The ticket keeps its ordinary deadline rather than failing every read (the dispatch
        # event still records the basis it was given).
        log.warning("ticket %s: legal basis %r no longer in the table", ticket.number, legal)
        legal = None
    return sla.compute_clocks(timeline(events), policy=policy, calendar=get_calendar(),
                              now=now, request_type=ticket.request_type, category=ticket.category,
                              legal=legal)


def refresh(ticket: Ticket, events: Sequence[TicketEvent], now: datetime) -> ClockMap:
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
    # The SLA scan looks at the ticket again from its first threshold on (supervision/scan.py).
    ticket.scan_next_at = ticket.next_at_risk_at
    ticket.sla_provisional = any(c.provisional for c in clocks.values())
    return clocks


def escalate_at(due: datetime) -> datetime:
    """Still overdue this long after the due → the next level (settings.escalate_after)."""
    policy = get_policy()
    delay = sla.Duration.parse(get_settings().escalate_after)
    rule = sla.CountingRule(start_day_counts=False, end_at=policy.rule.end_at)
    return sla.deadline_after(get_calendar(), due, delay, rule).due


def frozen(clock: FrozenClock | None, clocks: ClockMap, now: datetime) -> dict[str, object]:
    """What the metrics need to know about an act, judged by the named clock at that moment."""
    status = clocks.get(clock) if clock else None
    if status is None:
        return {}
    if clock == "transfer":
        return {"on_time": status.state == "met", "due_at": status.due.isoformat()}
    if clock == "close":
        taken = get_calendar().working_days_between(
            status.started_at.astimezone(sla.SHANGHAI).date(), now.astimezone(sla.SHANGHAI).date())
        return {"on_time": status.state == "met", "working_days_taken": taken,
                "due_at": status.due.isoformat()}
    # The return window, measured from receipt (CQ §13(一)); its due is kept for the record.
    return {"within_window": status.state != "breached" and status.due >= now,
            "window_due_at": status.due.isoformat()}


def warning_level(ticket: Ticket, now: datetime) -> str:
    """The ticket's light from the stored columns: red when any open clock is past due."""
    if ticket.next_due_at is not None and ticket.next_due_at < now:
        return "overdue"
    if ticket.next_at_risk_at is not None and ticket.next_at_risk_at <= now:
        return "at_risk"
    return "normal"
