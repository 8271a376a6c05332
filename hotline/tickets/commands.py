"""The commands that change tickets: register one, and perform one workflow action on one.

Every action: check the version the client saw → judge it against the workflow table → run its
handler → move the state → recompute the clocks with ``sla`` → settle what the table says lapses
→ tell the receivers (``action_done``) → append one history row (CQ §16). All in the caller's
transaction; a lost race on the version column surfaces as ``VersionConflict`` (409), never as
a half-applied change.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, func, select

from hotline.core.errors import Conflict, Forbidden, Invalid, NotFound, VersionConflict
from hotline.core.loaded_insert import insert_loaded
from hotline.core.settings import get_settings
from hotline.core.signals import require_installed
from hotline.core.times import as_utc, utcnow
from hotline.intake.request_types import RequestType
from hotline.tickets import due_times, history
from hotline.tickets.actions import EventKind
from hotline.tickets.handlers import HANDLERS, Act
from hotline.tickets.models import (
    AssignmentRole,
    ExtensionRequest,
    ExtensionState,
    OrderState,
    ReplyReview,
    ReviewState,
    Status,
    SupervisionOrder,
    Ticket,
    TicketEvent,
    TicketUnit,
    Urgency,
)
from hotline.tickets.numbering import next_number, normalise_number
from hotline.tickets.payloads import Payload
from hotline.tickets.reviews import co_inputs_since, reviewer_of
from hotline.tickets.schemas import TicketCreate
from hotline.tickets.signals import ActionDone, Registered, action_done, registered
from hotline.tickets.visibility import can_see
from hotline.tickets.workflow import BY_ACTION, Facts, Refusal, Transition, judge
from hotline.units.actor import Actor
from hotline.units.models import Unit, UnitKind
from hotline.units.tree import is_ancestor


def load_ticket(session: Session, number: str) -> Ticket:
    number = normalise_number(number)  # typed without the hyphen, or in full-width digits
    ticket = session.exec(select(Ticket).where(Ticket.number == number)).first()
    if ticket is None:
        raise NotFound(f"工单 {number} 不存在", title="工单不存在")
    return ticket


def visible_ticket(session: Session, actor: Actor, number: str) -> Ticket:
    """The ticket if this actor may see it; otherwise the same 404 as for no ticket at all."""
    ticket = load_ticket(session, number)
    if not can_see(session, actor, ticket):
        raise NotFound(f"工单 {number} 不存在", title="工单不存在")
    return ticket


# ---------------------------------------------------------------------------------------------
# Registration (CQ §11)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Registration:
    """A request as the hotline registers it. ``channel`` is a ``Channel`` value, or the code
    of the peer platform that transferred the matter (110, 119, 95598…)."""

    channel: str
    caller_phone: str
    request_type: RequestType
    content: str
    caller_name: str | None = None
    category: str | None = None
    address: str | None = None
    urgency: Urgency = Urgency.normal


def register(session: Session, actor: Actor, data: Registration, decision: Payload | None = None,
             now: datetime | None = None) -> Ticket:
    """Register a request and, when the agent already decided, perform that decision too.

    Registering is not a workflow action (there is no ticket yet to judge): its one rule, that
    only the hotline side registers, is checked here.
    """
    now = now or utcnow()
    if not actor.hotline_side:
        raise Forbidden("只有话务员、督办人员可以登记工单")
    limit = get_settings().content_max_chars
    if len(data.content) > limit:
        raise Invalid(f"诉求内容 {len(data.content)} 字，超过上限 {limit} 字", title="诉求内容过长")
    ticket = insert_loaded(session, Ticket, {
        "number": next_number(session, now), "channel": data.channel,
        "caller_name": data.caller_name or None, "caller_phone": data.caller_phone,
        "request_type": data.request_type, "category": data.category, "content": data.content,
        "address": data.address, "urgency": data.urgency, "status": Status.registered,
        "created_by_id": actor.id, "created_at": now, "updated_at": now,
        # CQ §11: a withheld number is not stored as anything; the caller gets a code instead.
        "lookup_code": None if data.caller_phone else new_lookup_code()})
    history.insert_numbered(session, [history.values(
        ticket, seq=1, kind=EventKind.register, actor=actor, now=now, from_status=None,
        to_status=Status.registered,
        payload={"channel": ticket.channel, "request_type": ticket.request_type})])
    registered.send(Registered(session, actor, ticket, now))
    if decision is not None:
        apply(session, actor, ticket, decision, now)
    return ticket


#: No 0/O, 1/I/L: read out over the phone without mistakes.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_lookup_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))


def create_ticket(session: Session, actor: Actor, data: TicketCreate,
                  now: datetime | None = None) -> Ticket:
    """Registration as the API and the agent console submit it: the request and, optionally,
    the agent's decision in the same command."""
    registration = Registration(
        channel=data.channel.value, caller_phone=data.caller_phone or "",
        request_type=data.request_type,
        content=data.content, caller_name=data.caller_name, category=data.category,
        address=data.address, urgency=Urgency(data.urgency))
    return register(session, actor, registration, data.decision, now)


# ---------------------------------------------------------------------------------------------
# Workflow actions
# ---------------------------------------------------------------------------------------------
def facts_for(session: Session, actor: Actor, ticket: Ticket, now: datetime) -> Facts:
    """What ``judge`` needs to know, loaded once."""
    holder = session.get(Unit, ticket.holder_unit_id) if ticket.holder_unit_id else None
    co_rows = list(session.exec(select(TicketUnit).where(TicketUnit.ticket_id == ticket.id)
                                .where(TicketUnit.role == AssignmentRole.co)
                                .where(col(TicketUnit.active))).all())
    pending = session.exec(
        select(ExtensionRequest.unit_id).where(ExtensionRequest.ticket_id == ticket.id)
        .where(ExtensionRequest.status == ExtensionState.pending)
    ).first()
    open_order = session.exec(
        select(SupervisionOrder.id).where(SupervisionOrder.ticket_id == ticket.id)
        .where(SupervisionOrder.status == OrderState.open)
    ).first()
    actor_unit = actor.unit
    extra = _i14b_facts(session, ticket, holder, co_rows, now)

    def is_ancestor_of(unit_id: int) -> bool:
        unit = session.get(Unit, unit_id)
        return unit is not None and is_ancestor(actor_unit, unit)

    return Facts(
        status=ticket.status, actor_role=actor.user.role, actor_unit_id=actor_unit.id,
        actor_unit_is_hotline=actor_unit.kind == UnitKind.hotline,
        actor_is_ancestor_of=is_ancestor_of, holder_unit_id=ticket.holder_unit_id,
        holder_is_hotline=holder is not None and holder.kind == UnitKind.hotline,
        co_unit_ids=frozenset(r.unit_id for r in co_rows), pending_extension_unit_id=pending,
        open_supervision=open_order is not None,
        close_overdue=ticket.close_due_at is not None and ticket.close_due_at < now,
        actor_unit_kind=str(actor_unit.kind), **extra,
    )


def _i14b_facts(session: Session, ticket: Ticket, holder: Unit | None,
                co_rows: list[TicketUnit], now: datetime) -> dict[str, Any]:
    """Co-units' parts (CQ §13(二)), the parent's review of a reply (CQ §6), failed visit
    attempts (CQ §14): what the guards of those rules look at. ``co_rows``: the ticket's
    active co-unit assignments."""
    answered = co_inputs_since(session, ticket.id, {r.unit_id: r.assigned_at for r in co_rows})
    waiting = frozenset(r.unit_id for r in co_rows if r.unit_id not in answered
                        and r.due_at is not None and as_utc(r.due_at) > now)
    unsigned = frozenset(r.unit_id for r in co_rows if r.signed_at is None)
    reviewer = reviewer_of(session, ticket, holder)
    state = None
    if reviewer is not None:
        state = session.exec(select(ReplyReview.status).where(ReplyReview.ticket_id == ticket.id)
                             .where(ReplyReview.unit_id == ticket.holder_unit_id)
                             .where(ReplyReview.status != ReviewState.used)
                             .order_by(col(ReplyReview.id).desc())).first()
    attempts = 0
    if ticket.status == Status.replied:
        last_reply = session.exec(select(func.max(TicketEvent.seq)).where(
            TicketEvent.ticket_id == ticket.id).where(TicketEvent.action == "reply")).one()
        attempts = int(session.exec(select(func.count()).select_from(TicketEvent)
                                    .where(TicketEvent.ticket_id == ticket.id)
                                    .where(TicketEvent.action == "visit_attempt")
                                    .where(TicketEvent.seq > (last_reply or 0))).one())
    return {"co_units_waiting": waiting, "co_units_unsigned": unsigned,
            "reviewer_unit_id": reviewer, "review_state": str(state) if state else None,
            "failed_visit_attempts": attempts,
            "visit_attempts_needed": get_settings().close_without_visit_attempts}



def _refusal(refusal: Refusal | None, message: str) -> Exception:
    if refusal in (Refusal.role, Refusal.scope):
        return Forbidden(message)
    if refusal == Refusal.unknown:
        return Invalid(message)
    return Conflict(message)


def apply(session: Session, actor: Actor, ticket: Ticket, payload: Payload,
          now: datetime | None = None) -> Ticket:
    """Judge and perform one action; the caller owns the transaction (commit/rollback)."""
    require_installed()
    now = now or utcnow()
    if payload.version is not None and payload.version != ticket.version:
        raise VersionConflict(
            f"工单 {ticket.number} 已更新到版本 {ticket.version}（您看到的是 {payload.version}）",
            current_version=ticket.version,
        )
    action = type(payload).model_fields["action"].default
    verdict = judge(action, facts_for(session, actor, ticket, now))
    if not verdict.allowed:
        raise _refusal(verdict.refusal, verdict.message)
    number = ticket.number  # the row is expired once a flush fails; keep what the message needs
    try:
        _perform(session, actor, ticket, BY_ACTION[action], payload, now)
    except (StaleDataError, IntegrityError) as exc:
        # A lost race: the versioned UPDATE matched no row, or two writers appended the same
        # history seq (unique per ticket).
        raise VersionConflict(f"工单 {number} 已被他人修改，请刷新后重试") from exc
    return ticket


def _perform(session: Session, actor: Actor, ticket: Ticket, transition: Transition,
             payload: Payload, now: datetime) -> None:
    before = ticket.status
    ticket.version += 1
    outcome = HANDLERS[transition.action](Act(session, actor, ticket, now), payload)
    after = transition.next_state(before, payload)
    ticket.status = after
    ticket.updated_at = now
    events = history.load(session, ticket.id)
    # Numbered when written, after the receivers (one of them may append to this history too).
    event = history.event(ticket, seq=0, kind=transition.action, actor=actor, now=now,
                          from_status=before, to_status=after, reason=outcome.reason,
                          payload=outcome.record)
    clocks = due_times.refresh(ticket, [*events, event], now)
    if outcome.after_clocks is not None:
        outcome.after_clocks(clocks)
    # Facts frozen at the moment of the act, for the unit metrics (docs/METRICS.md).
    event.payload = {**event.payload, **due_times.frozen(transition.freezes, clocks, now)}
    _settle(session, ticket, transition, now)
    done = ActionDone(session, actor, ticket, transition, payload, event, clocks, now)
    action_done.send(done)
    event.seq = history.next_seq(session, ticket.id)
    session.add(event)
    session.add(ticket)
    session.flush()
    for follow in done.follow_ups:
        history.note(session, ticket, follow.kind, actor=actor, now=now, reason=follow.reason,
                     payload=follow.payload)


def _settle(session: Session, ticket: Ticket, transition: Transition, now: datetime) -> None:
    """Requests addressed to the ticket's old situation end when it moves on (the table says
    which): an extension asked before a reply/forward/return is moot, and must neither block the
    next one nor move a later deadline; an open supervision order is resolved once the ticket is
    answered, void once it goes elsewhere."""
    if transition.lapses_extensions:
        for req in session.exec(select(ExtensionRequest).where(ExtensionRequest.ticket_id == ticket.id)
                                .where(ExtensionRequest.status == ExtensionState.pending)):
            req.status, req.decided_at = ExtensionState.lapsed, now
            req.decision_reason = f"工单已{transition.label}，申请自动失效"
            session.add(req)
    if transition.settles_orders is not None:
        outcome = OrderState(transition.settles_orders)
        for order in session.exec(select(SupervisionOrder).where(SupervisionOrder.ticket_id == ticket.id)
                                  .where(SupervisionOrder.status == OrderState.open)):
            order.status = outcome
            order.answered_at = order.answered_at or now
            session.add(order)
