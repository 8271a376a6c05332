"""The SLA scan over 1M open tickets in PostgreSQL: full sweep and incremental scan.

Run by hand (not part of the suite):

    .venv/bin/python bench/scan_bench.py [--rows 1000000] [--fire-pct 1]

Loads `--rows` open tickets into its own schema (`bench_scan`) with stored thresholds as the
application writes them; `--fire-pct` percent of them have just crossed a threshold (at risk,
overdue or past escalation). Then it times:
- the full scan (every open ticket at risk or worse is checked against the ledger);
- the same full scan again (nothing new: the idempotent steady state);
- the incremental scan after a further slice crosses its next threshold (touches only those).
Prints one table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SCHEMA = "bench_scan"
from _pgbench import fresh_schema  # noqa: E402

LOAD = """
INSERT INTO tickets (number, channel, caller_phone, request_type, content, urgency, status,
    lead_unit_id, holder_unit_id, route, created_at, updated_at, next_clock, next_due_at,
    next_at_risk_at, next_escalate_at, scan_next_at, sla_provisional, rework_count, version)
SELECT 'S' || lpad(g::text, 9, '0'), 'phone', '13800000000', '投诉', '基准测试', 'normal',
    'in_progress', (:units)[1 + g % cardinality(:units)], (:units)[1 + g % cardinality(:units)],
    '[]'::json, :now - interval '10 days', :now, 'close', d.due, d.due - interval '1 day',
    d.due + interval '2 days', d.due - interval '1 day', false, 0, 1
FROM generate_series(CAST(:start AS integer), CAST(:stop AS integer)) AS g,
LATERAL (SELECT CASE
    -- fire_pct % crossed a threshold in the last minutes: split between the three stages
    WHEN g % 10000 < :fire_bp THEN :now + (ARRAY[interval '12 hours', interval '-1 hour',
                                                 interval '-3 days'])[1 + g % 3]
    ELSE :now + (2 + g % 20) * interval '1 day' END AS due) AS d
"""


def setup(rows: int, fire_pct: float, now: datetime) -> None:
    from sqlmodel import Session, select

    from hotline.units.models import Unit

    engine = fresh_schema(SCHEMA)
    with Session(engine) as s:
        units = list(s.exec(select(Unit.id).where(Unit.kind != "hotline")).all())
    step = 100_000
    for start in range(1, rows + 1, step):
        with engine.begin() as conn:
            conn.execute(text(LOAD), {"units": units, "start": start, "stop": min(rows, start + step - 1),
                                      "now": now, "fire_bp": int(fire_pct * 100)})
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def timed_scan(now: datetime, full: bool) -> tuple[float, dict[str, object]]:
    from hotline.core import db, settings
    from hotline.workers.jobs import sla_scan

    settings.get_settings.cache_clear()
    db.get_engine.cache_clear()
    t0 = time.perf_counter()
    result = sla_scan(full=full, now=now)
    return time.perf_counter() - t0, result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--fire-pct", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    now = datetime.now(UTC).replace(microsecond=0)
    t0 = time.perf_counter()
    setup(args.rows, args.fire_pct, now)
    load_s = time.perf_counter() - t0
    print(f"# scan bench {now.date()} · nproc={os.cpu_count()} · PostgreSQL · "
          f"{args.rows} open tickets, {args.fire_pct}% crossing a threshold")
    print("| measure | seconds | fired | notifications |\n|---|---|---|---|")
    print(f"| bulk load | {load_s:.1f} | | |")
    first, res = timed_scan(now, full=True)
    print(f"| full scan, first (fires the crossings) | {first:.2f} | {sum(res['fired'].values())} "  # type: ignore[union-attr]
          f"| {res['notifications']} |")
    steady = []
    for _ in range(args.repeats):
        s, res = timed_scan(now, full=True)
        steady.append(s)
        assert not res["fired"], res
    print(f"| full scan, steady state (median of {args.repeats}) | {statistics.median(steady):.2f} | 0 | 0 |")
    incr = []
    for i in range(args.repeats):
        s, res = timed_scan(now + timedelta(minutes=1 + i), full=False)
        incr.append(s)
    print(f"| incremental scan, nothing new (median of {args.repeats}) | {statistics.median(incr):.3f} | | |")
    later = now + timedelta(hours=13)  # the reminders' tickets (due in 12 h) become overdue
    s, res = timed_scan(later, full=False)
    print(f"| incremental scan, +13 h: next thresholds passed | {s:.2f} | "
          f"{sum(res['fired'].values())} | {res['notifications']} |")  # type: ignore[union-attr]


if __name__ == "__main__":
    main()
