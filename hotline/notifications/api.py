"""The in-app inbox over HTTP: my reminders, supervision orders and alerts; mark one read."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, func, select

from hotline.core.errors import NotFound
from hotline.core.ids import DbIdPath
from hotline.core.times import utcnow
from hotline.notifications.models import Notification
from hotline.units.actor import Actor
from hotline.units.deps import ActorDep
from hotline.web.deps import SessionDep
from hotline.web.request_work import WorkRoute

router = APIRouter(prefix="/inbox", tags=["inbox"], route_class=WorkRoute)


def _mine(actor: Actor) -> ColumnElement[bool]:
    return (col(Notification.unit_id) == actor.unit.id) & or_(
        col(Notification.role) == "", col(Notification.role) == actor.role)


@router.get("", summary="我的提醒（催办、督办、升级）")
def inbox(session: SessionDep, actor: ActorDep, unread: bool = False,
          limit: Annotated[int, Query(ge=1, le=200)] = 50) -> dict[str, Any]:
    stmt = select(Notification).where(_mine(actor))
    if unread:
        stmt = stmt.where(col(Notification.read_at).is_(None))
    rows = session.exec(stmt.order_by(col(Notification.id).desc()).limit(limit)).all()
    unread_count = session.exec(select(func.count()).select_from(Notification).where(_mine(actor))
                                .where(col(Notification.read_at).is_(None))).one()
    return {"unread": unread_count, "items": [
        r.model_dump(mode="json", exclude={"webhook_state", "webhook_attempts", "webhook_next_at"})
        for r in rows]}


@router.post("/{notification_id}/read", summary="标记已读")
def mark_read(session: SessionDep, actor: ActorDep, notification_id: DbIdPath) -> dict[str, Any]:
    note = session.exec(select(Notification).where(Notification.id == notification_id)
                        .where(_mine(actor))).first()
    if note is None:
        raise NotFound("提醒不存在", title="提醒不存在")
    if note.read_at is None:
        note.read_at = utcnow()
        session.add(note)
    return {"id": note.id, "read_at": note.read_at}
