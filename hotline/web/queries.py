"""Read-side queries the pages need that the services do not offer as such.

All of them respect the same visibility rule as the API (``services.access``); nothing here
writes.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, col, func, select

from hotline.core.times import local
from hotline.linkage import models
from hotline.supervision.models import AnomalyAlert
from hotline.tickets.models import (
    ExtensionRequest,
    ReturnRecord,
    SupervisionOrder,
    Ticket,
    TicketEvent,
)
from hotline.tickets.reading import _UnitCache, summary
from hotline.tickets.schemas import TicketSummary
from hotline.tickets.visibility import subtree_unit_ids, visibility_filter
from hotline.tickets.workflow import OPEN_STATES
from hotline.units.actor import Actor
from hotline.units.models import Unit, UnitKind

INBOX_TABS: list[tuple[str, str]] = [
    ("sign", "待签收"), ("doing", "办理中"), ("due", "即将到期"), ("overdue", "已超期"),
    ("returned", "退单"), ("approve", "待审批延期"), ("co", "协办"),
]


def _summaries(session: Session, actor: Actor, rows: list[Ticket], now: datetime) -> list[TicketSummary]:
    units = _UnitCache(session, {})
    return [summary(t, actor, units, now) for t in rows]


def inbox_conditions(session: Session, actor: Actor, now: datetime) -> dict[str, Any]:
    """One WHERE clause per inbox tab, for the actor's own unit."""
    me = actor.unit.id
    held = Ticket.holder_unit_id == me
    working = col(Ticket.status).in_(sorted(OPEN_STATES))
    returned_by_me = select(ReturnRecord.ticket_id).where(ReturnRecord.from_unit_id == me)
    below = [u for u in subtree_unit_ids(session, actor.unit.path) if u != me]
    pending_below = (select(ExtensionRequest.ticket_id)
                     .where(ExtensionRequest.status == "pending")
                     .where(col(ExtensionRequest.unit_id).in_(below)))
    from hotline.tickets.models import AssignmentRole, TicketUnit

    co_of_me = (select(TicketUnit.ticket_id).where(TicketUnit.unit_id == me)
                .where(TicketUnit.role == AssignmentRole.co).where(col(TicketUnit.active)))
    return {
        "sign": and_(held, Ticket.status == "dispatched"),
        "doing": and_(held, col(Ticket.status).in_(["in_progress", "rework"])),
        "due": and_(held, working, col(Ticket.next_at_risk_at) <= now, col(Ticket.next_due_at) >= now),
        "overdue": and_(held, working, col(Ticket.next_due_at) < now),
        "returned": or_(and_(held, Ticket.status == "returned"),
                        and_(col(Ticket.id).in_(returned_by_me), Ticket.status == "returned")),
        "approve": and_(col(Ticket.id).in_(pending_below),
                        col(Ticket.status).in_(["in_progress", "rework"])),
        "co": and_(col(Ticket.id).in_(co_of_me), col(Ticket.status).in_(["in_progress", "rework"])),
    }


def inbox(session: Session, actor: Actor, tab: str, now: datetime,
          limit: int = 100) -> tuple[dict[str, int], list[TicketSummary]]:
    conds = inbox_conditions(session, actor, now)
    counts = {}
    for key, cond in conds.items():
        counts[key] = int(session.exec(select(func.count()).select_from(Ticket).where(cond)).one())
    order = ([col(Ticket.next_due_at).asc().nulls_last(), col(Ticket.id)]
             if tab in ("due", "overdue", "doing", "sign")
             else [col(Ticket.id).desc()])
    rows = list(session.exec(select(Ticket).where(conds[tab]).order_by(*order).limit(limit)).all())
    return counts, _summaries(session, actor, rows, now)


# ---------------------------------------------------------------------------------------------
# Agent console: the caller's history and possible duplicates
# ---------------------------------------------------------------------------------------------
def _bigrams(text: str) -> set[str]:
    text = "".join(ch for ch in text if not ch.isspace())
    return {text[i:i + 2] for i in range(len(text) - 1)}


def similarity(a: str, b: str) -> float:
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return 0.0
    return len(x & y) / min(len(x), len(y))


def caller_history(session: Session, actor: Actor, phone: str, content: str, now: datetime,
                   limit: int = 8) -> dict[str, Any]:
    rows = list(session.exec(select(Ticket).where(Ticket.caller_phone == phone)
                             .order_by(col(Ticket.id).desc()).limit(50)).all())
    since = now - timedelta(days=30)
    duplicates = []
    if content.strip():
        for t in rows:
            if t.created_at >= since and t.status not in ("merged", "archived"):
                score = similarity(content, t.content)
                if score >= 0.3:
                    duplicates.append((score, t))
        duplicates.sort(key=lambda p: -p[0])
    return {
        "total": len(rows),
        "earlier": _summaries(session, actor, rows[:limit], now),
        "duplicates": [(round(s * 100), x) for s, x in zip(
            [s for s, _ in duplicates[:5]],
            _summaries(session, actor, [t for _, t in duplicates[:5]], now), strict=True)],
    }


# ---------------------------------------------------------------------------------------------
# Supervisor board
# ---------------------------------------------------------------------------------------------
def _visible(session: Session, actor: Actor) -> Any:
    stmt = select(Ticket)
    cond = visibility_filter(session, actor)
    return stmt.where(cond) if cond is not None else stmt


def pending_extensions(session: Session, actor: Actor, now: datetime) -> list[dict[str, Any]]:
    rows = session.exec(
        select(ExtensionRequest, Ticket, Unit)
        .join(Ticket, col(Ticket.id) == col(ExtensionRequest.ticket_id))
        .join(Unit, col(Unit.id) == col(ExtensionRequest.unit_id))
        .where(ExtensionRequest.status == "pending").order_by(col(ExtensionRequest.id))
        .limit(50)
    ).all()
    return [{"req": r, "ticket": t, "unit": u.name} for r, t, u in rows]


def returned_to_hotline(session: Session, actor: Actor, now: datetime) -> list[TicketSummary]:
    hotline_ids = list(session.exec(select(Unit.id).where(Unit.kind == UnitKind.hotline)).all())
    rows = list(session.exec(_visible(session, actor).where(Ticket.status == "returned")
                             .where(col(Ticket.holder_unit_id).in_(hotline_ids))
                             .order_by(col(Ticket.updated_at)).limit(50)).all())
    return _summaries(session, actor, rows, now)


def visit_queue(session: Session, actor: Actor, now: datetime) -> list[TicketSummary]:
    rows = list(session.exec(_visible(session, actor)
                             .where(col(Ticket.status).in_(["replied", "verifying", "visited"]))
                             .order_by(col(Ticket.replied_at).asc().nulls_last()).limit(60)).all())
    return _summaries(session, actor, rows, now)


def open_orders(session: Session, now: datetime) -> list[dict[str, Any]]:
    rows = session.exec(
        select(SupervisionOrder, Ticket, Unit)
        .join(Ticket, col(Ticket.id) == col(SupervisionOrder.ticket_id))
        .outerjoin(Unit, col(Unit.id) == col(SupervisionOrder.unit_id))
        .where(SupervisionOrder.status == "open").order_by(col(SupervisionOrder.due_at)).limit(50)
    ).all()
    return [{"order": o, "ticket": t, "unit": u.name if u else "—",
             "overdue": o.due_at < now} for o, t, u in rows]


def alerts(session: Session, now: datetime, days: int = 7) -> list[AnomalyAlert]:
    since = local(now).date() - timedelta(days=days)
    return list(session.exec(select(AnomalyAlert).where(col(AnomalyAlert.day) >= since)
                             .order_by(col(AnomalyAlert.id).desc()).limit(20)).all())


def linked_matters(session: Session, limit: int = 20) -> tuple[list[str], list[list[Any]]] | None:
    """The 110 linkage list, if the integrations work has added its table yet."""
    model = getattr(models, "LinkedMatter", None)
    if model is None:
        return None
    try:
        rows = session.exec(select(model).order_by(model.id.desc()).limit(limit)).all()
    except Exception:  # the table may not be migrated yet on this database
        session.rollback()
        return None
    if not rows:
        return [], []
    skip = {"payload", "raw", "body", "message"}
    columns = [c for c in rows[0].model_dump() if c not in skip][:8]
    out = []
    for r in rows:
        d = r.model_dump()
        out.append([local(v).strftime("%m-%d %H:%M") if isinstance(v, datetime) else v
                    for v in (d.get(c) for c in columns)])
    return columns, out


def daily_volume(session: Session, now: datetime, days: int = 30) -> list[tuple[str, int]]:
    since = now - timedelta(days=days)
    counts: Counter[str] = Counter()
    for (created,) in session.execute(select(Ticket.created_at).where(col(Ticket.created_at) >= since)):
        counts[local(created).strftime("%m-%d")] += 1
    today = local(now).date()
    return [((d := today - timedelta(days=i)).strftime("%m-%d"), counts[d.strftime("%m-%d")])
            for i in range(days - 1, -1, -1)]


def category_counts(session: Session, now: datetime, days: int = 30, top: int = 8) -> list[tuple[str, int]]:
    since = now - timedelta(days=days)
    rows = session.execute(select(Ticket.category, func.count()).where(col(Ticket.created_at) >= since)
                           .group_by(Ticket.category)).all()
    counts: Counter[str] = Counter()
    for cat, n in rows:
        counts[(cat or "未分类").split("/")[-1]] += int(n)
    return counts.most_common(top)


def on_time_trend(session: Session, now: datetime, weeks: int = 8) -> list[tuple[str, float | None]]:
    """Share of replies made within the close deadline, per week (payload.on_time frozen at the act)."""
    since = now - timedelta(weeks=weeks)
    rows = session.execute(select(TicketEvent.at, TicketEvent.payload)
                           .where(TicketEvent.action == "reply").where(col(TicketEvent.at) >= since))
    total: Counter[int] = Counter()
    good: Counter[int] = Counter()
    for at, payload in rows:
        week = (now - at).days // 7
        total[week] += 1
        good[week] += bool((payload or {}).get("on_time"))
    out = []
    for w in range(weeks - 1, -1, -1):
        start = local(now - timedelta(weeks=w + 1) + timedelta(days=1)).strftime("%m-%d")
        out.append((start, round(good[w] / total[w], 3) if total[w] else None))
    return out


def sub_units(session: Session, unit: Unit) -> list[Unit]:
    """Units strictly below ``unit``: the forward targets."""
    return list(session.exec(select(Unit).where(col(Unit.path).startswith(unit.path))
                             .where(Unit.id != unit.id).where(col(Unit.active))
                             .order_by(col(Unit.path))).all())


def dispatchable_units(session: Session) -> list[Unit]:
    return list(session.exec(select(Unit).where(Unit.kind != UnitKind.hotline)
                             .where(col(Unit.active)).order_by(col(Unit.path))).all())
