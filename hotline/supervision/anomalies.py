"""Real-time anomaly alerts for supervisors (CQ §20): a surge of one matter in one street (a
hotspot cluster, ``hotspots.py``) or of one category there, and a unit falling behind (backlog or
overdue count jumping against its own recent level).

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
from hotline.supervision import hotspots
from hotline.supervision.models import AnomalyAlert, UnitDailyStat
from hotline.tickets.models import OPEN_STATES, Ticket
from hotline.units.models import Unit

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


def _surges(session: Session, now: datetime, day: date) -> list[AnomalyAlert]:
    """Surges of one matter in one street (a hotspot cluster), then of a whole category in one
    street where no single matter explains it.

    Both compare the last 24 hours with the daily mean of the ``BASELINE_DAYS`` before. The
    cluster's alert names the matter (its representative text), the count and the baseline; its
    key is the cluster's (category, street, first ticket), stable while the matter lasts."""
    start = now - timedelta(days=1)
    clusters = hotspots.clusters(session, now, now - timedelta(days=BASELINE_DAYS + 1),
                                 active_since=start, min_active=SURGE_MIN)
    fresh: list[AnomalyAlert] = []
    explained: set[tuple[str, int]] = set()
    recent: Counter[tuple[str, int]] = Counter()
    before: Counter[tuple[str, int]] = Counter()
    names: dict[int, str] = {}
    for c in clusters:
        names[c.street_id] = c.street
        current = c.since(start)
        n, past = len(current), len(c.members) - len(current)
        recent[(c.category, c.street_id)] += n
        before[(c.category, c.street_id)] += past
        baseline = past / BASELINE_DAYS
        if _is_surge(n, baseline):
            explained.add((c.category, c.street_id))
            fresh.append(AnomalyAlert(
                kind="surge", key=c.key, day=day, unit_id=c.street_id, category=c.category,
                observed=n, baseline=round(baseline, 2), created_at=now,
                detail={"message": f"{c.street}同一事项“{c.title}”24 小时内 {n} 件"
                                   f"（{c.category}），近 {BASELINE_DAYS} 天日均 {baseline:.1f} 件",
                        "title": c.title, "cluster": c.key,
                        "numbers": [m.number for m in reversed(current)][:hotspots.NUMBERS_KEPT]}))
    for (category, street), n in recent.items():
        baseline = before[(category, street)] / BASELINE_DAYS
        if (category, street) not in explained and _is_surge(n, baseline):
            fresh.append(AnomalyAlert(
                kind="surge", key=f"{category}@{street}", day=day, unit_id=street, category=category,
                observed=n, baseline=round(baseline, 2), created_at=now,
                detail={"message": f"{names[street]}“{category}”类诉求 24 小时内 {n} 件，"
                                   f"近 {BASELINE_DAYS} 天日均 {baseline:.1f} 件"}))
    return fresh


def _is_surge(n: int, baseline: float) -> bool:
    return n >= SURGE_MIN and n >= SURGE_FACTOR * max(baseline, 1.0)


def _already_raised(session: Session, alert: AnomalyAlert) -> bool:
    """Once per key per day; a matter's surge also once a day when its cluster's key moved (its
    first ticket left the span): an alert of today on the same street and category that lists
    one of the same tickets is the same matter."""
    if session.exec(select(AnomalyAlert.id).where(AnomalyAlert.kind == alert.kind)
                    .where(AnomalyAlert.key == alert.key)
                    .where(AnomalyAlert.day == alert.day)).first() is not None:
        return True
    numbers = set((alert.detail or {}).get("numbers") or [])
    if alert.kind != "surge" or not numbers:
        return False
    same_place = session.exec(select(AnomalyAlert).where(AnomalyAlert.kind == "surge")
                              .where(AnomalyAlert.day == alert.day)
                              .where(AnomalyAlert.unit_id == alert.unit_id)
                              .where(AnomalyAlert.category == alert.category)).all()
    return any(numbers & set((a.detail or {}).get("numbers") or []) for a in same_place)


def detect(session: Session, now: datetime) -> list[AnomalyAlert]:
    day = local(now).date()
    units = {u.id: u for u in session.exec(select(Unit))}
    fresh = _surges(session, now, day)
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
        if not _already_raised(session, alert):
            session.add(alert)
            session.flush()  # the next alert's check sees this one
            raised.append(alert)
    session.flush()
    return raised
