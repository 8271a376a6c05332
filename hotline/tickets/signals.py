"""The workflow core's hook point: ``action_done`` is sent after every action, inside its
transaction, before its history row is written.

Receivers are the side effects the core does not import (``hotline.wiring`` connects them): the
110/119 bridge queues its outbox rows, supervision notifies and schedules, caller messaging
tells the caller. They write in the same transaction, so a failing receiver fails the action
and nothing is half-written; what must wait for the commit (kicking a relay) they register with
``hotline.core.db.on_commit``. A receiver may add facts to the act's history row (``note``) and
append follow-up events after it (``follow``), never edit the row once written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

import sla
from hotline.core.signals import Signal
from hotline.tickets.actions import Action, EventKind
from hotline.tickets.models import Ticket, TicketEvent
from hotline.tickets.payloads import Payload
from hotline.tickets.workflow import Transition
from hotline.units.actor import Actor


@dataclass(frozen=True)
class FollowUp:
    kind: EventKind
    reason: str | None
    payload: dict[str, Any]


@dataclass
class ActionDone:
    session: Session
    actor: Actor
    ticket: Ticket
    transition: Transition
    payload: Payload
    event: TicketEvent
    clocks: dict[str, sla.ClockStatus]
    now: datetime
    follow_ups: list[FollowUp] = field(default_factory=list)

    @property
    def action(self) -> Action:
        return self.transition.action

    def note(self, **facts: Any) -> None:
        """Add facts to the act's own history row (it is not written yet)."""
        self.event.payload = {**self.event.payload, **facts}

    def follow(self, kind: EventKind, reason: str | None = None, **payload: Any) -> None:
        """Append an event right after the act's own (e.g. ``caller_notified``)."""
        self.follow_ups.append(FollowUp(kind, reason, payload))


action_done: Signal[ActionDone] = Signal("action_done")


@dataclass(frozen=True)
class Registered:
    """A request was registered (CQ §11), before any decision taken with it is performed."""

    session: Session
    actor: Actor
    ticket: Ticket
    now: datetime


#: Sent inside the registration's transaction, right after its history row (caller messaging
#: tells the caller the ticket number).
registered: Signal[Registered] = Signal("registered")
