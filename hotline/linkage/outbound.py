"""What we send to peers: emergency hand-overs, and progress on matters they handed to us.

Every message is an outbox row written in the same transaction as the ticket change that caused
it (SH 二(二)1: nothing lost); the relay sends it after the commit. ``delivery_due`` is the hook
the relay's kick is connected to (``hotline.wiring``): the bridge never imports the workers.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial
from typing import Any

from sqlmodel import Session, select

import integrations
from hotline.core.db import on_commit
from hotline.core.errors import Conflict
from hotline.core.signals import Signal
from hotline.linkage.models import Direction, LinkedMatter, MatterStatus, OutboxMessage
from hotline.linkage.peers import OUR_CODE, peers
from hotline.tickets.actions import Action
from hotline.tickets.models import Ticket
from hotline.units.models import Unit
from integrations.messages import Channel as WireChannel

log = logging.getLogger("hotline.linkage")

#: Sent after a commit that wrote outbox rows, with the peer's code: time to relay.
delivery_due: Signal[str] = Signal("delivery_due")


def enqueue(session: Session, peer: str, envelope: integrations.Envelope, ticket_id: int | None,
            now: datetime) -> OutboxMessage:
    row = OutboxMessage(peer=peer, message_id=str(envelope.message_id), kind=str(envelope.kind),
                        ticket_id=ticket_id, body=envelope.model_dump_json(), attempts=0,
                        next_attempt_at=now, created_at=now)
    session.add(row)
    on_commit(session, partial(delivery_due.send, peer), key=("relay", peer))
    return row


#: Our channel → the messages' channel vocabulary (a peer's code travels as "other").
_WIRE_CHANNELS: dict[str, WireChannel] = {
    "phone": "phone", "web": "web", "app": "app", "wechat": "wechat", "110": "110",
    "national": "national"}


def _link_out(session: Session, ticket: Ticket, service: str) -> LinkedMatter | None:
    return session.exec(select(LinkedMatter).where(LinkedMatter.ticket_id == ticket.id)
                        .where(LinkedMatter.peer == service)
                        .where(LinkedMatter.direction == Direction.out)).first()


def with_peer(session: Session, ticket: Ticket, service: str) -> bool:
    """Is a matter of this ticket already open at that peer (sent, not closed or sent back)?"""
    link = _link_out(session, ticket, service)
    return link is not None and link.status not in (MatterStatus.closed, MatterStatus.rejected)


def hand_over(session: Session, ticket: Ticket, service: str, reason: str, now: datetime) -> bool:
    """Queue the transfer of an emergency / police matter to its peer (CQ §10, SH 二(一)2)."""
    peer = peers().get(service)
    if peer is None:
        log.warning("no peer %s configured: %s handed over by phone only", service, ticket.number)
        return False
    payload = integrations.TicketTransfer(
        ticket_number=ticket.number, channel=_WIRE_CHANNELS.get(ticket.channel, "other"),
        request_type=ticket.request_type, category=ticket.category or "紧急求助",
        content=ticket.content, address=ticket.address, caller_name=ticket.caller_name,
        caller_phone=ticket.caller_phone, registered_at=ticket.created_at,
        transfer_reason=reason[:200] or "涉及人身财产安全的紧急事项", urgency="very_urgent")
    envelope = integrations.Envelope.new("ticket_transfer", sender=OUR_CODE,
                                         correlation_id=ticket.number, payload=payload, sent_at=now)
    link = _link_out(session, ticket, service)
    if link is not None and link.status not in (MatterStatus.closed, MatterStatus.rejected):
        raise Conflict(f"工单 {ticket.number} 已移交 {service}，对方尚在处置，无需重复移交",
                       title="已移交对方平台")
    enqueue(session, service, envelope, ticket.id, now)
    if link is None:
        session.add(LinkedMatter(ticket_id=ticket.id, peer=service, direction=Direction.out,
                                 our_ref=ticket.number, status=MatterStatus.queued, sent_at=now,
                                 updated_at=now))
    else:
        # Handed over again after the peer closed or sent back the earlier matter (a unit
        # bringing 110 in after a reclaim): one row per ticket and peer, started afresh.
        link.status, link.sent_at, link.updated_at = MatterStatus.queued, now, now
        link.peer_ref = link.acked_at = link.closed_at = link.rejected_reason = None
        link.milestones, link.seen = {}, []
        session.add(link)
    return True


#: What a peer that handed a matter to us hears when we act on it (the closed loop, SH 二(二)1).
#: One entry per workflow action; a test keeps it complete.
FEEDBACK: dict[Action, integrations.MessageKind | None] = {
    Action.answer_directly: integrations.MessageKind.result,
    Action.warm_transfer: integrations.MessageKind.result,
    Action.not_accept: integrations.MessageKind.rejected,
    Action.emergency_handover: None,
    Action.dispatch: integrations.MessageKind.dispatched,
    Action.sign: None,
    Action.forward: None,
    Action.return_: None,
    Action.reject_return: None,
    Action.request_extension: None,
    Action.approve_extension: None,
    Action.deny_extension: None,
    Action.co_input: None,
    Action.reply: integrations.MessageKind.result,
    Action.visit: None,
    Action.rework: None,
    Action.explain_close: integrations.MessageKind.closed,
    Action.close: integrations.MessageKind.closed,
    Action.close_without_visit: integrations.MessageKind.closed,
    Action.supervise: None,
    Action.answer_supervision: None,
    Action.merge: integrations.MessageKind.result,
    Action.reclaim: None,
    Action.archive: None,
    Action.bring_in_peer: None,
    Action.visit_attempt: None,
    Action.co_sign: None,
    Action.submit_reply: None,
    Action.review_reply: None,
}


def _feedback_body(session: Session, ticket: Ticket, action: Action,
                   kind: integrations.MessageKind) -> dict[str, Any]:
    if kind == integrations.MessageKind.dispatched:
        unit = session.get(Unit, ticket.lead_unit_id) if ticket.lead_unit_id else None
        return {"unit": unit.name if unit else OUR_CODE}
    if kind == integrations.MessageKind.rejected:
        return {"reason": "12345 不予受理"}
    if kind == integrations.MessageKind.result:
        if action == Action.merge:
            target = session.get(Ticket, ticket.merged_into_id) if ticket.merged_into_id else None
            return {"result": f"重复诉求，已合并至工单 {target.number if target else ''} 一并办理"}
        if action == Action.warm_transfer:
            return {"result": f"已转接 {(ticket.decision or {}).get('target', '相关单位')} 直接处理"}
        return {"result": (ticket.reply_content or "已答复")[:4000]}
    return {}


def report_progress(session: Session, ticket: Ticket, action: Action, now: datetime) -> int:
    """Tell every peer that handed this matter to us what we just did; returns messages queued."""
    kind = FEEDBACK[action]
    if kind is None:
        return 0
    queued = 0
    for link in session.exec(select(LinkedMatter).where(LinkedMatter.ticket_id == ticket.id)
                             .where(LinkedMatter.direction == Direction.in_)):
        link.out_seq += 1
        body = {"ref": link.peer_ref, "seq": link.out_seq, "occurred_at": now,
                **_feedback_body(session, ticket, action, kind)}
        envelope = integrations.Envelope.new(kind, sender=OUR_CODE, correlation_id=ticket.number,
                                             payload=body, sent_at=now)
        enqueue(session, link.peer, envelope, ticket.id, now)
        link.updated_at = now
        session.add(link)
        queued += 1
    return queued
