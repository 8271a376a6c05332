"""Notification channels. The in-app inbox is the ``notifications`` table itself; the webhook
channel delivers the same rows to an HTTP endpoint (at-least-once, deduplicated by the
receiver through ``Idempotency-Key``); SMS is an interface a deployment plugs a gateway into.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select
from sqlmodel import Session, col

import integrations
from hotline.core.settings import Settings, get_settings
from hotline.notifications.models import Notification
from hotline.tickets.models import Ticket

MAX_ATTEMPTS = 8


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 15 * 2 ** max(0, attempts - 1)))


def webhook_body(n: Notification, number: str | None) -> bytes:
    return json.dumps({
        "id": n.id, "kind": n.kind, "title": n.title, "body": n.body, "ticket": number,
        "unit_id": n.unit_id, "role": n.role or None, "created_at": n.created_at.isoformat(),
    }, ensure_ascii=False).encode("utf-8")


LEASE = timedelta(seconds=60)


def deliver_webhooks(session: Session, now: datetime, *, settings: Settings | None = None,
                     client: httpx.Client | None = None, limit: int = 200) -> dict[str, int]:
    """Send due notifications to the webhook. Returns counts by outcome; commits as it goes.

    Same discipline as the 110 relay: claim the due rows with a short lease and commit, then
    send outside any transaction and record each outcome in its own — no lock is held while a
    slow endpoint answers. Signed like every other message we send (`integrations.sign`).
    """
    settings = settings or get_settings()
    counts = {"delivered": 0, "retry": 0, "dead": 0}
    if not settings.notify_webhook_url:
        return counts
    stmt = (select(col(Notification.id)).where(col(Notification.webhook_state) == "pending")
            .where(col(Notification.webhook_next_at) <= now)
            .order_by(col(Notification.id)).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    ids = list(session.execute(stmt).scalars())
    for n in session.execute(select(Notification).where(col(Notification.id).in_(ids))).scalars():
        n.webhook_next_at = now + LEASE
    session.commit()
    own = client is None
    client = client or httpx.Client(timeout=httpx.Timeout(5.0, connect=2.0))
    try:
        for nid in ids:
            n = session.get(Notification, nid)
            if n is None or n.webhook_state != "pending":
                continue
            ticket = session.get(Ticket, n.ticket_id) if n.ticket_id else None
            body = webhook_body(n, ticket.number if ticket else None)
            headers = {"Content-Type": "application/json"}
            key = f"notification-{n.id}"
            if settings.notify_webhook_secret:
                headers |= integrations.sign(settings.notify_webhook_secret, body,
                                             int(time.time()), peer="12345", idempotency_key=key)
            else:
                headers["Idempotency-Key"] = key
            try:
                ok = client.post(settings.notify_webhook_url, content=body, headers=headers).is_success
            except httpx.HTTPError:
                ok = False
            n.webhook_attempts += 1
            if ok:
                n.webhook_state, n.webhook_next_at = "delivered", None
                counts["delivered"] += 1
            elif n.webhook_attempts >= MAX_ATTEMPTS:
                n.webhook_state, n.webhook_next_at = "dead", None
                counts["dead"] += 1
            else:
                n.webhook_next_at = now + backoff(n.webhook_attempts)
                counts["retry"] += 1
            session.add(n)
            session.commit()
    finally:
        if own:
            client.close()
    return counts
