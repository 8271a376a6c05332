"""The relay: sends due outbox rows to their peers, at least once (the receiver deduplicates by
message id), with back-off, and marks a message dead — alerting supervisors — after N tries."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlmodel import Session, select

import integrations
from hotline.core.leases import lease_due
from hotline.core.times import utcnow
from hotline.linkage import outages
from hotline.linkage.models import Direction, LinkedMatter, MatterStatus, OutboxMessage, OutboxState
from hotline.linkage.peers import peers
from hotline.notifications.notify import notify_supervisors
from hotline.tickets import history
from hotline.tickets.actions import EventKind
from hotline.tickets.models import Ticket

log = logging.getLogger("hotline.linkage")
LEASE = timedelta(seconds=60)


@dataclass
class RelayResult:
    delivered: int = 0
    retry: int = 0
    dead: int = 0


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
    ids = lease_due(session, OutboxMessage, OutboxState.pending, now, limit, LEASE)
    if not ids:
        return out
    pause = float(os.environ.get("HOTLINE_FAULT_RELAY_PAUSE", "0") or 0)  # tests: kill mid-send
    own = client is None
    client = client or httpx.Client()
    try:
        for row_id in ids:
            found = session.get(OutboxMessage, row_id)
            if found is None or found.state != OutboxState.pending:
                continue
            row = found
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
        row.state, row.delivered_at, row.peer_id = OutboxState.delivered, now, result.peer_id
        row.next_attempt_at = None
        out.delivered += 1
        if row.kind == integrations.MessageKind.ticket_transfer:
            _acked(session, row, result.peer_id, now)
        outages.succeeded(session, row.peer, now)
    elif result.status == "rejected":
        _dead(session, row, now, result.error or f"HTTP {result.http_status}")
        out.dead += 1
    elif integrations.is_dead(row.attempts, peer.max_attempts) \
            and outages.open_outage(session, row.peer) is None:
        # Other messages got through since this one began failing: it is this message, not the
        # line — give up on it. While the line is down, messages wait for it (the outage alerted).
        _dead(session, row, now, result.error or f"HTTP {result.http_status}")
        out.dead += 1
    else:
        outages.failed(session, row.peer, result.error or f"HTTP {result.http_status}", now)
        delay = integrations.next_attempt_delay(row.attempts)
        if result.retry_after and result.retry_after > delay:
            delay = result.retry_after
        row.next_attempt_at = now + delay
        out.retry += 1
    session.add(row)


def _acked(session: Session, row: OutboxMessage, peer_id: str | None, now: datetime) -> None:
    link = session.exec(select(LinkedMatter).where(LinkedMatter.ticket_id == row.ticket_id)
                        .where(LinkedMatter.peer == row.peer)
                        .where(LinkedMatter.direction == Direction.out)).first()
    if link is not None:
        link.peer_ref = link.peer_ref or peer_id
        link.acked_at = link.acked_at or now
        if link.status == MatterStatus.queued:
            link.status = MatterStatus.sent
        link.updated_at = now
        session.add(link)
    ticket = session.get(Ticket, row.ticket_id) if row.ticket_id else None
    if ticket is not None:  # the peer's id on the ticket's record
        history.note(session, ticket, EventKind.peer_ack, actor=None, now=now,
                     reason=f"{row.peer} 已接收", payload={"peer": row.peer, "peer_id": peer_id})


def _dead(session: Session, row: OutboxMessage, now: datetime, error: str) -> None:
    row.state, row.next_attempt_at, row.last_error = OutboxState.dead, None, error
    ticket = session.get(Ticket, row.ticket_id) if row.ticket_id else None
    notify_supervisors(
        session, kind="linkage", ticket_id=row.ticket_id, now=now,
        title=f"【联动失败】工单 {ticket.number if ticket else '—'} 向 {row.peer} 推送失败",
        body=f"消息 {row.message_id}（{row.kind}）已尝试 {row.attempts} 次：{error}")
    log.error("outbox %s to %s is dead: %s", row.message_id, row.peer, error)
