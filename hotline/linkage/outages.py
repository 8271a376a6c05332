"""Peer outages: "联动中断" on the first failed delivery, "已恢复" on the next success.

Measured before this: while 110 was down, nothing told anyone for 10–21 minutes — the alert came
only when a message died after 8 tries, and no "recovered" notice followed. Now the relay reports
every outcome here: the first failure opens an outage (supervisors notified in the same
transaction, shown on the board and in ``/readyz``); the first success closes it, tells the
supervisors, and makes every message still waiting for that peer due at once. While an outage is
open, reconciliation (every minute) makes the oldest waiting message due again — a probe — so
recovery is noticed within about a minute however far the back-off has grown.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from sqlmodel import Session, col, select

from hotline.core.db import on_commit
from hotline.core.times import local
from hotline.linkage.models import OutboxMessage, OutboxState, PeerOutage
from hotline.linkage.outbound import delivery_due
from hotline.linkage.peers import peers
from hotline.notifications.notify import notify_supervisors

log = logging.getLogger("hotline.linkage")
#: While a peer is down, its oldest waiting message is tried again at least this often.
PROBE_EVERY = timedelta(seconds=60)
#: Rows a relay has claimed carry a lease of a minute; recovery leaves those to it.
IN_FLIGHT = timedelta(seconds=60)


def _name(peer: str) -> str:
    cfg = peers().get(peer)
    return f"{cfg.name}（{peer}）" if cfg else peer


def open_outage(session: Session, peer: str) -> PeerOutage | None:
    return session.exec(select(PeerOutage).where(PeerOutage.peer == peer)
                        .where(col(PeerOutage.closed_at).is_(None))
                        .order_by(col(PeerOutage.id).desc())).first()


def open_outages(session: Session) -> list[PeerOutage]:
    return list(session.exec(select(PeerOutage).where(col(PeerOutage.closed_at).is_(None))
                             .order_by(col(PeerOutage.opened_at))).all())


def failed(session: Session, peer: str, error: str, now: datetime) -> PeerOutage:
    """A delivery to ``peer`` failed (not a rejection): open the outage or count on it."""
    outage = open_outage(session, peer)
    if outage is None:
        outage = PeerOutage(peer=peer, opened_at=now, last_failure_at=now, last_error=error)
        session.add(outage)
        waiting = _waiting(session, peer)
        notify_supervisors(
            session, kind="linkage", now=now,
            title=f"【联动中断】向 {_name(peer)} 推送失败",
            body=(f"{local(now):%H:%M:%S} 起无法送达：{error}。待发报文 {waiting} 条，系统每分钟重试，"
                  "恢复后自动补发；紧急事项请先电话联系对方。"))
        log.error("peer outage opened peer=%s error=%s waiting=%d", peer, error, waiting)
    else:
        outage.failures += 1
        outage.last_error, outage.last_failure_at = error, now
        session.add(outage)
    return outage


def succeeded(session: Session, peer: str, now: datetime) -> int:
    """A delivery to ``peer`` went through: close its outage; returns the messages made due."""
    outage = open_outage(session, peer)
    if outage is None:
        return 0
    outage.closed_at = now
    session.add(outage)
    resent = 0
    for row in session.exec(select(OutboxMessage).where(OutboxMessage.peer == peer)
                            .where(OutboxMessage.state == OutboxState.pending)
                            .where(col(OutboxMessage.next_attempt_at) > now + IN_FLIGHT)):
        row.next_attempt_at = now
        session.add(row)
        resent += 1
    minutes = max(1, round((now - outage.opened_at).total_seconds() / 60))
    notify_supervisors(
        session, kind="linkage", now=now, title=f"【联动已恢复】{_name(peer)} 已恢复接收",
        body=f"中断约 {minutes} 分钟（失败 {outage.failures} 次），积压报文 {resent} 条已立即补发。")
    log.warning("peer outage closed peer=%s minutes=%d resent=%d", peer, minutes, resent)
    if resent:
        on_commit(session, partial(delivery_due.send, peer), key=("relay", peer))
    return resent


def probe(session: Session, now: datetime) -> int:
    """Make the oldest waiting message of each peer that is down due now (at most once a
    ``PROBE_EVERY``), so recovery is seen within a minute; returns the peers probed."""
    probed = 0
    for outage in open_outages(session):
        row = session.exec(select(OutboxMessage).where(OutboxMessage.peer == outage.peer)
                           .where(OutboxMessage.state == OutboxState.pending)
                           .order_by(col(OutboxMessage.next_attempt_at))).first()
        if row is not None and row.next_attempt_at is not None \
                and row.next_attempt_at > now + PROBE_EVERY / 2:
            row.next_attempt_at = now
            session.add(row)
            on_commit(session, partial(delivery_due.send, outage.peer), key=("relay", outage.peer))
            probed += 1
    return probed


def _waiting(session: Session, peer: str) -> int:
    return len(session.exec(select(OutboxMessage.id).where(OutboxMessage.peer == peer)
                            .where(OutboxMessage.state == OutboxState.pending)).all())
