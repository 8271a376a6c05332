"""What peers send us: transfers that become tickets, and feedback on matters we handed over.

Each message is verified (HMAC over timestamp + body, ±5 min), deduplicated by its unique
``message_id`` in the same transaction as its effect, and a duplicate gets the stored ack back.
A transfer becomes a ticket whose channel is the sending peer's code, so its progress goes back
to that peer (``outbound.report_progress``), whichever line it is.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

import integrations
from hotline.core.errors import DomainError
from hotline.core.times import utcnow
from hotline.intake.advice import safety_input
from hotline.intake.learning import advice_for
from hotline.linkage.models import Direction, InboxMessage, LinkedMatter, MatterStatus
from hotline.linkage.outbound import enqueue
from hotline.linkage.peers import OUR_CODE, peers
from hotline.notifications.notify import notify_supervisors
from hotline.tickets import history
from hotline.tickets.actions import EventKind
from hotline.tickets.commands import Registration, apply, register
from hotline.tickets.models import Status, Ticket
from hotline.tickets.payloads import Dispatch, Reclaim
from hotline.tickets.schemas import normalise_phone
from hotline.units.actor import Actor, system_actor

log = logging.getLogger("hotline.linkage")
SYSTEM_USER = "system-linkage"


class InboundError(Exception):
    def __init__(self, status: int, slug: str, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.slug, self.title, self.detail = status, slug, title, detail


@dataclass
class Received:
    status: int
    ack: str
    replayed: bool = False


def bridge_actor(session: Session) -> Actor:
    """The bridge's own identity in the history (CQ §16: who did it)."""
    return system_actor(session, SYSTEM_USER, "系统（联动平台）")


def receive(session: Session, peer_code: str, headers: Mapping[str, str], body: bytes,
            now: datetime | None = None) -> Received:
    """Verify, deduplicate and apply one message from a peer; the caller commits."""
    now = now or utcnow()
    peer = peers().get(peer_code)
    if peer is None:
        raise InboundError(404, "unknown-peer", "未知的对接平台", f"未配置平台 {peer_code}")
    try:
        integrations.verify(peer.verifying_secret(), headers, body, now)
    except integrations.SignatureError as exc:
        log.warning("inbound from %s refused: %s (%s)", peer_code, type(exc).__name__, exc)
        raise InboundError(401, "bad-signature", "签名校验失败", str(exc)) from exc
    try:
        envelope = peer.decode(body)
    except integrations.MessageError as exc:
        raise InboundError(422, "invalid-message", "报文不符合约定格式", str(exc)) from exc
    if headers.get("Idempotency-Key") != str(envelope.message_id):
        raise InboundError(400, "idempotency-key", "Idempotency-Key 与报文编号不一致",
                           "Idempotency-Key must equal message_id")
    if envelope.sender != peer.code or headers.get("X-Hotline-Peer", peer.code) != peer.code:
        raise InboundError(403, "wrong-sender", "发送方与通道不一致", f"sender {envelope.sender}")
    message_id = str(envelope.message_id)
    seen = session.exec(select(InboxMessage).where(InboxMessage.message_id == message_id)).first()
    if seen is not None:
        return Received(200, seen.ack, replayed=True)
    ticket: Ticket | None
    if envelope.kind in integrations.TRANSFER_KINDS:
        ticket = _create_from_transfer(session, peer_code, envelope, now)
    elif envelope.kind in integrations.FOLLOW_UP_KINDS:
        ticket = _apply_follow_up(session, peer_code, envelope, now)
    else:
        ticket = _apply_feedback(session, peer_code, envelope, now)
    our_id = ticket.number
    # Answered at the version the peer wrote in: a v1 peer never sees a "2" it would refuse.
    ack = integrations.Ack(message_id=envelope.message_id, peer_id=our_id, received_at=now,
                           schema_version=envelope.schema_version)
    ack_body = json.dumps(peer.message_mapping.encode(ack.model_dump(mode="json")), ensure_ascii=False)
    try:
        with session.begin_nested():
            session.add(InboxMessage(peer=peer_code, message_id=message_id, kind=str(envelope.kind),
                                     correlation_id=envelope.correlation_id,
                                     ticket_id=ticket.id, ack=ack_body, received_at=now))
    except IntegrityError as exc:  # the same message raced in twice: the other one won
        raise InboundError(409, "duplicate-in-flight", "重复报文正在处理", message_id) from exc
    return Received(202, ack_body)


def _create_from_transfer(session: Session, peer_code: str, envelope: integrations.Envelope,
                          now: datetime) -> Ticket:
    """A non-police matter handed to 12345 becomes a normal ticket, routed by `routing`."""
    p: Any = envelope.payload  # a TicketTransfer or a PoliceOrder: the fields both carry
    content = p.content
    try:
        phone = normalise_phone(p.caller_phone)
    except ValueError:  # e.g. a withheld number: not stored as a number (CQ §11); the ticket
        # gets a lookup code, and what the peer sent stays in the text
        phone = ""
        if p.caller_phone:
            content = f"{p.content}（来电号码：{p.caller_phone}）"
    actor = bridge_actor(session)
    category = getattr(p, "category", None)
    ticket = register(session, actor, Registration(
        channel=peer_code, caller_phone=phone, request_type=getattr(p, "request_type", None) or "求助",
        content=content, caller_name=p.caller_name, address=p.address,
        category=category if category and "/" in category else None), now=now)
    # Every field the peer sent (call time, 警情类别, level, jurisdiction, coordinates …) stays on
    # the ticket's record, whatever our ticket columns hold.
    history.note(session, ticket, EventKind.peer_record, actor=None, now=now,
                 reason=f"{peer_code} 转来（{envelope.kind}）",
                 payload={"peer": peer_code, "kind": str(envelope.kind),
                          "message_id": str(envelope.message_id),
                          "record": p.model_dump(mode="json", exclude_none=True)})
    link = LinkedMatter(ticket_id=ticket.id, peer=peer_code, direction=Direction.in_,
                        our_ref=ticket.number, peer_ref=envelope.correlation_id,
                        status=MatterStatus.accepted, sent_at=now, acked_at=now, updated_at=now,
                        out_seq=1)
    session.add(link)
    # Acceptance feedback (SH 二(二)1), then dispatch by routing's suggestion when it has one.
    accepted = integrations.Envelope.new(
        "accepted", sender=OUR_CODE, correlation_id=ticket.number, sent_at=now,
        payload={"ref": envelope.correlation_id, "seq": 1, "occurred_at": now,
                 "peer_id": ticket.number})
    enqueue(session, peer_code, accepted, ticket.id, now)
    session.flush()
    safety = safety_input(ticket.content)
    if safety.kind == "emergency":
        # CQ §10: an emergency is never auto-dispatched as a work order; an agent hands it over
        # (or overrides with a reason), and the supervisors hear of it now.
        words = "、".join(safety.triggers)
        notify_supervisors(session, kind="em_inbound", ticket_id=ticket.id, now=now,
                           title=f"【转入紧急事项】{peer_code} 转来工单 {ticket.number} 疑似紧急",
                           body=f"系统判定应移交 {safety.service or '110'}（{words}），未自动派发，"
                                f"请话务员立即处置（CQ §10）")
        log.info("inbound %s looks like an emergency (%s): left for an agent", ticket.number, words)
        return ticket
    # The classifier's category goes with the automatic dispatch (the peer's, when it sent one).
    advice = advice_for(session, ticket.content, ticket.address, ticket.request_type, ticket.number)
    guessed = ticket.category or (advice.top_category if advice is not None else None)
    try:
        with session.begin_nested():
            apply(session, actor, ticket, Dispatch(note=f"{peer_code} 转办，按智能派单建议派发",
                                                   category=guessed), now)
    except DomainError as exc:  # nobody clearly responsible: an agent dispatches it by hand
        log.warning("inbound matter left for an agent ticket=%s peer=%s reason=%s",
                    ticket.number, peer_code, exc.detail)
        session.refresh(ticket)
        notify_supervisors(
            session, kind="linkage", ticket_id=ticket.id, now=now,
            title=f"【待人工派单】{peer_code} 转来的工单 {ticket.number} 未能自动派单",
            body=f"原因：{exc.detail}。内容：{ticket.content[:80]}。请在“待派单”中尽快派发。")
    return ticket


def _apply_feedback(session: Session, peer_code: str, envelope: integrations.Envelope,
                    now: datetime) -> Ticket:
    p: Any = envelope.payload  # one of the feedback payloads: ref, seq, and kind-specific fields
    # Status callbacks are about matters *we* handed over (an inbound matter is reported on by us).
    link = session.exec(select(LinkedMatter).where(LinkedMatter.our_ref == p.ref)
                        .where(LinkedMatter.peer == peer_code)
                        .where(LinkedMatter.direction == Direction.out)).first()
    if link is None:
        raise InboundError(422, "unknown-matter", "未找到对应的联动事项", f"ref {p.ref}")
    state = integrations.LinkState(
        status=integrations.LinkStatus(link.status) if link.status != MatterStatus.queued
        else integrations.LinkStatus.sent,
        peer_id=link.peer_ref,
        milestones={integrations.LinkStatus(k): datetime.fromisoformat(v)
                    for k, v in link.milestones.items()},
        seen=frozenset(link.seen))
    before = link.status
    new = integrations.apply_feedback(state, envelope)
    link.status = MatterStatus(new.status.value)
    link.peer_ref = new.peer_id or link.peer_ref
    link.milestones = {k.value: v.isoformat() for k, v in new.milestones.items()}
    link.seen = sorted(new.seen)
    link.updated_at = now
    if new.status == integrations.LinkStatus.closed and link.closed_at is None:
        link.closed_at = now
    ticket = _record_feedback(session, peer_code, envelope, link, now)
    if link.status == MatterStatus.rejected and before != MatterStatus.rejected:
        link.rejected_reason = getattr(p, "reason", None)
        if ticket.status == Status.emergency:
            # 首接责任制: not theirs — it stays with us, back to the agents to dispatch.
            apply(session, bridge_actor(session), ticket,
                  Reclaim(reason=f"{peer_code} 退回：{link.rejected_reason or '非本平台职责'}"), now)
            notify_supervisors(
                session, kind="linkage", ticket_id=ticket.id, now=now,
                title=f"【对方退回】工单 {ticket.number} 被 {peer_code} 退回，待重新派单",
                body=f"退回原因：{link.rejected_reason or '未说明'}。工单已回到“待派单”，请尽快处理。")
            log.warning("peer rejected a hand-over ticket=%s peer=%s reason=%s",
                        ticket.number, peer_code, link.rejected_reason)
    session.add(link)
    return ticket


def _record_feedback(session: Session, peer_code: str, envelope: integrations.Envelope,
                     link: LinkedMatter, now: datetime, reason: str | None = None) -> Ticket:
    """The message on the ticket's record, every field the peer sent (unit, officer, case
    number, closure code …) kept and shown."""
    p: Any = envelope.payload
    ticket = session.get(Ticket, link.ticket_id)
    assert ticket is not None  # a foreign key
    history.note(session, ticket, EventKind.peer_feedback, actor=None, now=now,
                 reason=reason or getattr(p, "note", None) or getattr(p, "reason", None),
                 payload={"peer": peer_code, "kind": str(envelope.kind), "seq": p.seq,
                          "kind_label": integrations.KIND_LABELS[envelope.kind],
                          "link_status": str(link.status),
                          "record": p.model_dump(mode="json", exclude_none=True)})
    return ticket


def _apply_follow_up(session: Session, peer_code: str, envelope: integrations.Envelope,
                     now: datetime) -> Ticket:
    """催办/督办, 撤单 or 补充信息 from a peer about a matter it handed to us (schema v2): on the
    ticket's record, and the hotline supervisors told. A 撤单 does not close the ticket by
    itself: whether the caller still needs us is for a person to judge (首接负责)."""
    p: Any = envelope.payload
    link = session.exec(select(LinkedMatter).where(LinkedMatter.peer_ref == envelope.correlation_id)
                        .where(LinkedMatter.peer == peer_code)
                        .where(LinkedMatter.direction == Direction.in_)).first()
    if link is None:
        raise InboundError(422, "unknown-matter", "未找到对应的联动事项",
                           f"correlation_id {envelope.correlation_id}")
    if envelope.kind == integrations.MessageKind.urge:
        what, text = p.urge_level, p.reason
    elif envelope.kind == integrations.MessageKind.cancel:
        what, text = "撤单", p.reason
    else:
        what, text = "补充信息", p.content
    ticket = _record_feedback(session, peer_code, envelope, link, now, reason=f"{peer_code}{what}：{text}")
    link.updated_at = now
    session.add(link)
    notify_supervisors(
        session, kind="linkage", ticket_id=ticket.id, now=now,
        title=f"【{peer_code}{what}】工单 {ticket.number}",
        body=f"{text[:200]}" + ("。对方已撤回该事项，请核实来电人诉求后按规定办结或继续办理。"
                                if envelope.kind == integrations.MessageKind.cancel else ""))
    return ticket
