"""Shared by the benchmarks: a million tickets bulk-loaded in SQL, as a hotline three years in.

One generator for every benchmark that needs the big table (the intake/overdue bench, the pages
bench), so that their numbers describe the same data.
"""

from __future__ import annotations

import time

from sqlalchemy import text
from sqlalchemy.engine import Engine

# A realistic mix for a hotline three years in: tickets spread over 1,095 days and 26 units;
# older than 30 days almost all closed (0.5 % still open and long overdue), the last 30 days
# 60 % open with a 15-working-day (≈21 calendar days) close clock.
BULK_SQL = """
INSERT INTO tickets (number, channel, caller_phone, request_type, category, content, address,
    urgency, status, lead_unit_id, holder_unit_id, route, created_at, updated_at, dispatched_at,
    close_due_at, next_due_at, next_at_risk_at, sla_provisional, rework_count, version)
SELECT 'B' || lpad(g::text, 9, '0'), 'phone', '138' || lpad((g % 100000000)::text, 8, '0'),
    (ARRAY['咨询','求助','投诉','举报','建议','表扬'])[1 + g % 6],
    (ARRAY['城乡建设/物业管理','环境保护/噪声污染','交通运输/道路停车','城市管理/占道经营'])[1 + g % 4],
    '批量生成的基准测试工单内容', '演示市', 'normal',
    CASE WHEN o.open THEN (ARRAY['dispatched','in_progress','returned','rework'])[1 + g % 4]
         ELSE 'closed' END,
    (:units)[1 + g % cardinality(:units)], (:units)[1 + g % cardinality(:units)], '[]'::json,
    o.created, now(), o.created, o.created + interval '21 days',
    CASE WHEN o.open THEN o.created + interval '21 days' END,
    CASE WHEN o.open THEN o.created + interval '18 days' END,
    false, 0, 1
FROM generate_series(CAST(:start AS integer), CAST(:stop AS integer)) AS g,
LATERAL (SELECT now() - (g % 1095) * interval '1 day' - (g % 86400) * interval '1 second' AS created,
                CASE WHEN g % 1095 <= 30 THEN g % 10 < 6 ELSE g % 200 = 0 END AS open) AS o
"""



def load_million(engine: Engine, units: list[int], rows: int = 1_000_000, *,
                 vacuum: bool = True) -> float:
    """Replace the bulk tickets (numbers ``B…``) with ``rows`` new ones; returns seconds taken.

    ``vacuum``: end with what autovacuum does to a production table after a load like this
    (PostgreSQL 13+ vacuums after inserts too), so that the lists are timed on a table whose
    visibility map is set. This machine's shared server runs with autovacuum off: without it
    every index-only scan visits the heap anyway (bench/RESULTS.md, 2026-12-06)."""
    t0 = time.perf_counter()
    step = 100_000
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM tickets WHERE number LIKE 'B%'"))
    for start in range(1, rows + 1, step):
        with engine.begin() as conn:
            conn.execute(text(BULK_SQL), {"units": units, "start": start,
                                          "stop": min(rows, start + step - 1)})
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO ticket_units (ticket_id, unit_id, role, active, assigned_at) "
            "SELECT id, lead_unit_id, 'lead', true, created_at FROM tickets "
            "WHERE number LIKE 'B%' ON CONFLICT DO NOTHING"))
        conn.execute(text("ANALYZE"))
    if vacuum:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE) tickets"))
            conn.execute(text("VACUUM (ANALYZE) ticket_units"))
    return time.perf_counter() - t0
