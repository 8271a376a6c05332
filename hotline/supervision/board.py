"""The supervisors' board: at-risk and overdue tickets, counts per unit, CSV/XLSX export.

Scope comes from the actor: supervisors see the city, a unit manager sees their subtree
(the same visibility rule as every ticket list).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from openpyxl import Workbook
from sqlalchemy import case
from sqlmodel import Session, col, func, select

from hotline.core.sla_setup import get_calendar
from hotline.core.times import local
from hotline.supervision.models import AnomalyAlert
from hotline.tickets.due_times import warning_level
from hotline.tickets.models import STATUS_LABELS, OrderState, SupervisionOrder, Ticket
from hotline.tickets.reading import TicketFilter, filtered, list_tickets, urgency_order
from hotline.units.actor import Actor
from hotline.units.models import Unit
from hotline.web import exports

EXPORT_LIMIT = 50_000


@dataclass
class UnitCount:
    unit_id: int | None
    unit_name: str
    overdue: int
    at_risk: int


def unit_counts(session: Session, actor: Actor, flt: TicketFilter, now: datetime) -> list[UnitCount]:
    """Overdue and at-risk counts per holding unit, worst first."""
    base = filtered(session, actor, flt, now).subquery()
    overdue = func.sum(case((base.c.next_due_at < now, 1), else_=0))
    at_risk = func.sum(case(((base.c.next_due_at >= now) & (base.c.next_at_risk_at <= now), 1),
                            else_=0))
    rows = session.exec(
        select(base.c.holder_unit_id, Unit.name, overdue, at_risk)
        .outerjoin(Unit, col(Unit.id) == base.c.holder_unit_id)
        .group_by(base.c.holder_unit_id, Unit.name)
        .order_by(overdue.desc(), at_risk.desc())
    ).all()
    return [UnitCount(u, name or "（未派发）", int(o or 0), int(a or 0)) for u, name, o, a in rows]


def board(session: Session, actor: Actor, flt: TicketFilter, now: datetime, page: int,
          page_size: int) -> dict[str, Any]:
    if flt.warning is None and not flt.overdue:
        flt.warning = "attention"
    items, total = list_tickets(session, actor, flt, page=page, page_size=page_size, now=now)
    return {"items": items, "total": total, "page": page, "page_size": page_size,
            "counts": unit_counts(session, actor, flt, now)}


HEADERS = ["工单编号", "状态", "预警", "超期工作日", "诉求类型", "类别", "承办单位", "办理时限",
           "登记时间", "诉求内容", "地址"]
WARN = {"overdue": "红灯（超期）", "at_risk": "黄灯（临期）", "normal": "正常"}


def export_rows(session: Session, actor: Actor, flt: TicketFilter, now: datetime) -> list[list[Any]]:
    if flt.warning is None and not flt.overdue:
        flt.warning = "attention"
    stmt = filtered(session, actor, flt, now).order_by(*urgency_order(flt)).limit(EXPORT_LIMIT)
    units = {u.id: u.name for u in session.exec(select(Unit))}
    cal, today = get_calendar(), local(now).date()
    out = []
    for t in session.exec(stmt):
        level = warning_level(t, now)
        days = (cal.working_days_between(local(t.next_due_at).date(), today)
                if level == "overdue" and t.next_due_at else 0)
        out.append([t.number, STATUS_LABELS.get(t.status, t.status), WARN[level], days,
                    t.request_type, t.category or "",
                    units.get(t.holder_unit_id, "") if t.holder_unit_id else "",
                    local(t.next_due_at).strftime("%Y-%m-%d %H:%M") if t.next_due_at else "",
                    local(t.created_at).strftime("%Y-%m-%d %H:%M"), t.content, t.address or ""])
    return out


def to_csv(rows: list[list[Any]]) -> bytes:
    """Callers' words become cells: none may start a formula (``hotline.web.exports``)."""
    return exports.to_csv(HEADERS, rows)


def to_xlsx(rows: list[list[Any]], title: str = "督办清单") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    exports.append_row(ws, HEADERS)
    for row in rows:
        exports.append_row(ws, row)  # text stays text: no caller's "=…" becomes a formula
    ws.freeze_panes = "A2"
    for column, width in zip("ABCDEFGHIJK", (18, 12, 12, 10, 8, 22, 22, 17, 17, 60, 30), strict=True):
        ws.column_dimensions[column].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()




def open_orders(session: Session, now: datetime, manual: bool | None = None,
                limit: int = 50) -> list[dict[str, Any]]:
    """Open 督办单, soonest due first. ``manual``: True = issued by a person (they must not drown
    among the scan's automatic ones), False = the scan's, None = both."""
    stmt = (select(SupervisionOrder, Ticket, Unit)
            .join(Ticket, col(Ticket.id) == col(SupervisionOrder.ticket_id))
            .outerjoin(Unit, col(Unit.id) == col(SupervisionOrder.unit_id))
            .where(SupervisionOrder.status == OrderState.open))
    if manual is True:
        stmt = stmt.where(col(SupervisionOrder.issued_by_id).is_not(None))
    elif manual is False:
        stmt = stmt.where(col(SupervisionOrder.issued_by_id).is_(None))
    rows = session.exec(stmt.order_by(col(SupervisionOrder.due_at)).limit(limit)).all()
    return [{"order": o, "ticket": t, "unit": u.name if u else "—",
             "overdue": o.due_at < now, "manual": o.issued_by_id is not None} for o, t, u in rows]


def alerts(session: Session, now: datetime, days: int = 7, limit: int | None = 20) -> list[AnomalyAlert]:
    """Anomaly alerts of the last ``days`` local days, newest first."""
    since = local(now).date() - timedelta(days=days)
    return list(session.exec(select(AnomalyAlert).where(col(AnomalyAlert.day) >= since)
                             .order_by(col(AnomalyAlert.id).desc()).limit(limit)).all())
