"""Real-time anomaly alerts for supervisors (CQ §20): a surge of similar requests in one area,
and a unit falling behind (backlog or overdue count jumping against its own recent level).

Alerts are rows keyed by (kind, key, local day), so the detector can run every few minutes and
raise each alert once a day.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from hotline.core.columns import table_of
from hotline.core.db import upsert
from hotline.core.times import local
from hotline.supervision.models import AnomalyAlert, UnitDailyStat
from hotline.tickets.models import OPEN_STATES, Ticket, TicketUnit
from hotline.units.models import Unit, UnitKind

SURGE_MIN = 5  # at least this many in 24 h …
SURGE_FACTOR = 3.0  # … and this many times the usual daily level
JUMP_MIN = 5
JUMP_FACTOR = 2.0
BASELINE_DAYS = 28


def snapshot_unit_stats(session: Session, now: datetime) -> int:
    """Today's backlog and overdue count per holding unit (upsert: safe to run any number of times)."""
    day = local(now).date()
    rows = session.exec(
        select(Ticket.holder_unit_id, func.count(),
               func.sum(case((col(Ticket.next_due_at) < now, 1), else_=0)))
        .where(col(Ticket.status).in_(sorted(OPEN_STATES)))
        .where(col(Ticket.holder_unit_id).is_not(None)).group_by(col(Ticket.holder_unit_id))
    ).all()
    for unit_id, backlog, overdue in rows:
        figures = {"backlog": int(backlog), "overdue": int(overdue or 0)}
        session.execute(upsert(session, table_of(UnitDailyStat),
                               {"unit_id": unit_id, "day": day, **figures}, ["unit_id", "day"], figures))
    return len(rows)


def _street_of(units: dict[int, Unit]) -> dict[int, int]:
    """Unit → the street/township it belongs to (itself, or a community's parent)."""
    out: dict[int, int] = {}
    for u in units.values():
        if u.kind == UnitKind.street:
            out[u.id] = u.id
        elif u.kind == UnitKind.community and u.parent_id in units:
            out[u.id] = u.parent_id
    return out


def detect(session: Session, now: datetime) -> list[AnomalyAlert]:
    day = local(now).date()
    units = {u.id: u for u in session.exec(select(Unit))}
    street_of = _street_of(units)
    since = now - timedelta(days=BASELINE_DAYS + 1)
    rows = session.exec(
        select(Ticket.id, Ticket.category, Ticket.created_at, TicketUnit.unit_id)
        .join(TicketUnit, col(TicketUnit.ticket_id) == col(Ticket.id))
        .where(col(Ticket.created_at) >= since).where(col(Ticket.category).is_not(None))
    ).all()
    seen: set[tuple[int, int]] = set()
    recent: Counter[tuple[str, int]] = Counter()
    per_day: dict[tuple[str, int], Counter[date]] = defaultdict(Counter)
    for tid, category, created_at, unit_id in rows:
        street = street_of.get(unit_id)
        if category is None or street is None or (tid, street) in seen:
            continue
        seen.add((tid, street))
        key = (category.split("/")[0] + "/" + category.split("/")[1] if "/" in category
               else category, street)
        if created_at >= now - timedelta(days=1):
            recent[key] += 1
        else:
            per_day[key][local(created_at).date()] += 1
    fresh: list[AnomalyAlert] = []
    for (category, street), n in recent.items():
        baseline = sum(per_day[(category, street)].values()) / BASELINE_DAYS
        if n >= SURGE_MIN and n >= SURGE_FACTOR * max(baseline, 1.0):
            fresh.append(AnomalyAlert(
                kind="surge", key=f"{category}@{street}", day=day, unit_id=street, category=category,
                observed=n, baseline=round(baseline, 2), created_at=now,
                detail={"message": f"{units[street].name}“{category}”类诉求 24 小时内 {n} 件，"
                                   f"近 {BASELINE_DAYS} 天日均 {baseline:.1f} 件"}))
    history: dict[int, list[UnitDailyStat]] = defaultdict(list)
    for stat in session.exec(select(UnitDailyStat).where(
            col(UnitDailyStat.day) >= day - timedelta(days=7))):
        history[stat.unit_id].append(stat)
    for unit_id, stats in history.items():
        today = next((s for s in stats if s.day == day), None)
        before = [s for s in stats if s.day < day]
        if today is None or not before:
            continue
        for kind, value, past in (("backlog", today.backlog, [s.backlog for s in before]),
                                  ("overdue", today.overdue, [s.overdue for s in before])):
            base = statistics.mean(past)
            if value >= JUMP_MIN and value >= JUMP_FACTOR * max(base, 1.0):
                label = "积压工单" if kind == "backlog" else "超期工单"
                fresh.append(AnomalyAlert(
                    kind=kind, key=f"unit:{unit_id}", day=day, unit_id=unit_id, observed=value,
                    baseline=round(base, 2), created_at=now,
                    detail={"message": f"{units[unit_id].name}{label} {value} 件，"
                                       f"前 {len(past)} 天平均 {base:.1f} 件"}))
    raised: list[AnomalyAlert] = []
    for alert in fresh:
        exists = session.exec(select(AnomalyAlert.id).where(AnomalyAlert.kind == alert.kind)
                              .where(AnomalyAlert.key == alert.key)
                              .where(AnomalyAlert.day == alert.day)).first()
        if exists is None:
            session.add(alert)
            raised.append(alert)
    session.flush()
    return raised
