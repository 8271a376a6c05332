"""The 12345 ⇄ 110 bridge inside the application (SH: 上海市12345与110对接联动意见).

- Outbound: an emergency hand-over writes an outbox row (and a linked-matter row) in the same
  transaction as the ticket change; `relay` sends it, signed, with the message id as the
  Idempotency-Key, retries with back-off, and marks it dead (alerting supervisors) after N tries.
- Inbound: `receive` verifies the signature and timestamp, deduplicates by message id in the same
  transaction as its effect, turns a transfer into a channel-110 ticket routed by `routing`, and
  folds status callbacks (in any order, any number of times) into the linked matter.
- First receiver rule (首接责任制): a matter the peer rejects as not theirs comes back to the
  ticket's first receiver (the hotline) — the ticket is reclaimed for dispatch.
- Progress and the final reply of an inbound matter go back to the peer through the outbox.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

import integrations
from hotline.core.settings import get_settings
from hotline.core.times import utcnow
from hotline.linkage.models import InboxMessage, LinkedMatter, OutboxMessage
from hotline.supervision.models import Notification
from hotline.tickets.models import Ticket
from hotline.units.models import Unit, UnitKind, User

log = logging.getLogger("hotline.linkage")
OUR_CODE = "12345"
EXAMPLE_PEERS = Path(integrations.__file__).resolve().parent / "peers.example.toml"


@lru_cache
def peers() -> dict[str, integrations.PeerConfig]:
    """Peers from HOTLINE_PEERS_FILE / HOTLINE_PEER__… ; the example file in demo mode."""
    found = integrations.load_peers_from_env()
    if not found and get_settings().demo_mode:
        found = integrations.load_peers(EXAMPLE_PEERS)
    return found


def reload() -> None:
    peers.cache_clear()


# ---------------------------------------------------------------------------------------------
# Outbound
# ---------------------------------------------------------------------------------------------
def _enqueue(session: Session, peer: str, envelope: integrations.Envelope, ticket_id: int | None,
             now: datetime) -> OutboxMessage:
    row = OutboxMessage(peer=peer, message_id=str(envelope.message_id), kind=str(envelope.kind),
                        ticket_id=ticket_id, body=envelope.model_dump_json(), state="pending",
                        attempts=0, next_attempt_at=now, created_at=now)
    session.add(row)
    session.info["outbox_written"] = True  # the request's session kicks the relay after commit
    return row


def hand_over(session: Session, ticket: Ticket, service: str, reason: str, now: datetime) -> bool:
    """Queue the transfer of an emergency / police matter to its peer (CQ §10, SH 二(一)2)."""
    peer = peers().get(service)
    if peer is None:
        log.warning("no peer %s configured: %s handed over by phone only", service, ticket.number)
        return False
    payload = integrations.TicketTransfer(
        ticket_number=ticket.number, channel=ticket.channel if ticket.channel in (
            "phone", "web", "app", "wechat", "110", "national") else "other",
        request_type=ticket.request_type, category=ticket.category or "紧急求助",
        content=ticket.content, address=ticket.address, caller_name=ticket.caller_name,
        caller_phone=ticket.caller_phone, registered_at=ticket.created_at,
        transfer_reason=reason[:200] or "涉及人身财产安全的紧急事项", urgency="very_urgent")
    envelope = integrations.Envelope.new("ticket_transfer", sender=OUR_CODE,
                                         correlation_id=ticket.number, payload=payload, sent_at=now)
    _enqueue(session, service, envelope, ticket.id, now)
    session.add(LinkedMatter(ticket_id=ticket.id, peer=service, direction="out",  # type: ignore[arg-type]
                             our_ref=ticket.number, status="queued", sent_at=now, updated_at=now))
    return True


FEEDBACK_FOR_ACTION = {"dispatch": "dispatched", "reply": "result", "close": "closed",
                       "explain_close": "closed", "close_without_visit": "closed",
                       "answer_directly": "result", "warm_transfer": "result",
                       "merge": "result", "not_accept": "rejected"}


def after_action(session: Session, ticket: Ticket, action: str, now: datetime) -> None:
    """Report progress of a matter a peer handed to us back to that peer (closed loop)."""
    kind = FEEDBACK_FOR_ACTION.get(action)
    if kind is None or ticket.channel != "110":
        return
    for link in session.exec(select(LinkedMatter).where(LinkedMatter.ticket_id == ticket.id)
                             .where(LinkedMatter.direction == "in")):
        link.out_seq += 1
        body: dict[str, Any] = {"ref": link.peer_ref, "seq": link.out_seq, "occurred_at": now}
        if kind == "dispatched":
            unit = session.get(Unit, ticket.lead_unit_id) if ticket.lead_unit_id else None
            body["unit"] = unit.name if unit else "12345"
        elif kind == "result" and action == "merge":
            target = session.get(Ticket, ticket.merged_into_id) if ticket.merged_into_id else None
            body["result"] = f"重复诉求，已合并至工单 {target.number if target else ''} 一并办理"
        elif kind == "result" and action == "warm_transfer":
            body["result"] = f"已转接 {(ticket.decision or {}).get('target', '相关单位')} 直接处理"
        elif kind == "result":
            body["result"] = (ticket.reply_content or "已答复")[:4000]
        elif kind == "rejected":
            body["reason"] = "12345 不予受理"
        envelope = integrations.Envelope.new(kind, sender=OUR_CODE, correlation_id=ticket.number,
                                             payload=body, sent_at=now)
        _enqueue(session, link.peer, envelope, ticket.id, now)
        link.updated_at = now
        session.add(link)


@dataclass
class RelayResult:
    delivered: int = 0
    retry: int = 0
    dead: int = 0


LEASE = timedelta(seconds=60)


def relay(session: Session, now: datetime | None = None, *, client: httpx.Client | None = None,
          limit: int = 500) -> RelayResult:
    """Send due outbox rows. At least once: the receiver deduplicates by message id.

    No transaction is held across the network: due rows are *claimed* with a short lease (their
    next attempt moved a minute ahead, so a parallel relay skips them), committed, then each is
    sent and its outcome recorded in a transaction of its own. A relay killed after sending and
    before recording leaves the lease to expire, and the row is sent again, with the same id.
    The session passed in is used for those short transactions (it is committed here).
    """
    now = now or utcnow()
    out = RelayResult()
    stmt = (select(OutboxMessage.id).where(OutboxMessage.state == "pending")
            .where(col(OutboxMessage.next_attempt_at) <= now)
            .order_by(col(OutboxMessage.id)).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    ids = list(session.exec(stmt))
    if not ids:
        session.commit()
        return out
    for row in session.exec(select(OutboxMessage).where(col(OutboxMessage.id).in_(ids))):
        row.next_attempt_at = now + LEASE
        session.add(row)
    session.commit()
    pause = float(os.environ.get("HOTLINE_FAULT_RELAY_PAUSE", "0") or 0)  # tests: kill mid-send
    own = client is None
    client = client or httpx.Client()
    try:
        for row_id in ids:
            row = session.get(OutboxMessage, row_id)
            if row is None or row.state != "pending":
                continue
            peer = peers().get(row.peer)
            if peer is None:
                _dead(session, row, now, f"peer {row.peer} is not configured")
                out.dead += 1
            else:
                envelope = integrations.Envelope.model_validate_json(row.body)
                result = integrations.send(peer, envelope, client=client)  # wall-clock signature
                if pause:
                    time.sleep(pause)
                _record(session, row, peer, result, now, out)
            session.commit()
    finally:
        if own:
            client.close()
    return out


def _record(session: Session, row: OutboxMessage, peer: integrations.PeerConfig,
            result: integrations.SendResult, now: datetime, out: RelayResult) -> None:
    row.attempts += 1
    row.last_http_status = result.http_status
    row.last_error = result.error
    if result.status.done:
        row.state, row.delivered_at, row.peer_id = "delivered", now, result.peer_id
        row.next_attempt_at = None
        out.delivered += 1
        if row.kind == "ticket_transfer":
            _acked(session, row, result.peer_id, now)
    elif result.status == "rejected" or integrations.is_dead(row.attempts, peer.max_attempts):
        _dead(session, row, now, result.error or f"HTTP {result.http_status}")
        out.dead += 1
    else:
        delay = integrations.next_attempt_delay(row.attempts)
        if result.retry_after and result.retry_after > delay:
            delay = result.retry_after
        row.next_attempt_at = now + delay
        out.retry += 1
    session.add(row)


def _acked(session: Session, row: OutboxMessage, peer_id: str | None, now: datetime) -> None:
    from hotline.tickets.commands import append_event

    link = session.exec(select(LinkedMatter).where(LinkedMatter.ticket_id == row.ticket_id)
                        .where(LinkedMatter.peer == row.peer)
                        .where(LinkedMatter.direction == "out")).first()
    if link is not None:
        link.peer_ref = link.peer_ref or peer_id
        link.acked_at = link.acked_at or now
        if link.status == "queued":
            link.status = "sent"
        link.updated_at = now
        session.add(link)
    ticket = session.get(Ticket, row.ticket_id) if row.ticket_id else None
    if ticket is not None:  # 110's id on the ticket's record
        append_event(session, ticket, action="peer_ack", actor=None, now=now,
                     from_status=ticket.status, to_status=ticket.status,
                     reason=f"{row.peer} 已接收", payload={"peer": row.peer, "peer_id": peer_id})


def _dead(session: Session, row: OutboxMessage, now: datetime, error: str) -> None:
    row.state, row.next_attempt_at, row.last_error = "dead", None, error
    hotline = session.exec(select(Unit).where(Unit.kind == UnitKind.hotline)).first()
    if hotline is not None:  # supervisors are alerted
        number = session.get(Ticket, row.ticket_id).number if row.ticket_id else "—"  # type: ignore[union-attr]
        session.add(Notification(
            ticket_id=row.ticket_id, unit_id=hotline.id, role="supervisor", kind="linkage",  # type: ignore[arg-type]
            title=f"【联动失败】工单 {number} 向 {row.peer} 推送失败",
            body=f"消息 {row.message_id}（{row.kind}）已尝试 {row.attempts} 次：{error}",
            created_at=now))
    log.error("outbox %s to %s is dead: %s", row.message_id, row.peer, error)


# ---------------------------------------------------------------------------------------------
# Inbound
# ---------------------------------------------------------------------------------------------
class InboundError(Exception):
    def __init__(self, status: int, slug: str, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.slug, self.title, self.detail = status, slug, title, detail


@dataclass
class Received:
    status: int
    ack: str
    replayed: bool = False


def system_actor(session: Session) -> Any:
    """The integration's own identity in the history: an agent of the hotline that cannot log in."""
    from hotline.units.actor import actor_for
    from hotline.units.users import create_user

    user = session.exec(select(User).where(User.username == "system-linkage")).first()
    if user is None:
        hotline = session.exec(select(Unit).where(Unit.kind == UnitKind.hotline)).one()
        user = create_user(session, username="system-linkage", full_name="系统（联动平台）",
                           role="agent", unit_id=hotline.id, password="", password_hash="!")  # type: ignore[arg-type]
        user.active = False
        session.add(user)
        session.flush()
    return actor_for(session, user)


def receive(session: Session, peer_code: str, headers: Any, body: bytes,
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
    if envelope.kind in integrations.TRANSFER_KINDS:
        ticket = _create_from_transfer(session, peer_code, envelope, now)
        our_id = ticket.number
    else:
        ticket = _apply_feedback(session, peer_code, envelope, now)
        our_id = ticket.number if ticket else str(envelope.payload.ref)  # type: ignore[union-attr]
    ack = integrations.Ack(message_id=envelope.message_id, peer_id=our_id, received_at=now)
    ack_body = json.dumps(peer.message_mapping.encode(ack.model_dump(mode="json")), ensure_ascii=False)
    try:
        with session.begin_nested():
            session.add(InboxMessage(peer=peer_code, message_id=message_id, kind=str(envelope.kind),
                                     correlation_id=envelope.correlation_id,
                                     ticket_id=ticket.id if ticket else None, ack=ack_body,
                                     received_at=now))
    except IntegrityError as exc:  # the same message raced in twice: the other one won
        raise InboundError(409, "duplicate-in-flight", "重复报文正在处理", message_id) from exc
    return Received(202, ack_body)


def _create_from_transfer(session: Session, peer_code: str, envelope: integrations.Envelope,
                          now: datetime) -> Ticket:
    """A non-police matter handed to 12345 becomes a normal ticket, routed by `routing`."""
    from hotline.core.errors import DomainError
    from hotline.tickets.commands import apply
    from hotline.tickets.reading import create_ticket
    from hotline.tickets.schemas import TicketCreate, normalise_phone
    from hotline.tickets.workflow import Dispatch

    p: Any = envelope.payload
    request_type = getattr(p, "request_type", None) or "求助"
    content = p.content
    try:
        phone = normalise_phone(p.caller_phone)
    except ValueError:  # e.g. a withheld number: keep it in the text, route calls via 12345
        phone, content = "12345", f"{p.content}（来电号码：{p.caller_phone}）"
    actor = system_actor(session)
    category = getattr(p, "category", None)
    data = TicketCreate(channel="110", caller_name=p.caller_name, caller_phone=phone,
                        request_type=request_type,
                        category=category if category and "/" in category else None,
                        content=content, address=p.address)
    ticket = create_ticket(session, actor, data, now)
    session.add(LinkedMatter(ticket_id=ticket.id, peer=peer_code, direction="in",  # type: ignore[arg-type]
                             our_ref=ticket.number, peer_ref=envelope.correlation_id,
                             status="accepted", sent_at=now, acked_at=now, updated_at=now))
    session.flush()
    # Acceptance feedback (SH 二(二)1), then dispatch by routing's suggestion when it has one.
    link = session.exec(select(LinkedMatter).where(LinkedMatter.ticket_id == ticket.id)).one()
    link.out_seq = 1
    accepted = integrations.Envelope.new(
        "accepted", sender=OUR_CODE, correlation_id=ticket.number, sent_at=now,
        payload={"ref": envelope.correlation_id, "seq": 1, "occurred_at": now,
                 "peer_id": ticket.number})
    _enqueue(session, peer_code, accepted, ticket.id, now)
    try:
        with session.begin_nested():
            apply(session, actor, ticket, Dispatch(note=f"{peer_code} 转办，按智能派单建议派发"), now)
    except DomainError as exc:  # nobody clearly responsible: an agent dispatches it by hand
        log.info("inbound %s left for an agent: %s", ticket.number, exc.detail)
        session.refresh(ticket)
    return ticket


def _apply_feedback(session: Session, peer_code: str, envelope: integrations.Envelope,
                    now: datetime) -> Ticket | None:
    from hotline.tickets.commands import append_event, apply
    from hotline.tickets.workflow import Reclaim

    p: Any = envelope.payload
    # Status callbacks are about matters *we* handed over (an inbound matter is reported on by us).
    link = session.exec(select(LinkedMatter).where(LinkedMatter.our_ref == p.ref)
                        .where(LinkedMatter.peer == peer_code)
                        .where(LinkedMatter.direction == "out")).first()
    if link is None:
        raise InboundError(422, "unknown-matter", "未找到对应的联动事项", f"ref {p.ref}")
    state = integrations.LinkState(
        status=integrations.LinkStatus(link.status) if link.status != "queued"
        else integrations.LinkStatus.sent,
        peer_id=link.peer_ref,
        milestones={integrations.LinkStatus(k): datetime.fromisoformat(v)
                    for k, v in link.milestones.items()},
        seen=frozenset(link.seen))
    before = link.status
    new = integrations.apply_feedback(state, envelope)
    link.status = new.status.value
    link.peer_ref = new.peer_id or link.peer_ref
    link.milestones = {k.value: v.isoformat() for k, v in new.milestones.items()}
    link.seen = sorted(new.seen)
    link.updated_at = now
    if new.status == integrations.LinkStatus.closed and link.closed_at is None:
        link.closed_at = now
    ticket = session.get(Ticket, link.ticket_id)
    assert ticket is not None
    append_event(session, ticket, action="peer_feedback", actor=None, now=now,
                 from_status=ticket.status, to_status=ticket.status,
                 reason=getattr(p, "note", None) or getattr(p, "reason", None),
                 payload={"peer": peer_code, "kind": str(envelope.kind), "seq": p.seq,
                          "link_status": link.status})
    if link.status == "rejected" and before != "rejected":
        link.rejected_reason = getattr(p, "reason", None)
        if ticket.status == "emergency" and link.direction == "out":
            # 首接责任制: not theirs — it stays with us, back to the agents to dispatch.
            apply(session, system_actor(session), ticket,
                  Reclaim(reason=f"{peer_code} 退回：{link.rejected_reason or '非本平台职责'}"), now)
    session.add(link)
    return ticket


# ---------------------------------------------------------------------------------------------
# Reconciliation and figures
# ---------------------------------------------------------------------------------------------
def reconcile(session: Session, now: datetime | None = None,
              unacked_after: timedelta = timedelta(minutes=10)) -> dict[str, Any]:
    """Re-send what the peer never acknowledged; report the two sides disagreeing."""
    now = now or utcnow()
    resent = 0
    for link in session.exec(select(LinkedMatter).where(LinkedMatter.direction == "out")
                             .where(col(LinkedMatter.status).in_(["queued", "sent"]))
                             .where(col(LinkedMatter.sent_at) <= now - unacked_after)):
        for row in session.exec(select(OutboxMessage).where(OutboxMessage.ticket_id == link.ticket_id)
                                .where(OutboxMessage.peer == link.peer)
                                .where(OutboxMessage.kind == "ticket_transfer")):
            if row.state != "pending":  # same message id again: the receiver answers once
                row.state, row.next_attempt_at = "pending", now
                row.attempts = 0
                session.add(row)
                session.info["outbox_written"] = True
                resent += 1
    return {"resent": resent, "mismatches": mismatches(session)}


def mismatches(session: Session) -> list[dict[str, Any]]:
    out = []
    rows = session.exec(select(LinkedMatter, Ticket)
                        .join(Ticket, col(Ticket.id) == col(LinkedMatter.ticket_id)))
    for link, ticket in rows:
        problem = None
        if link.direction == "out" and link.status == "rejected" and ticket.status == "emergency":
            problem = "对方已退回，但工单仍在“已移交应急”"
        elif link.direction == "in" and ticket.status in ("closed", "archived", "merged") and \
                link.out_seq and \
                not any(r.kind == "closed" for r in session.exec(
                    select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id))):
            problem = "我方已办结，但未向对方反馈办结"
        elif link.direction == "out" and link.status == "closed" and "accepted" not in link.milestones:
            problem = "对方已办结，但未收到受理反馈"
        if problem:
            out.append({"ticket": ticket.number, "peer": link.peer, "direction": link.direction,
                        "ours": ticket.status, "theirs": link.status, "problem": problem})
    return out


def figures(session: Session) -> dict[str, dict[str, Any]]:
    """Joint figures per peer: transfers each way, acknowledgement latency, loops closed."""
    records = [integrations.LinkRecord(
        peer=link.peer, direction=link.direction, sent_at=link.sent_at,  # type: ignore[arg-type]
        status=integrations.LinkStatus(link.status if link.status != "queued" else "sent"),
        accepted_at=link.acked_at, closed_at=link.closed_at)
        for link in session.exec(select(LinkedMatter))]
    out: dict[str, dict[str, Any]] = {}
    for peer, f in integrations.linkage_figures_by_peer(records).items():
        d = dict(f.__dict__)
        for key in ("ack_latency_p50", "ack_latency_p90"):
            d[key + "_s"] = d.pop(key).total_seconds() if d[key] is not None else None
        out[peer] = d
    return out
