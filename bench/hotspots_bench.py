"""Hotspots and the surge detector over a busy month in PostgreSQL.

Run by hand (not part of the suite):

    .venv/bin/python bench/hotspots_bench.py [--per-day 700] [--runs 5]

Loads 29 days of tickets (``--per-day`` a day) into its own schema (`bench_hotspots`), each
dispatched to one of the demo city's six streets under one of ten categories. The contents are
real citizens' messages (the bodies of ../shared/data/wenzheng2020/unlabeled_with_votes.csv, cut
to 200 characters; read here, never stored in the repository) so the clustering meets real
diversity; one matter in one street gets a burst today so there is a hotspot to find.
Times (median of ``--runs``): the span query alone; the day and week hotspots and the 29-day
clustering of the surge detector, first with a cold token cache (jieba runs), then warm (the
steady state of the periodic job ``refresh_hotspots``), then — for the board's lists — read
back from the stored snapshot, as a view does. Prints one table.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SCHEMA = "bench_hotspots"
DATA = REPO.parent / "shared" / "data" / "wenzheng2020" / "unlabeled_with_votes.csv"
from _pgbench import fresh_schema  # noqa: E402

CATEGORIES = ["环境保护/噪声污染", "城乡建设/物业管理", "城乡建设/市政设施", "城市管理/占道经营",
              "交通运输/道路停车", "商贸旅游/消费维权", "劳动和社会保障/欠薪", "教育文体/招生入学",
              "卫生计生/医疗服务", "城市管理/违章搭建"]


def texts() -> list[str]:
    if not DATA.exists():
        sys.exit(f"{DATA} not found: the benchmark reads real messages for realistic diversity")
    with DATA.open(encoding="utf-8") as f:
        out = [" ".join(r["body"].split())[:200] for r in csv.DictReader(f)]
    return [t for t in out if len(t) > 20]


def load(per_day: int, now: datetime) -> None:
    from sqlmodel import Session, select

    from hotline.units.models import Unit

    engine = fresh_schema(SCHEMA)
    with Session(engine) as s:
        streets = list(s.exec(select(Unit.id).where(Unit.kind == "street")).all())
    rng = random.Random(7)
    bodies = texts()
    burst = bodies[0]
    rows = []
    total = per_day * 29
    for i in range(total):
        at = now - timedelta(days=29 * rng.random())
        rows.append({"number": f"H{i:09d}", "content": rng.choice(bodies),
                     "category": rng.choice(CATEGORIES), "at": at, "unit": rng.choice(streets)})
    for i in range(8):  # today's burst: one matter, one street
        rows.append({"number": f"B{i:09d}", "content": burst, "category": CATEGORIES[0],
                     "at": now - timedelta(hours=i + 1), "unit": streets[0]})
    with engine.begin() as conn:
        conn.execute(text("""
            INSERT INTO tickets (number, channel, caller_phone, request_type, category, content,
                urgency, status, route, created_at, updated_at, sla_provisional, rework_count,
                version)
            VALUES (:number, 'phone', '13800000000', '投诉', :category, :content, 'normal',
                'in_progress', '[]', :at, :at, false, 0, 1)"""), rows)
        conn.execute(text("""
            INSERT INTO ticket_units (ticket_id, unit_id, role, active, assigned_at)
            SELECT t.id, v.unit, 'lead', true, t.created_at FROM tickets t
            JOIN (SELECT unnest(CAST(:numbers AS text[])) AS number,
                         unnest(CAST(:units AS integer[])) AS unit) v ON v.number = t.number"""),
            {"numbers": [r["number"] for r in rows], "units": [r["unit"] for r in rows]})
        conn.execute(text("ANALYZE tickets"))
        conn.execute(text("ANALYZE ticket_units"))
    engine.dispose()
    print(f"loaded {len(rows):,} tickets over 29 days ({per_day}/day) into {SCHEMA}")


def bench(runs: int, now: datetime) -> None:
    from sqlmodel import Session, col, func, select

    from hotline.core.db import get_engine
    from hotline.supervision import hotspots
    from hotline.supervision.anomalies import BASELINE_DAYS, SURGE_MIN
    from hotline.tickets.models import Ticket

    engine = get_engine()

    def timed(fn: object) -> list[float]:
        out = []
        for _ in range(runs):
            with Session(engine) as s:
                t0 = time.perf_counter()
                fn(s)  # type: ignore[operator]
                out.append((time.perf_counter() - t0) * 1000)
        return out

    def row(name: str, ms: list[float]) -> str:
        return f"| {name} | {statistics.median(ms):,.0f} | {max(ms):,.0f} |"

    with Session(engine) as s:
        in_week = s.exec(select(func.count()).where(
            col(Ticket.created_at) > now - timedelta(days=14))).one()
    lines = ["| measure | median ms | max ms |", "|---|---|---|"]
    lines.append(row(f"span query only, 14 days ({in_week:,} tickets)", timed(
        lambda s: s.exec(select(Ticket.id, Ticket.content).where(
            col(Ticket.created_at) > now - timedelta(days=14))).all())))
    for label, fn in (
            ("day hotspots (48 h span)", lambda s: hotspots._compute(s, now, "day", None)),
            ("week hotspots (14-day span)", lambda s: hotspots._compute(s, now, "week", None)),
            (f"surge detector's clusters ({BASELINE_DAYS + 1}-day span)",
             lambda s: hotspots.clusters(s, now, now - timedelta(days=BASELINE_DAYS + 1),
                                         active_since=now - timedelta(days=1),
                                         min_active=SURGE_MIN))):
        hotspots._tokens.cache_clear()
        with Session(engine) as s:
            t0 = time.perf_counter()
            found = fn(s)
            cold = (time.perf_counter() - t0) * 1000
        lines.append(f"| {label}, cold token cache | {cold:,.0f} | — |")
        lines.append(row(f"{label}, warm ({len(found):,} found)", timed(fn)))
    with Session(engine) as s:
        hotspots.refresh(s, now)
        s.commit()
    for window in hotspots.WINDOWS:
        lines.append(row(f"{window} hotspots as the board reads them (stored by the job)",
                         timed(lambda s, w=window: hotspots.hotspots(s, now, w))))
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-day", type=int, default=700)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    now = datetime.now(UTC)
    load(args.per_day, now)
    bench(args.runs, now)


if __name__ == "__main__":
    main()
