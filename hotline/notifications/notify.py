"""Notifications are built here and nowhere else: the in-app inbox row, and the same row queued
for the webhook channel when one is configured.

Recipients are (unit id, role) pairs: a role of "" reaches everyone in the unit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from hotline.core.columns import table_of
from hotline.core.settings import get_settings
from hotline.notifications.models import Notification
from hotline.units.models import Role, Unit, UnitKind

Recipient = tuple[int, str]


def rows(recipients: Iterable[Recipient], *, kind: str, title: str, body: str, now: datetime,
         ticket_id: int | None = None, escalation_id: int | None = None) -> list[dict[str, Any]]:
    """Column values of one notification per recipient (each recipient once)."""
    webhook = "pending" if get_settings().notify_webhook_url else None
    return [{"escalation_id": escalation_id, "ticket_id": ticket_id, "unit_id": unit_id,
             "role": role, "kind": kind, "title": title[:200], "body": body, "created_at": now,
             "read_at": None, "webhook_state": webhook, "webhook_attempts": 0,
             "webhook_next_at": now if webhook else None}
            for unit_id, role in dict.fromkeys(recipients)]


def insert(session: Session, values: list[dict[str, Any]]) -> int:
    if values:
        session.execute(table_of(Notification).insert(), values)
    return len(values)


def hotline_supervisors(session: Session) -> list[Recipient]:
    unit = session.exec(select(Unit.id).where(Unit.kind == UnitKind.hotline)).first()
    return [(unit, Role.supervisor.value)] if unit is not None else []


def notify(session: Session, recipients: Iterable[Recipient], *, kind: str, title: str, body: str,
           now: datetime, ticket_id: int | None = None) -> int:
    return insert(session, rows(recipients, kind=kind, title=title, body=body, now=now,
                                ticket_id=ticket_id))


def notify_supervisors(session: Session, *, kind: str, title: str, body: str, now: datetime,
                       ticket_id: int | None = None) -> int:
    """The hotline's supervisors (CQ §10: emergencies are reported to them; alerts)."""
    return notify(session, hotline_supervisors(session), kind=kind, title=title, body=body,
                  now=now, ticket_id=ticket_id)
