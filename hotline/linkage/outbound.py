"""What we send to peers: emergency hand-overs, and progress on matters they handed to us.

Every message is an outbox row written in the same transaction as the ticket change that caused
it (SH 二(二)1: nothing lost); the relay sends it after the commit. ``delivery_due`` is the hook
the relay's kick is connected to (``hotline.wiring``): the bridge never imports the workers.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from functools import partial
from typing import Any

from sqlmodel import Session, col, select

import integrations
from hotline.core.db import on_commit
from hotline.core.errors import Conflict
from hotline.core.signals import Signal
from hotline.linkage.models import Direction, LinkedMatter, MatterStatus, OutboxMessage, OutboxState
from hotline.linkage.peers import OUR_CODE, peers
from hotline.tickets.actions import Action
from hotline.tickets.models import Ticket
from hotline.tickets.payloads import Payload, Visit
from hotline.tickets.workflow import ACTION_LABELS
from hotline.units.models import Unit, UnitKind, User
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


#: A matter the peer no longer has: done, sent back, or withdrawn by us.
_ENDED = (MatterStatus.closed, MatterStatus.rejected, MatterStatus.cancelled)


def _link_out(session: Session, ticket: Ticket, service: str) -> LinkedMatter | None:
    return session.exec(select(LinkedMatter).where(LinkedMatter.ticket_id == ticket.id)
                        .where(LinkedMatter.peer == service)
                        .where(LinkedMatter.direction == Direction.out)).first()


def with_peer(session: Session, ticket: Ticket, service: str) -> bool:
    """Is a matter of this ticket already open at that peer (sent, not closed or sent back)?"""
    link = _link_out(session, ticket, service)
    return link is not None and link.status not in _ENDED


_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_.-]{0,31}$")
_DISTRICT = re.compile(r"^\d{6}$")
_STREET = re.compile(r"^\d{9}(\d{3})?$")


def _code(value: str | None) -> str | None:
    """A code as the messages allow it (``Code``), or nothing: a unit tree built with free-form
    codes (the demo's ``HL``, ``PD-JT``) still sends what fits, never a refused message."""
    return value if value and _CODE.match(value) else None


def _area_codes(session: Session, ticket: Ticket) -> dict[str, str]:
    """区县 / 街道 administrative codes from the unit tree above the ticket's unit, where the
    units there are coded with them (district units with 6-digit 区划代码, streets with 9 or 12
    digits); a street code also gives its district (its first six digits)."""
    unit_id = ticket.holder_unit_id or ticket.lead_unit_id
    unit = session.get(Unit, unit_id) if unit_id else None
    if unit is None:
        return {}
    ids = [int(x) for x in unit.path.strip("/").split("/") if x.isdigit()] or [unit.id]
    out: dict[str, str] = {}
    for u in session.exec(select(Unit).where(col(Unit.id).in_(ids))):
        if u.kind in (UnitKind.district_gov, UnitKind.district_dept) and _DISTRICT.match(u.code):
            out.setdefault("district_code", u.code)
        elif u.kind == UnitKind.street and _STREET.match(u.code):
            out.setdefault("street_code", u.code)
    if "street_code" in out:
        out.setdefault("district_code", out["street_code"][:6])
    return out


def _registrar(session: Session, ticket: Ticket) -> str | None:
    """The agent who took the call (受理人): the ticket's registering user."""
    user = session.get(User, ticket.created_by_id) if ticket.created_by_id else None
    return user.full_name[:64] if user is not None and user.full_name.strip() else None


def hand_over(session: Session, ticket: Ticket, service: str, reason: str, now: datetime) -> bool:
    """Queue the transfer of an emergency / police matter to its peer (CQ §10, SH 二(一)2).

    Schema v2 fields go in where the product knows them — the agent who took the call, the
    ticket's deadline (when it has one: a matter a unit brings in), the unit tree's area codes;
    a v1 peer gets the message without them (``PeerConfig.encode``)."""
    peer = peers().get(service)
    if peer is None:
        log.warning("no peer %s configured: %s handed over by phone only", service, ticket.number)
        return False
    area = _area_codes(session, ticket)
    payload = integrations.TicketTransfer(
        ticket_number=ticket.number, channel=_WIRE_CHANNELS.get(ticket.channel, "other"),
        request_type=ticket.request_type, category=ticket.category or "紧急求助",
        content=ticket.content, address=ticket.address, caller_name=ticket.caller_name,
        caller_phone=ticket.caller_phone, registered_at=ticket.created_at,
        transfer_reason=reason[:200] or "涉及人身财产安全的紧急事项", urgency="very_urgent",
        received_by=_registrar(session, ticket),
        deadline=ticket.close_due_at or ticket.next_due_at,
        district_code=area.get("district_code"), street_code=area.get("street_code"))
    envelope = integrations.Envelope.new("ticket_transfer", sender=OUR_CODE,
                                         correlation_id=ticket.number, payload=payload, sent_at=now)
    link = _link_out(session, ticket, service)
    if link is not None and link.status not in _ENDED:
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
    Action.visit: integrations.MessageKind.visit_result,
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


def _feedback_body(session: Session, ticket: Ticket, action: Action, kind: integrations.MessageKind,
                   payload: Payload | None, actor_name: str | None) -> dict[str, Any]:
    holder_id = ticket.holder_unit_id or ticket.lead_unit_id
    holder = session.get(Unit, holder_id) if holder_id else None
    who = {"officer": actor_name[:64] if actor_name else None,
           "unit_code": _code(holder.code) if holder else None}
    if kind == integrations.MessageKind.dispatched:
        unit = session.get(Unit, ticket.lead_unit_id) if ticket.lead_unit_id else None
        return {"unit": unit.name if unit else OUR_CODE, "unit_code": _code(unit.code) if unit else None}
    if kind == integrations.MessageKind.rejected:
        return {"reason": "12345 不予受理"}
    if kind == integrations.MessageKind.result:
        category = ACTION_LABELS.get(action.value)
        if action == Action.merge:
            target = session.get(Ticket, ticket.merged_into_id) if ticket.merged_into_id else None
            return {"result": f"重复诉求，已合并至工单 {target.number if target else ''} 一并办理",
                    "result_category": category}
        if action == Action.warm_transfer:
            return {"result": f"已转接 {(ticket.decision or {}).get('target', '相关单位')} 直接处理",
                    "result_category": category}
        return {"result": (ticket.reply_content or "已答复")[:4000], "result_category": category, **who}
    if kind == integrations.MessageKind.closed:
        return {"result_category": ACTION_LABELS.get(action.value), "closure_code": action.value, **who}
    if kind == integrations.MessageKind.visit_result and isinstance(payload, Visit):
        return {"satisfaction": str(payload.rating), "solved": payload.resolved,
                "comment": (payload.comment or "").strip()[:4000] or None, **who}
    return {}


def _speaks(peer_code: str, kind: integrations.MessageKind, ticket: Ticket) -> bool:
    """Can this peer take this kind at its schema version? A newer kind is held back (logged):
    a v1 peer would refuse it, and the relay would alert about a message that can never go."""
    peer = peers().get(peer_code)
    if peer is None or peer.speaks(kind):
        return True  # an unconfigured peer: the relay marks it dead and alerts, as before
    log.info("not sent to %s (schema_version %s has no %s) ticket=%s", peer_code,
             peer.schema_version, kind.value, ticket.number)
    return False


def report_progress(session: Session, ticket: Ticket, action: Action, now: datetime,
                    payload: Payload | None = None, actor_name: str | None = None) -> list[str]:
    """Tell every peer that handed this matter to us what we just did; returns the peers told.

    A kind the peer's schema version lacks (回访结果 to a v1 peer) is held back, not queued."""
    kind = FEEDBACK[action]
    if kind is None:
        return []
    told = []
    for link in session.exec(select(LinkedMatter).where(LinkedMatter.ticket_id == ticket.id)
                             .where(LinkedMatter.direction == Direction.in_)):
        if not _speaks(link.peer, kind, ticket):
            continue
        link.out_seq += 1
        body = {"ref": link.peer_ref, "seq": link.out_seq, "occurred_at": now,
                **_feedback_body(session, ticket, action, kind, payload, actor_name)}
        envelope = integrations.Envelope.new(kind, sender=OUR_CODE, correlation_id=ticket.number,
                                             payload=body, sent_at=now)
        enqueue(session, link.peer, envelope, ticket.id, now)
        link.updated_at = now
        session.add(link)
        told.append(link.peer)
    return told


def _follow_up(session: Session, ticket: Ticket, link: LinkedMatter,
               kind: integrations.MessageKind, body: dict[str, Any], now: datetime) -> bool:
    """Queue a follow-up (撤单, 补充信息 …) about a matter we handed to ``link.peer``; False when
    the peer's schema version has no such kind. It never overtakes the transfer it is about:
    while that still waits for its next try, the follow-up waits with it."""
    if not _speaks(link.peer, kind, ticket):
        return False
    link.out_seq += 1
    envelope = integrations.Envelope.new(
        kind, sender=OUR_CODE, correlation_id=link.our_ref, sent_at=now,
        payload={"peer_ref": link.peer_ref, "seq": link.out_seq, "occurred_at": now, **body})
    row = enqueue(session, link.peer, envelope, ticket.id, now)
    transfer = session.exec(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)
                            .where(OutboxMessage.peer == link.peer)
                            .where(OutboxMessage.kind == integrations.MessageKind.ticket_transfer)
                            .where(OutboxMessage.state == OutboxState.pending)).first()
    if transfer is not None and transfer.next_attempt_at and transfer.next_attempt_at > now:
        row.next_attempt_at = transfer.next_attempt_at
    link.updated_at = now
    session.add(link)
    return True


def open_links_out(session: Session, ticket: Ticket) -> list[LinkedMatter]:
    """The matters of this ticket still open at a peer we handed them to."""
    return [link for link in session.exec(
        select(LinkedMatter).where(LinkedMatter.ticket_id == ticket.id)
        .where(LinkedMatter.direction == Direction.out)) if link.status not in _ENDED]


def withdraw(session: Session, ticket: Ticket, reason: str, now: datetime) -> dict[str, list[str]]:
    """撤单: the hotline took back a matter it had handed over (reclaim while the peer still had
    it): each such peer is told, and the matter is marked withdrawn on our side. Returns the
    peers told and those whose schema version has no 撤单 (to be told by phone)."""
    out: dict[str, list[str]] = {"cancelled": [], "by_phone": []}
    for link in open_links_out(session, ticket):
        sent = _follow_up(session, ticket, link, integrations.MessageKind.cancel,
                          {"reason": reason[:4000] or "12345 撤回"}, now)
        out["cancelled" if sent else "by_phone"].append(link.peer)
        link.status, link.closed_at = MatterStatus.cancelled, now
        session.add(link)
    return out


def supplement(session: Session, ticket: Ticket, content: str, now: datetime,
               address: str | None = None) -> list[str]:
    """补充信息: more about a matter a peer still has (a second caller's account merged into
    the ticket); returns the peers told."""
    told = []
    for link in open_links_out(session, ticket):
        body = {"content": content[:4000], "address": (address or "")[:200] or None}
        if _follow_up(session, ticket, link, integrations.MessageKind.supplement, body, now):
            told.append(link.peer)
    return told
