"""Keeping both sides in step: re-send what a peer never acknowledged, list where we and the
peer disagree, and the joint figures (SH 二(二)2 跟踪督办, 二(三) 联动指标)."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlmodel import Session, col, select

import integrations
from hotline.core.db import on_commit
from hotline.core.times import local, utcnow
from hotline.linkage import outages
from hotline.linkage.models import Direction, LinkedMatter, MatterStatus, OutboxMessage, OutboxState
from hotline.linkage.outbound import delivery_due
from hotline.tickets.models import Status, Ticket


def reconcile(session: Session, now: datetime | None = None,
              unacked_after: timedelta = timedelta(minutes=3)) -> dict[str, Any]:
    """Re-send what the peer never acknowledged; report the two sides disagreeing.

    Runs every minute; a peer that is down gets its oldest waiting message tried again
    (``outages.probe``), so its recovery — and the resending of everything stuck — follows
    within a minute or two, not after the back-off has grown to ten.
    """
    now = now or utcnow()
    probed = outages.probe(session, now)
    resent = 0
    for link in session.exec(select(LinkedMatter).where(LinkedMatter.direction == Direction.out)
                             .where(col(LinkedMatter.status).in_([MatterStatus.queued,
                                                                  MatterStatus.sent]))
                             .where(col(LinkedMatter.sent_at) <= now - unacked_after)):
        for row in session.exec(select(OutboxMessage).where(OutboxMessage.ticket_id == link.ticket_id)
                                .where(OutboxMessage.peer == link.peer)
                                .where(OutboxMessage.kind == integrations.MessageKind.ticket_transfer)):
            if row.state != OutboxState.pending:  # same message id again: the receiver answers once
                row.state, row.next_attempt_at = OutboxState.pending, now
                row.attempts = 0
                session.add(row)
                on_commit(session, partial(delivery_due.send, link.peer), key=("relay", link.peer))
                resent += 1
    return {"resent": resent, "probed": probed, "mismatches": mismatches(session)}


def mismatches(session: Session) -> list[dict[str, Any]]:
    out = []
    down = {o.peer for o in outages.open_outages(session)}
    rows = session.exec(select(LinkedMatter, Ticket)
                        .join(Ticket, col(Ticket.id) == col(LinkedMatter.ticket_id)))
    for link, ticket in rows:
        problem = None
        if link.direction == Direction.out and link.status == MatterStatus.queued and link.peer in down:
            problem = "联动中断：尚未送达对方，恢复后自动补发（紧急事项请电话联系）"
        elif link.direction == Direction.out and link.status == MatterStatus.rejected \
                and ticket.status == Status.emergency:
            problem = "对方已退回，但工单仍在“已移交应急”"
        elif link.direction == Direction.in_ and \
                ticket.status in (Status.closed, Status.archived, Status.merged) and \
                link.out_seq and \
                not any(r.kind == "closed" for r in session.exec(
                    select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id))):
            problem = "我方已办结，但未向对方反馈办结"
        elif link.direction == Direction.out and link.status == MatterStatus.closed \
                and "accepted" not in link.milestones:
            problem = "对方已办结，但未收到受理反馈"
        if problem:
            out.append({"ticket": ticket.number, "peer": link.peer, "direction": link.direction,
                        "ours": ticket.status, "theirs": link.status, "problem": problem})
    return out


def figures(session: Session) -> dict[str, dict[str, Any]]:
    """Joint figures per peer: transfers each way, acknowledgement latency, loops closed."""
    records = [integrations.LinkRecord(
        peer=link.peer, direction="out" if link.direction == Direction.out else "in", sent_at=link.sent_at,
        status=integrations.LinkStatus(link.status if link.status != MatterStatus.queued else "sent"),
        accepted_at=link.acked_at, closed_at=link.closed_at)
        for link in session.exec(select(LinkedMatter))]
    out: dict[str, dict[str, Any]] = {}
    for peer, f in integrations.linkage_figures_by_peer(records).items():
        d = dict(f.__dict__)
        for key in ("ack_latency_p50", "ack_latency_p90"):
            d[key + "_s"] = d.pop(key).total_seconds() if d[key] is not None else None
        out[peer] = d
    return out


LINK_COLUMNS = ["工单", "对接平台", "方向", "对方状态", "对方编号", "发出时间", "对方确认", "办结时间"]
MATTER_LABELS = {"queued": "待发送", "sent": "已送达", "accepted": "已受理", "dispatched": "已派警/派单",
                 "on_site": "已到场", "result": "已反馈结果", "closed": "已办结", "rejected": "已退回",
                 "cancelled": "已撤回"}
DIRECTION_LABELS = {"out": "移交对方", "in": "对方转来"}


def recent_links(session: Session, limit: int = 20) -> tuple[list[str], list[list[str]]]:
    """The newest linked matters as a table for the supervisors' board."""
    rows = session.exec(select(LinkedMatter, Ticket.number)
                        .join(Ticket, col(Ticket.id) == col(LinkedMatter.ticket_id))
                        .order_by(col(LinkedMatter.id).desc()).limit(limit)).all()

    def when(value: datetime | None) -> str:
        return local(value).strftime("%m-%d %H:%M") if value else "—"

    return LINK_COLUMNS, [
        [number, link.peer, DIRECTION_LABELS[str(link.direction)],
         MATTER_LABELS[str(link.status)], link.peer_ref or "—", when(link.sent_at),
         when(link.acked_at), when(link.closed_at)]
        for link, number in rows]
