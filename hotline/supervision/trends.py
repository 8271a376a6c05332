"""The board's charts: daily volume, categories, the weekly on-time rate."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from hotline.core.columns import local_date
from hotline.core.times import local
from hotline.tickets.actions import Action
from hotline.tickets.models import Ticket, TicketEvent


def daily_volume(session: Session, now: datetime, days: int = 30) -> list[tuple[str, int]]:
    """Tickets registered per local day, the last ``days`` days (counted by the database)."""
    since = now - timedelta(days=days)
    day = local_date(col(Ticket.created_at), session.get_bind().dialect.name)
    counts = {str(d): int(n) for d, n in session.exec(
        select(day, func.count()).where(col(Ticket.created_at) >= since).group_by(day))}
    today = local(now).date()
    return [((d := today - timedelta(days=i)).strftime("%m-%d"), counts.get(d.isoformat(), 0))
            for i in range(days - 1, -1, -1)]


def category_counts(session: Session, now: datetime, days: int = 30, top: int = 8) -> list[tuple[str, int]]:
    since = now - timedelta(days=days)
    rows = session.exec(select(Ticket.category, func.count()).where(col(Ticket.created_at) >= since)
                        .group_by(col(Ticket.category))).all()
    counts: Counter[str] = Counter()
    for cat, n in rows:
        counts[(cat or "未分类").split("/")[-1]] += int(n)
    return counts.most_common(top)


def on_time_trend(session: Session, now: datetime, weeks: int = 8) -> list[tuple[str, float | None]]:
    """Share of replies made within the close deadline, per week (payload.on_time frozen at the act)."""
    since = now - timedelta(weeks=weeks)
    rows = session.exec(select(TicketEvent.at, TicketEvent.payload)
                        .where(TicketEvent.action == Action.reply).where(col(TicketEvent.at) >= since))
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
