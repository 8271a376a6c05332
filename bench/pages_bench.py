"""Server time of every page (issue 17): the demo city on SQLite, and the board at 1M tickets.

Run by hand (not part of the suite):

    .venv/bin/python bench/pages_bench.py demo                 # goal: every page < 100 ms
    .venv/bin/python bench/pages_bench.py million [--reuse]    # goal: the board < 300 ms

``demo`` seeds the demo city (~200 tickets) into a fresh SQLite file, as ``make run`` does.
``million`` bulk-loads 1M tickets (bench/_million.py, the data of bench/intake_bench.py) into
its own PostgreSQL schema ``pages``; ``--reuse`` keeps a schema an earlier run loaded.

Each page runs in a real ``uvicorn`` process and is fetched over HTTP by a logged-in client;
the figure is the page's own ``Server-Timing`` (handler + template, what the server spends),
so the client's share of the two cores is not counted. Medians and p95 over the repeats, after
one warm-up request. Prints one table.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from _million import load_million  # noqa: E402
from _pgbench import PG, fresh_schema  # noqa: E402

SCHEMA = "pages"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(env_extra: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "HOTLINE_EMBEDDED_JOBS": "false", "HOTLINE_DEMO_MODE": "true",
           "HOTLINE_LOG_LEVEL": "warning", **env_extra}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "hotline.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env, cwd=REPO)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def login(base: str, username: str | None) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    if username is None:
        return client
    token = CSRF.search(client.get("/login").text)
    assert token, "no CSRF token on /login"
    r = client.post("/login", data={"username": username, "password": "demo",
                                    "csrf_token": token.group(1)})
    assert r.status_code == 303, r.text
    return client


def measure(base: str, pages: dict[str | None, list[str]],
            repeats: int) -> list[tuple[str, str, list[float]]]:
    rows = []
    for user, paths in pages.items():
        client = login(base, user)
        for path in paths:
            times = []
            for _ in range(repeats + 1):
                r = client.get(path)
                assert r.status_code == 200, (user, path, r.status_code, r.text[:300])
                times.append(float(r.headers["server-timing"].split("dur=")[1]))
            rows.append((user or "anonymous", path, times[1:]))
        client.close()
    return rows


def print_table(title: str, rows: list[tuple[str, str, list[float]]]) -> None:
    load1 = os.getloadavg()[0]
    print(f"# {title} · {datetime.now():%Y-%m-%d %H:%M} · nproc={os.cpu_count()} · "
          f"load average at the end {load1:.1f}")
    print("| user | page | median ms | p95 ms | max ms |\n|---|---|---|---|---|")
    for user, path, times in rows:
        print(f"| {user} | `{path[:70]}` | {statistics.median(times):.1f} | {pct(times, 95):.1f} | "
              f"{max(times):.1f} |")


def _ticket_of(db_url: str, schema: str | None, status: str) -> tuple[str, str]:
    """A ticket in ``status`` and a user of its holding unit, to open the unit's pages."""
    from sqlmodel import Session, col, select

    from hotline.core.db import make_engine
    from hotline.core.settings import Settings
    from hotline.tickets.models import Ticket
    from hotline.units.models import User

    engine = make_engine(Settings(database_url=db_url, database_schema=schema))
    with Session(engine) as s:
        t = s.exec(select(Ticket).where(Ticket.status == status)
                   .where(col(Ticket.number).not_like("B%"))
                   .order_by(col(Ticket.id))).first()
        assert t is not None, f"no {status} ticket"
        user = s.exec(select(User).where(User.unit_id == t.holder_unit_id)
                      .order_by(col(User.id))).first()
        assert user is not None
        out = (t.number, user.username)
    engine.dispose()
    return out


def demo_pages(number: str, unit_user: str) -> dict[str | None, list[str]]:
    return {
        "agent": ["/console",
                  "/console/assist?caller_phone=13812345678&content=楼下烧烤店油烟噪声扰民"
                  "&address=东城区东华街道桂花苑&request_type=投诉",
                  "/visits", "/search?q=小区", "/search?q=13812345678", "/kb?q=社保卡"],
        unit_user: ["/inbox?tab=sign", "/inbox?tab=doing", "/inbox?tab=overdue",
                    "/inbox/rows?tab=sign", f"/t/{number}"],
        "supervisor": ["/board", "/board?warning=overdue", "/board?warning=overdue&all=1",
                       "/report", f"/t/{number}"],
        None: ["/login", "/progress", "/kb", "/"],
    }


def run_demo(repeats: int) -> None:
    from sqlmodel import Session

    from hotline import wiring
    from hotline.core.db import make_engine
    from hotline.core.migrate import upgrade
    from hotline.core.settings import Settings
    from hotline.seed import seed

    wiring.install()  # the seed runs the workflow, whose receivers must be wired
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/demo.db"
        engine = make_engine(Settings(database_url=url))
        upgrade(engine)
        with Session(engine, expire_on_commit=False) as s:
            seed(s)
            s.commit()
        engine.dispose()
        number, unit_user = _ticket_of(url, None, "in_progress")
        with serve({"HOTLINE_DATABASE_URL": url}) as base:
            rows = measure(base, demo_pages(number, unit_user), repeats)
    print_table("pages, demo city on SQLite (goal < 100 ms each)", rows)


def run_million(rows: int, reuse: bool, repeats: int) -> None:
    from sqlalchemy import text
    from sqlmodel import Session, select

    from hotline.core.db import make_engine
    from hotline.core.settings import Settings
    from hotline.units.models import Unit

    engine = make_engine(Settings(database_url=PG, database_schema=SCHEMA))
    loaded = 0
    if reuse:
        try:
            with engine.connect() as conn:
                loaded = conn.execute(text(
                    "SELECT count(*) FROM tickets WHERE number LIKE 'B%'")).scalar_one()
        except Exception:  # no schema yet: load it
            loaded = 0
    if loaded < rows:
        engine.dispose()
        engine = fresh_schema(SCHEMA, demo_tickets=True)
        with Session(engine) as s:
            units = list(s.exec(select(Unit.id).where(Unit.kind != "hotline")).all())
        print(f"bulk load: {load_million(engine, [u for u in units if u is not None], rows):.0f} s",
              file=sys.stderr)
    with engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM tickets")).scalar_one()
        overdue = conn.execute(text(
            "SELECT count(*) FROM tickets WHERE next_due_at < now()")).scalar_one()
    engine.dispose()
    # What cron does (every HOTLINE_REPORT_REFRESH_SECONDS / HOTLINE_HOTSPOTS_REFRESH_SECONDS):
    # the board then reads the stored figures.
    os.environ.update(HOTLINE_DATABASE_URL=PG, HOTLINE_DATABASE_SCHEMA=SCHEMA)
    from hotline.core import db, settings
    from hotline.workers import jobs

    settings.get_settings.cache_clear()
    db.get_engine.cache_clear()
    t0 = time.perf_counter()
    refreshed = jobs.refresh_reports()
    print(f"refresh_reports (the monthly evaluation, cron): {time.perf_counter() - t0:.1f} s "
          f"{refreshed}", file=sys.stderr)
    t0 = time.perf_counter()
    found = jobs.refresh_hotspots()
    print(f"refresh_hotspots (cron): {time.perf_counter() - t0:.1f} s {found}", file=sys.stderr)
    number, unit_user = _ticket_of(PG, SCHEMA, "in_progress")
    pages: dict[str | None, list[str]] = {
        "supervisor": ["/board", "/board?warning=overdue", "/board?warning=overdue&page=50",
                       "/board?warning=at_risk", "/report"],
        "dongcheng_mgr": ["/inbox?tab=overdue", "/search?q=小区"],
        unit_user: ["/inbox?tab=sign", f"/t/{number}"],
    }
    with serve({"HOTLINE_DATABASE_URL": PG, "HOTLINE_DATABASE_SCHEMA": SCHEMA}) as base:
        measured = measure(base, pages, repeats)
    print_table(f"pages at {total:,} tickets ({overdue:,} overdue) on PostgreSQL "
                "(goal: board < 300 ms)", measured)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["demo", "million"])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--reuse", action="store_true", help="keep an already loaded schema")
    args = ap.parse_args()
    if args.mode == "demo":
        run_demo(args.repeats)
    else:
        run_million(args.rows, args.reuse, args.repeats)


if __name__ == "__main__":
    main()
