"""A busy city day: the docker-compose process layout under a realistic mix of work, driven by
Locust, optionally with faults injected, then held to an independent recomputation.

    python bench/cityday.py                                  # a small day: 1,500 requests, 3 min
    python bench/cityday.py --requests 100000 --minutes 30   # the full day (Hangzhou's record ~87k calls)
    python bench/cityday.py --faults api,worker,postgres,redis,sim110

Everything runs as real processes on free ports (bench/cityday_stack.py): a private PostgreSQL
(initdb in a temp dir), a private redis-server, `hotline serve --workers 2` with the compose
settings, `hotline worker`, `hotline cron`, `hotline sim110`, and Locust (bench/cityday_load.py).
At the end the checks of bench/cityday_checks.py run; the exit code is 1 when one fails.
Prints throughput and p50/p95/p99 per endpoint (Locust's own statistics), as Markdown.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import cityday_checks as checks
from bench.cityday_stack import REPO, Stack, start_stack, wait_for

FAULTS = ("api", "worker", "postgres", "redis", "sim110")


@dataclass
class FaultRecord:
    name: str
    at_s: float  # seconds into the day
    held_s: float  # how long the fault was held (a server stopped, 110 down)
    healed_s: float | None = None  # from the fault's end to the system serving and working again
    error: str | None = None


@dataclass
class DayResult:
    requests: int = 0
    seconds: float = 0.0
    endpoints: list[dict[str, Any]] = field(default_factory=list)
    statuses: dict[str, dict[str, int]] = field(default_factory=dict)
    faults: list[FaultRecord] = field(default_factory=list)
    problems: dict[str, list[str]] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(self.problems.values())

    def markdown(self) -> str:
        lines = [f"{self.requests} requests in {self.seconds:.0f} s: "
                 f"**{self.requests / max(self.seconds, 1e-9):.1f} requests/s**", "",
                 "| endpoint | requests | statuses | p50 ms | p95 ms | p99 ms |",
                 "|---|---|---|---|---|---|"]
        for e in self.endpoints:
            st = self.statuses.get(e["name"], {})
            lines.append(f"| {e['name']} | {e['count']} | {dict(sorted(st.items()))} | "
                         f"{e['p50']} | {e['p95']} | {e['p99']} |")
        if self.faults:
            lines += ["", "| fault | at s | held s | healed after s |", "|---|---|---|---|"]
            for f in self.faults:
                healed = f"{f.healed_s:.1f}" if f.healed_s is not None else f"not healed: {f.error}"
                lines.append(f"| {f.name} | {f.at_s:.0f} | {f.held_s:.0f} | {healed} |")
        lines += ["", f"figures: {json.dumps(self.figures, ensure_ascii=False)}", ""]
        for name, found in self.problems.items():
            lines.append(f"- check {name}: {'holds' if not found else f'{len(found)} problems'}")
            lines += [f"  - {p}" for p in found[:10]]
        return "\n".join(lines)


# --- faults ---------------------------------------------------------------------------------

class Injector:
    """Injects the faults at random moments of the day and measures how soon the system heals:
    a hand-over registered after the fault's end reaches 110 (the API answers, the database
    commits, Redis queues the relay kick, the worker runs it)."""

    def __init__(self, stack: Stack, log: Path, scale: float, seed: int) -> None:
        self.stack, self.log, self.scale = stack, log, scale
        self.rng = random.Random(seed)
        self.records: list[FaultRecord] = []
        self.t0 = time.monotonic()

    def probe(self, timeout: float) -> float:
        """Seconds until a fresh hand-over is acknowledged by us and received by 110."""
        t0 = time.monotonic()
        number: list[str] = []
        marker = f"〔{uuid.uuid4().hex[:12]}〕"

        def registered() -> bool:
            try:
                token = httpx.post(self.stack.api_url + "/api/v1/auth/token", timeout=10,
                                   data={"username": "agent", "password": "demo"}).json()["access_token"]
                r = httpx.post(self.stack.api_url + "/api/v1/tickets", timeout=30,
                               headers={"Authorization": f"Bearer {token}"},
                               json={"caller_phone": "13900000000", "request_type": "求助",
                                     "content": "探测：有人持刀威胁路人，情况紧急。" + marker,
                                     "decision": {"action": "emergency_handover", "service": "110",
                                                  "reason": "警情，移交110。"}})
            except httpx.HTTPError:
                status = 0
            else:
                status = r.status_code
                if status == 201:
                    number.append(r.json()["number"])
            with open(self.log, "a", encoding="utf-8") as f:  # the checks hold probes too
                f.write(json.dumps({"t": "register", "marker": marker, "kind": "handover",
                                    "status": status, "number": number[0] if number else None},
                                   ensure_ascii=False) + "\n")
            return status == 201

        wait_for(registered, timeout, "the API to register again", every=1.0)

        def arrived() -> bool:
            alarms = httpx.get(self.stack.sim_url + "/alarms", timeout=10).json()
            return any(a["correlation_id"] == number[0] for a in alarms)

        wait_for(arrived, max(5.0, timeout - (time.monotonic() - t0)), "110 to receive it")
        return time.monotonic() - t0

    def inject(self, name: str) -> FaultRecord:
        s = self.stack
        rec = FaultRecord(name, time.monotonic() - self.t0, 0.0)
        held0 = time.monotonic()
        killed: int | None = None
        if name == "api":  # SIGKILL one API process (a uvicorn worker); uvicorn starts another
            kids = s.api_children()
            if kids:
                killed = self.rng.choice(kids)
                os.kill(killed, signal.SIGKILL)
            else:
                s.procs["api"].kill()
        elif name == "worker":  # SIGKILL the RQ worker; compose (here: supervise) restarts it
            s.procs["worker"].kill()
        elif name == "postgres":  # crash-stop and start again (pg_ctl -m immediate: no checkpoint)
            s.pg.stop("immediate")
            s.pg.start()
        elif name == "redis":  # stopped for 60 s, then started again
            s.procs["redis"].paused = True
            s.procs["redis"].kill(signal.SIGTERM)
            time.sleep(60 * self.scale)
            s.procs["redis"].paused = False
            s.procs["redis"].start(s.env)
            wait_for(s.redis_up, 60, "redis again")
        elif name == "sim110":  # 110 refuses everything for 5 minutes (its record is kept)
            httpx.post(s.sim_url + "/control/mode", json={"down": True}, timeout=10)
            time.sleep(300 * self.scale)
            httpx.post(s.sim_url + "/control/mode", json={}, timeout=10)
        rec.held_s = time.monotonic() - held0
        healing0 = time.monotonic()
        try:
            if killed is not None:  # healed means all API processes again, not one left over
                workers = int(s.env["HOTLINE_WEB_WORKERS"])
                wait_for(lambda: killed not in s.api_children() and len(s.api_children()) >= workers,
                         180, "uvicorn to replace the killed API process")
            self.probe(timeout=180)
            rec.healed_s = time.monotonic() - healing0
        except TimeoutError as exc:
            rec.error = str(exc)
        self.records.append(rec)
        return rec

    def run(self, names: list[str], window: tuple[float, float]) -> threading.Thread:
        """Each fault at a random moment within ``window`` (seconds into the day), one at a time."""
        moments = sorted(self.rng.uniform(*window) for _ in names)
        order = list(names)
        self.rng.shuffle(order)

        def go() -> None:
            for at, name in zip(moments, order, strict=True):
                delay = at - (time.monotonic() - self.t0)
                if delay > 0:
                    time.sleep(delay)
                self.inject(name)

        thread = threading.Thread(target=go, name="faults", daemon=True)
        thread.start()
        return thread


# --- the day --------------------------------------------------------------------------------

def _locust(stack: Stack, out: Path, requests: int, minutes: float, users: int,
            seed: int) -> subprocess.Popen[bytes]:
    rate = requests / (minutes * 60) / users  # tasks per second per user (≈ one request each)
    env = {**os.environ, "CITYDAY_API": stack.api_url, "CITYDAY_SIM": stack.sim_url,
           "CITYDAY_LOG": str(out / "log.jsonl"), "CITYDAY_REQUESTS": str(requests),
           "CITYDAY_RATE_PER_USER": f"{rate:.4f}", "CITYDAY_SEED": str(seed)}
    cmd = [sys.executable, "-m", "locust", "-f", str(REPO / "bench" / "cityday_load.py"),
           "--headless", "-u", str(users), "-r", str(max(1, users // 5)),
           "--run-time", f"{int(minutes * 60 * 1.5) + 60}s", "--stop-timeout", "60",
           "--csv", str(out / "locust"), "--only-summary", "--loglevel", "WARNING"]
    return subprocess.Popen(cmd, env=env, cwd=REPO, stdout=open(out / "locust.out", "wb"),
                            stderr=subprocess.STDOUT)


def _drain(stack: Stack, engine: Any, log: list[dict[str, Any]], timeout: float) -> None:
    """Wait until the outbox is empty and 110 has every acknowledged hand-over."""
    handed = {r["number"] for r in log if r["t"] == "register" and r["kind"] == "handover"
              and r["status"] == 201}

    def quiet() -> bool:
        with engine.connect() as conn:
            pending = conn.execute(text("SELECT count(*) FROM outbox_messages "
                                        "WHERE state NOT IN ('delivered', 'dead')")).scalar_one()
        got = {a["correlation_id"] for a in httpx.get(stack.sim_url + "/alarms", timeout=30).json()}
        return pending == 0 and handed <= got

    wait_for(quiet, timeout, "the outbox to drain", every=2.0)


def _endpoints(out: Path) -> tuple[list[dict[str, Any]], int]:
    rows, total = [], 0
    with open(out / "locust_stats.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["Name"] == "Aggregated":
                total = int(r["Request Count"])
                continue
            rows.append({"name": r["Name"], "count": int(r["Request Count"]),
                         "p50": r["50%"], "p95": r["95%"], "p99": r["99%"]})
    return rows, total


def run_day(*, requests: int, minutes: float, users: int, faults: list[str] | None = None,
            fault_scale: float = 1.0, seed: int = 1, out: Path | None = None,
            drain_timeout: float = 1200.0) -> DayResult:
    from hotline.core.db import make_engine
    from hotline.core.settings import Settings

    faults = faults or []
    stack = start_stack()
    out = out or stack.root
    out.mkdir(parents=True, exist_ok=True)
    result = DayResult()
    engine = None
    load: subprocess.Popen[bytes] | None = None
    try:
        injector = Injector(stack, out / "log.jsonl", fault_scale, seed)
        t0 = time.monotonic()
        load = _locust(stack, out, requests, minutes, users, seed)
        fault_thread = injector.run(faults, (0.1 * minutes * 60, 0.6 * minutes * 60)) if faults else None
        load.wait()
        if fault_thread:
            fault_thread.join()
        result.seconds = time.monotonic() - t0
        result.faults = injector.records
        result.endpoints, result.requests = _endpoints(out)
        statuses_file = out / "log.jsonl.statuses.json"
        result.statuses = json.loads(statuses_file.read_text()) if statuses_file.exists() else {}
        log = checks.read_log(out / "log.jsonl")
        engine = make_engine(Settings(database_url=stack.db_url))
        try:
            _drain(stack, engine, log, drain_timeout)
        except TimeoutError as exc:
            result.problems["drain"] = [str(exc)]
        now = datetime.now(UTC)
        tickets, events = checks.load(engine)
        result.problems["acknowledged exactly once"] = checks.check_acknowledged(log, tickets, events)
        result.problems["status = fold of events"] = checks.check_status_fold(tickets, events)
        deadline_problems, next_due = checks.check_deadlines(tickets, events, now)
        result.problems["deadlines = sla"] = deadline_problems
        token = httpx.post(stack.api_url + "/api/v1/auth/token", timeout=30,
                           data={"username": "supervisor", "password": "demo"}).json()["access_token"]
        listed, before, after = checks.overdue_from_api(stack.api_url, token)
        result.problems["overdue list = recomputation"] = checks.check_overdue(
            listed, before, after, tickets, next_due)
        link_problems, figures = checks.check_110(stack.sim_url, log, engine)
        result.problems["110 hand-overs exactly once"] = link_problems
        fives = checks.count_5xx(result.statuses, only_500=bool(faults))
        # With faults, a request that meets the database down is answered 503 + Retry-After by
        # design (shedding); a 500 is never right. Without faults there is no 5xx at all.
        key = "no 500 (503 while a fault lasts)" if faults else "zero 5xx"
        result.problems[key] = [f"{n} × {'500' if faults else '5xx'} on {name}"
                                for name, n in fives.items()]
        result.figures["503"] = sum(int(per.get("503", 0)) for name, per in result.statuses.items()
                                    if "sim110" not in name)
        result.problems["healed"] = [f"{f.name}: {f.error}" for f in result.faults if f.error]
        kinds = [r["kind"] for r in log if r["t"] == "register" and r["status"] == 201]
        result.figures = {
            **figures, "tickets": len(tickets), "overdue": len(listed),
            "answered at intake": kinds.count("answered"), "dispatched": kinds.count("dispatched"),
            "unanswered commands": sum(1 for r in log if r["t"] in ("register", "command")
                                       and checks.unknown(r["status"])),
            "restarts": {n: p.restarts for n, p in stack.procs.items()},
        }
    finally:
        if load is not None and load.poll() is None:
            load.kill()
            load.wait(timeout=30)
        if engine is not None:
            engine.dispose()
        stack.close()
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=1500, help="the day's size (full day: 100000)")
    p.add_argument("--minutes", type=float, default=3.0, help="compressed into (full day: 30)")
    p.add_argument("--users", type=int, default=20, help="Locust users (desks) working at once")
    p.add_argument("--faults", default="", help=f"comma-separated, of {','.join(FAULTS)}; 'all'")
    p.add_argument("--fault-scale", type=float, default=1.0,
                   help="scales the held faults (Redis 60 s, 110 down 300 s)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, default=None, help="keep Locust's CSVs and the log here")
    args = p.parse_args()
    names = list(FAULTS) if args.faults == "all" else [f for f in args.faults.split(",") if f]
    unknown_faults = set(names) - set(FAULTS)
    if unknown_faults:
        p.error(f"unknown faults: {unknown_faults}")
    result = run_day(requests=args.requests, minutes=args.minutes, users=args.users, faults=names,
                     fault_scale=args.fault_scale, seed=args.seed, out=args.out)
    print(result.markdown())
    sys.exit(0 if result.ok else 1)


if __name__ == "__main__":
    main()
