"""Intake throughput over HTTP on PostgreSQL, and the overdue-list query with 1M tickets.

Run by hand (not part of the suite):

    .venv/bin/python bench/intake_bench.py [--tickets 3000] [--clients 16] [--rows 1000000]

It uses its own PostgreSQL schema (`bench`) on the test server, starts `hotline serve` with
uvicorn workers as a separate process, registers tickets from concurrent HTTP clients, then
bulk-loads a million tickets and times the supervisor's overdue list (the API's own query).
Prints one table; medians and percentiles, never single runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import text

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SCHEMA = "bench"
from _million import load_million  # noqa: E402
from _pgbench import PG, fresh_schema  # noqa: E402


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def prepare_schema() -> None:
    fresh_schema(SCHEMA).dispose()


WRK_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
wrk.body = '%s'
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%f %%f %%f\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.duration / 1e6))
end
"""


def wrk_intake(base: str, token: str, body: dict[str, str], clients: int,
               seconds: int) -> dict[str, float]:
    """Load from wrk (C, a few % of one core) so the server, not the client, is measured."""
    import json
    import tempfile

    script = WRK_LUA % (token, json.dumps(body, ensure_ascii=False))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    out = subprocess.run(["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "-s", f.name,
                          f"{base}/api/v1/tickets"], capture_output=True, text=True, check=True)
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT"))
    requests, errors, p50, p99, duration = (float(v) for v in line.split()[1:])
    return {"tickets": requests - errors, "errors": errors, "per_s": (requests - errors) / duration,
            "p50_ms": p50, "p99_ms": p99}


def http_intake(n: int, clients: int, workers: int, port: int = 8077,
                seconds: int = 20) -> dict[str, float]:
    env = {**os.environ, "HOTLINE_DATABASE_URL": PG, "HOTLINE_DATABASE_SCHEMA": SCHEMA,
           "HOTLINE_DEMO_MODE": "true", "HOTLINE_LOG_LEVEL": "warning"}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "hotline.app:create_app", "--factory",
         "--port", str(port), "--workers", str(workers), "--log-level", "warning"],
        env=env, cwd=REPO,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        token = httpx.post(f"{base}/api/v1/auth/token",
                           data={"username": "agent", "password": "demo"}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        body = {"caller_phone": "13812345678", "request_type": "投诉",
                "content": "小区门口夜市摊贩占道经营，油烟噪声扰民，希望城管处理。",
                "address": "东城区东华街道东华路", "category": "城市管理/占道经营"}
        if shutil.which("wrk"):
            with httpx.Client(base_url=base, headers=headers) as c:
                for _ in range(20):
                    c.post("/api/v1/tickets", json=body)
            return {**wrk_intake(base, token, body, clients, seconds), "client": "wrk"}
        latencies: list[float] = []
        lock = threading.Lock()
        per_client = n // clients

        def run() -> None:
            mine: list[float] = []
            with httpx.Client(base_url=base, headers=headers, timeout=30) as c:
                for _ in range(per_client):
                    t0 = time.perf_counter()
                    r = c.post("/api/v1/tickets", json=body)
                    mine.append(time.perf_counter() - t0)
                    assert r.status_code == 201, r.text
            with lock:
                latencies.extend(mine)

        # warm-up
        with httpx.Client(base_url=base, headers=headers) as c:
            for _ in range(20):
                c.post("/api/v1/tickets", json=body)
        threads = [threading.Thread(target=run) for _ in range(clients)]
        t0 = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.perf_counter() - t0
    finally:
        server.terminate()
        server.wait(timeout=20)
    return {"tickets": len(latencies), "per_s": len(latencies) / wall, "errors": 0,
            "p50_ms": pct(latencies, 50) * 1000, "p99_ms": pct(latencies, 99) * 1000,
            "client": "httpx threads"}


def overdue_query(rows: int, repeats: int = 50, vacuum: bool = True) -> dict[str, float]:
    os.environ.update(HOTLINE_DATABASE_URL=PG, HOTLINE_DATABASE_SCHEMA=SCHEMA)
    from sqlmodel import Session, select

    from hotline.core import db, settings
    from hotline.tickets.reading import TicketFilter, list_tickets
    from hotline.units.actor import actor_for
    from hotline.units.models import Unit, User

    settings.get_settings.cache_clear()
    db.get_engine.cache_clear()
    engine = db.get_engine()
    with Session(engine) as s:
        units = list(s.exec(select(Unit.id).where(Unit.kind != "hotline")).all())
    load_s = load_million(engine, units, rows, vacuum=vacuum)
    timings: dict[str, list[float]] = {"supervisor": [], "unit manager (subtree)": []}
    with Session(engine) as s:
        total = s.exec(select(text("count(*)")).select_from(text("tickets"))).one()
        supervisor = actor_for(s, s.exec(select(User).where(User.username == "supervisor")).one())
        manager = actor_for(s, s.exec(select(User).where(User.username == "dongcheng_mgr")).one())
        now = datetime.now(UTC)
        for _ in range(repeats):
            for label, actor in (("supervisor", supervisor), ("unit manager (subtree)", manager)):
                t1 = time.perf_counter()
                items, count = list_tickets(s, actor, TicketFilter(overdue=True), page=1,
                                            page_size=50, now=now)
                timings[label].append(time.perf_counter() - t1)
                assert count > 0 and len(items) == min(50, count)
    out: dict[str, float] = {"rows": float(total), "load_s": load_s, "overdue": float(count)}
    for label, values in timings.items():
        out[f"{label} p50_ms"] = pct(values, 50) * 1000
        out[f"{label} p95_ms"] = pct(values, 95) * 1000
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=3000)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--skip-http", action="store_true")
    ap.add_argument("--skip-lists", action="store_true", help="intake only, no 1M load")
    ap.add_argument("--as-loaded", action="store_true",
                    help="time the lists before any VACUUM (no visibility map)")
    ap.add_argument("--repeats", type=int, default=50)
    args = ap.parse_args()
    prepare_schema()
    print(f"# intake bench {datetime.now().date()} · nproc={os.cpu_count()} · PostgreSQL")
    print("| measure | value |\n|---|---|")
    if not args.skip_http:
        res = http_intake(args.tickets, args.clients, args.workers)
        print(f"| HTTP POST /api/v1/tickets ({res['tickets']:.0f} tickets, {res['errors']:.0f} errors, "
              f"{args.clients} connections via {res['client']}, {args.workers} uvicorn workers) | "
              f"{res['per_s']:.0f} tickets/s |")
        print(f"| latency p50 / p99 | {res['p50_ms']:.1f} ms / {res['p99_ms']:.1f} ms |")
    if args.skip_lists:
        return
    q = overdue_query(args.rows, args.repeats, vacuum=not args.as_loaded)
    state = "as loaded" if args.as_loaded else "vacuumed"
    print(f"| tickets in table / bulk load ({state}{'' if args.as_loaded else ', VACUUM included'}) | "
          f"{q['rows']:.0f} / {q['load_s']:.0f} s |")
    print(f"| overdue tickets matched | {q['overdue']:.0f} |")
    for label in ("supervisor", "unit manager (subtree)"):
        print(f"| overdue list page 1 + count, {label}: p50 / p95 | "
              f"{q[label + ' p50_ms']:.1f} ms / {q[label + ' p95_ms']:.1f} ms |")


if __name__ == "__main__":
    main()
