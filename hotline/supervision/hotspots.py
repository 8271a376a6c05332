"""Hotspots (CQ §20): clusters of similar requests per street and category, with their trend.

A hotspot is one matter raised by several callers in one street: the tickets of a time span are
grouped by (street, category's top two levels), and within a group their texts are clustered by
similarity (``textsearch.cluster``), so "the barbecue smoke at 桂花苑" and "the night building
work at 桂花苑" — both 噪声污染 in 东华街道 — are two hotspots, not one count. A window (the last
24 hours or 7 days) counts each cluster's tickets in it and in the window before, which gives
the trend. The anomaly detector uses the same clusters over its 28-day baseline span, so a
surge alert names the matter (docs/METRICS.md).

Cost: one query over an indexed ``created_at`` range (``ix_tickets_created``), bounded by the
window; jieba runs once per distinct text per process (``_tokens`` is cached). Measured in
bench/RESULTS.md: a city of 700 calls a day takes ~0.15 s for the day and ~1.7 s for the week,
so the periodic job computes the lists and the board reads them (``snapshots``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from hotline.core.settings import get_settings
from hotline.supervision import snapshots
from hotline.tickets.models import Ticket, TicketUnit
from hotline.units.models import Unit, UnitKind
from textsearch import group_similar, idf_weights, index_tokens, representative

Window = Literal["day", "week"]
WINDOWS: dict[str, timedelta] = {"day": timedelta(days=1), "week": timedelta(days=7)}
WINDOW_LABELS = {"day": "近 24 小时", "week": "近 7 天"}
PREVIOUS_LABELS = {"day": "前 24 小时", "week": "前 7 天"}
#: A matter is a hotspot from this many tickets in the window (one ticket is not a cluster).
MIN_COUNT = 2
#: Ticket numbers kept per hotspot (newest first): the page links them, the alert lists them.
NUMBERS_KEPT = 20
TITLE_CHARS = 40
#: How the board may order hotspots (the ``hot_sort`` URL parameter).
SORTS = ("count", "change", "street", "category")


def category_key(category: str) -> str:
    """The category's top two levels: finer levels split one matter across codes."""
    parts = category.split("/")
    return "/".join(parts[:2])


def street_of(units: dict[int, Unit]) -> dict[int, int]:
    """Unit → the street/township it belongs to (itself, or a community's parent)."""
    out: dict[int, int] = {}
    for u in units.values():
        if u.kind == UnitKind.street:
            out[u.id] = u.id
        elif u.kind == UnitKind.community and u.parent_id in units:
            out[u.id] = u.parent_id
    return out


#: Distinct tokens kept per text, in text order: a long message states its matter first, and
#: every token costs on each run (benchmark: bench/hotspots_bench.py).
MAX_TOKENS = 80


@lru_cache(maxsize=65_536)
def _tokens(text: str) -> dict[str, int]:
    """A ticket's distinct tokens (each counted once), one-character words dropped (那, 家, 还:
    they match across matters); cached because the same texts are clustered on every run. A
    dict, not a list: ``Counter`` copies it in one step where it would count a list token by
    token, on every run. Read-only: the cache shares it."""
    distinct = dict.fromkeys(t for t in index_tokens(text) if len(t) >= 2)
    return dict.fromkeys(list(distinct)[:MAX_TOKENS], 1)


@dataclass
class Member:
    id: int
    number: str
    created_at: datetime
    content: str


@dataclass
class Cluster:
    """One matter in one street: its tickets oldest first, and the text that best names it."""

    street_id: int
    street: str
    category: str
    members: list[Member]
    title: str

    @property
    def key(self) -> str:
        """Stable while the cluster lives: its first ticket does not change as others join."""
        return f"{self.category}@{self.street_id}#{self.members[0].id}"[:200]

    def since(self, start: datetime) -> list[Member]:
        return [m for m in self.members if m.created_at > start]


@dataclass
class Hotspot:
    window: str
    street_id: int
    street: str
    category: str
    title: str
    count: int
    previous: int
    key: str
    last_at: datetime
    numbers: list[str] = field(default_factory=list)

    @property
    def change(self) -> int:
        return self.count - self.previous

    @property
    def trend(self) -> str:
        """new (nothing in the window before), up, down or flat."""
        if self.previous == 0:
            return "new"
        return "up" if self.change > 0 else "down" if self.change < 0 else "flat"

    @property
    def trend_label(self) -> str:
        """The trend in words, with its figure: what the board shows beside the arrow."""
        if self.trend == "new":
            return f"新出现（{PREVIOUS_LABELS[self.window]}无）"
        pct = round(abs(self.change) * 100 / self.previous)
        if self.trend == "up":
            return f"上升 {self.change} 件（+{pct}%）"
        if self.trend == "down":
            return f"下降 {-self.change} 件（−{pct}%）"
        return "持平"

    @property
    def arrow(self) -> str:
        return {"new": "★", "up": "↑", "down": "↓", "flat": "→"}[self.trend]

    def to_dict(self) -> dict[str, Any]:
        return {"window": self.window, "street_id": self.street_id, "street": self.street,
                "category": self.category, "title": self.title, "count": self.count,
                "previous": self.previous, "change": self.change, "trend": self.trend,
                "trend_label": self.trend_label, "key": self.key,
                "last_at": self.last_at.isoformat(), "numbers": self.numbers}


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= TITLE_CHARS else flat[:TITLE_CHARS] + "…"


def clusters(session: Session, now: datetime, since: datetime,
             streets: Iterable[int] | None = None, active_since: datetime | None = None,
             min_active: int = 1) -> list[Cluster]:
    """The clusters of the tickets created in (since, now], per street and category.

    ``streets``: only these streets (a manager's subtree); None = every street.
    ``active_since``/``min_active``: skip the groups with fewer tickets than that since then —
    none of their clusters can reach the count the caller looks for, and clustering them is
    most of the cost."""
    units = {u.id: u for u in session.exec(select(Unit))}
    street_map = street_of(units)
    keep = set(streets) if streets is not None else None
    rows = session.execute(  # sqlmodel's select types four columns at most
        sa_select(col(Ticket.id), col(Ticket.number), col(Ticket.category),
                  col(Ticket.created_at), col(Ticket.content), col(TicketUnit.unit_id))
        .join(TicketUnit, col(TicketUnit.ticket_id) == col(Ticket.id))
        .where(col(Ticket.created_at) > since).where(col(Ticket.created_at) <= now)
        .where(col(Ticket.category).is_not(None))
        .order_by(col(Ticket.created_at), col(Ticket.id))
    ).all()
    groups: dict[tuple[str, int], list[Member]] = {}
    seen: set[tuple[int, int]] = set()
    for tid, number, category, created_at, content, unit_id in rows:
        street = street_map.get(unit_id)
        if category is None or street is None or (tid, street) in seen:
            continue
        if keep is not None and street not in keep:
            continue
        seen.add((tid, street))
        groups.setdefault((category_key(category), street), []).append(
            Member(tid, number, created_at, content))
    if active_since is not None:
        groups = {g: members for g, members in groups.items()
                  if sum(m.created_at > active_since for m in members) >= min_active}
    idf = idf_weights(_tokens(m.content) for members in groups.values() for m in members)
    out: list[Cluster] = []
    for (category, street), members in groups.items():
        docs = [_tokens(m.content) for m in members]
        for idx in group_similar(docs, idf=idf):
            rep = representative(docs, idx, idf)
            out.append(Cluster(street, units[street].name, category, [members[i] for i in idx],
                               _excerpt(members[rep].content)))
    return out


def _key(window: str) -> str:
    return f"hotspots:{window}"


def _dump(items: list[Hotspot]) -> list[dict[str, Any]]:
    return [{f.name: (getattr(h, f.name).isoformat() if f.name == "last_at"
                      else getattr(h, f.name)) for f in fields(Hotspot)} for h in items]


def _load(payload: list[dict[str, Any]]) -> list[Hotspot]:
    return [Hotspot(**{**d, "last_at": datetime.fromisoformat(d["last_at"])}) for d in payload]


def hotspots(session: Session, now: datetime, window: str = "day",
             streets: Iterable[int] | None = None, sort: str = "count") -> list[Hotspot]:
    """The hotspots of the window (``day`` or ``week``): clusters with at least ``MIN_COUNT``
    tickets in it, each with the count of the window before and the trend.

    The city's list is computed by the periodic job ``refresh_hotspots`` every
    ``HOTLINE_HOTSPOTS_REFRESH_SECONDS`` and read back here (``snapshots``): re-clustering a
    busy city's fortnight takes seconds, and a ticket arrives every few seconds. Clusters are
    per street, so a manager's scope is the city's list filtered to their streets."""
    max_age = timedelta(seconds=2 * get_settings().hotspots_refresh_seconds)
    found = snapshots.read(session, _key(window), now, max_age,
                           lambda: _compute(session, now, window, None), _dump, _load).value
    if streets is not None:
        scope = set(streets)
        found = [h for h in found if h.street_id in scope]
    return sort_hotspots(found, sort)


def refresh(session: Session, now: datetime) -> dict[str, int]:
    """The periodic job's work: both windows' hotspots for the whole city, stored."""
    out = {}
    for window in WINDOWS:
        found = _compute(session, now, window, None)
        snapshots.store(session, _key(window), now, _dump(found))
        out[window] = len(found)
    return out


def _compute(session: Session, now: datetime, window: str,
             streets: Iterable[int] | None) -> list[Hotspot]:
    span = WINDOWS[window]
    start = now - span
    out: list[Hotspot] = []
    for c in clusters(session, now, now - 2 * span, streets, active_since=start,
                      min_active=MIN_COUNT):
        current = c.since(start)
        if len(current) < MIN_COUNT:
            continue
        out.append(Hotspot(
            window=window, street_id=c.street_id, street=c.street, category=c.category,
            title=c.title, count=len(current), previous=len(c.members) - len(current), key=c.key,
            last_at=current[-1].created_at,
            numbers=[m.number for m in reversed(current)][:NUMBERS_KEPT]))
    return out


def sort_hotspots(items: list[Hotspot], sort: str) -> list[Hotspot]:
    """Largest first by default; by rise, or by street or category name (ties: largest first)."""
    if sort == "change":
        return sorted(items, key=lambda h: (-h.change, -h.count, h.key))
    if sort == "street":
        return sorted(items, key=lambda h: (h.street, -h.count, h.key))
    if sort == "category":
        return sorted(items, key=lambda h: (h.category, -h.count, h.key))
    return sorted(items, key=lambda h: (-h.count, -h.change, h.key))

