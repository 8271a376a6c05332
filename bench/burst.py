"""A burst of simultaneous requests against a real `hotline serve`: N registrations with a dispatch
decision at once, then N list reads at once. Prints status counts, latency percentiles and
whether ticket numbers are unique.

    python bench/burst.py --db sqlite --n 200
    python bench/burst.py --db postgres --n 1000 --workers 4

Used by tests/hotline/test_burst.py (smaller N is not allowed there: the issue's 200).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(env: dict[str, str], args: Sequence[str] = (), log: Path | None = None) -> Iterator[str]:
    """`hotline serve` as a subprocess on a free port, with ``env`` over ours; yields its URL."""
    port = free_port()
    full = {**os.environ, **env}
    out = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen([str(Path(sys.executable).with_name("hotline")), "serve",
                             "--port", str(port), *args], env=full, cwd=REPO, stdout=out,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"hotline serve did not start (exit {proc.poll()})")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        if log:
            out.close()  # type: ignore[union-attr]


@dataclass
class Wave:
    statuses: Counter[int] = field(default_factory=Counter)
    seconds: list[float] = field(default_factory=list)
    bodies: list[dict[str, object]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def line(self, name: str) -> str:
        s = sorted(self.seconds)
        q = (lambda p: s[min(len(s) - 1, int(p * len(s)))]) if s else (lambda p: float("nan"))
        return (f"| {name} | {len(self.seconds)} | {dict(sorted(self.statuses.items()))} | "
                f"{statistics.median(s):.2f} | {q(0.95):.2f} | {q(0.99):.2f} | {max(s):.2f} |")


async def _wave(url: str, n: int, make: object, token: str, timeout: float) -> Wave:
    wave = Wave()
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout,
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        start = asyncio.Event()

        async def one(i: int) -> None:
            await start.wait()
            t0 = time.monotonic()
            try:
                r = await make(client, i)  # type: ignore[operator]
                wave.statuses[r.status_code] += 1
                if r.status_code < 300:
                    wave.bodies.append(r.json())
            except httpx.HTTPError as exc:
                wave.statuses[0] += 1
                wave.errors.append(type(exc).__name__)
            wave.seconds.append(time.monotonic() - t0)

        tasks = [asyncio.create_task(one(i)) for i in range(n)]
        await asyncio.sleep(0.2)  # every task waits at the gate
        start.set()
        await asyncio.gather(*tasks)
    return wave


def burst(url: str, n: int, lead_unit_id: int, timeout: float = 60.0) -> tuple[Wave, Wave]:
    token = httpx.post(url + "/api/v1/auth/token",
                       data={"username": "agent", "password": "demo"}).json()["access_token"]

    def register(client: httpx.AsyncClient, i: int) -> object:
        return client.post("/api/v1/tickets", json={
            "caller_phone": f"139{i:08d}", "request_type": "投诉",
            "content": f"第{i}号来电：小区楼下烧烤店油烟噪声扰民到凌晨两点。",
            "address": "东城区东华街道桂花苑",
            "decision": {"action": "dispatch", "lead_unit_id": lead_unit_id}})

    def read(client: httpx.AsyncClient, i: int) -> object:
        return client.get("/api/v1/tickets", params={"page_size": 20, "page": 1 + i % 5})

    writes = asyncio.run(_wave(url, n, register, token, timeout))
    reads = asyncio.run(_wave(url, n, read, token, timeout))
    return writes, reads


def prepare(db: str, schema: str | None = None) -> tuple[dict[str, str], int]:
    """A migrated database with the demo units and users; returns (env, a lead unit id)."""
    from sqlmodel import Session, select

    from hotline.core.db import make_engine
    from hotline.core.migrate import upgrade
    from hotline.core.settings import Settings
    from hotline.seed import seed_units_and_users
    from hotline.units.models import Unit

    if db == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp(prefix='burst-')}/hotline.db"
        env = {"HOTLINE_DATABASE_URL": url}
        settings = Settings(database_url=url)
    else:
        url = os.environ.get("HOTLINE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
        schema = schema or "burst_bench"
        admin = make_engine(Settings(database_url=url))
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        admin.dispose()
        env = {"HOTLINE_DATABASE_URL": url, "HOTLINE_DATABASE_SCHEMA": schema}
        settings = Settings(database_url=url, database_schema=schema)
    engine = make_engine(settings)
    upgrade(engine)
    with Session(engine) as s:
        seed_units_and_users(s)
        s.commit()
        lead = s.exec(select(Unit.id).where(Unit.code == "DC-DH")).one()
    engine.dispose()
    env |= {"HOTLINE_DEMO_MODE": "true", "HOTLINE_EMBEDDED_JOBS": "false", "HOTLINE_REDIS_URL": ""}
    return env, lead


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--redis", default="", help="HOTLINE_REDIS_URL of the server (production layout)")
    p.add_argument("--timeout", type=float, default=60.0,
                   help="client time-out, s (above HOTLINE_QUEUE_TIMEOUT_SECONDS to see the server's answer)")
    args = p.parse_args()
    env, lead = prepare(args.db)
    env["HOTLINE_REDIS_URL"] = args.redis
    extra = ["--workers", str(args.workers)] if args.workers > 1 else []
    with serve(env, extra) as url:
        t0 = time.monotonic()
        writes, reads = burst(url, args.n, lead, timeout=args.timeout)
        elapsed = time.monotonic() - t0
    numbers = [b["number"] for b in writes.bodies]
    print(f"burst of {args.n} on {args.db}, {args.workers} API process(es): {elapsed:.1f} s in all; "
          f"ticket numbers unique: {len(numbers) == len(set(numbers))}")
    print("| wave | requests | statuses | p50 s | p95 s | p99 s | max s |\n|---|---|---|---|---|---|---|")
    print(writes.line("register + dispatch"))
    print(reads.line("list"))


if __name__ == "__main__":
    main()
