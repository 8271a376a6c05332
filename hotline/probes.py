"""Liveness (`/healthz`) and readiness (`/readyz`) in the usual health-check shape
(``application/health+json``: ``status`` pass / warn / fail and ``checks`` by component).

Readiness fails (503) only when this process cannot serve at all — the database is down. What an
operator must act on while the hotline keeps registering calls is a ``warn`` with a Chinese
``output``: Redis configured but unreachable (jobs fall back to nothing until it returns), no
peer platform configured (emergencies go by phone only), a peer unreachable or in an outage
(联动中断), an outbox backlog, an SLA scan that has not run, years without a holiday table.
"""

from __future__ import annotations

import socket
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import text
from sqlmodel import Session, col, func, select

from hotline import __version__
from hotline.core.db import get_engine
from hotline.core.settings import get_settings
from hotline.core.sla_setup import calendar_health
from hotline.core.times import utcnow
from hotline.linkage.models import OutboxMessage, OutboxState
from hotline.linkage.outages import open_outages
from hotline.linkage.peers import peers
from hotline.workers.models import JobRun
from hotline.workers.queue import redis_connection

#: The oldest message waiting for a peer longer than this is a backlog (warn).
BACKLOG_AGE = timedelta(minutes=5)
Check = dict[str, Any]


def liveness() -> dict[str, Any]:
    """The process answers and reaches its database (no session: its own connection)."""
    with get_engine().connect() as conn:
        conn.execute(text("SELECT 1"))
    settings = get_settings()
    return {"status": "ok", "database": get_engine().dialect.name, "version": __version__,
            "demo_mode": settings.demo_mode, "calendar": calendar_health()}


def _reachable(url: str, timeout: float = 1.0) -> str | None:
    """None when a TCP connection to the peer opens; else why not."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=timeout):
            return None
    except OSError as exc:
        return exc.strerror or type(exc).__name__


def readiness(now: datetime | None = None, *, probe_peers: bool = True) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) of the readiness probe."""
    now = now or utcnow()
    settings = get_settings()
    checks: dict[str, list[Check]] = {}
    try:
        with Session(get_engine()) as session:
            session.exec(select(1)).one()
            checks["database"] = [{"status": "pass", "componentType": "datastore",
                                   "observedValue": get_engine().dialect.name}]
            down = {o.peer: o for o in open_outages(session)}
            backlog = session.exec(
                select(OutboxMessage.peer, func.count(), func.min(OutboxMessage.created_at))
                .where(OutboxMessage.state == OutboxState.pending)
                .group_by(OutboxMessage.peer)).all()
            dead = dict(session.exec(select(OutboxMessage.peer, func.count())
                                     .where(OutboxMessage.state == OutboxState.dead)
                                     .group_by(OutboxMessage.peer)).all())
            runs = {r.name: r for r in session.exec(select(JobRun).where(
                col(JobRun.name).in_(["sla_scan", "sla_scan_full"])))}
    except Exception as exc:
        checks["database"] = [{"status": "fail", "componentType": "datastore",
                               "output": f"数据库不可用：{type(exc).__name__}"}]
        return 503, _body("fail", checks)

    if settings.redis_url:
        try:
            redis_connection().ping()
            checks["redis"] = [{"status": "pass", "componentType": "datastore"}]
        except Exception as exc:
            checks["redis"] = [{
                "status": "warn", "componentType": "datastore",
                "output": f"Redis 不可达（{type(exc).__name__}）：后台任务暂停，提交不受影响"}]

    configured = peers()
    if not configured:
        checks["peers"] = [{"status": "warn", "output": "未配置任何对接平台（HOTLINE_PEERS_FILE）："
                            "紧急事项只能电话移交，系统会提醒值班长"}]
    else:
        checks["peers"] = []
        for code, cfg in sorted(configured.items()):
            entry: Check = {"componentId": code, "componentType": "system", "status": "pass"}
            if code in down:
                o = down[code]
                entry.update(status="warn", time=o.opened_at.isoformat(),
                             output=f"联动中断（{o.failures} 次失败）：{o.last_error or ''}")
            elif probe_peers and (why := _reachable(cfg.url)) is not None:
                entry.update(status="warn", output=f"无法连接 {cfg.url}：{why}")
            checks["peers"].append(entry)

    outbox: list[Check] = []
    for peer, depth, oldest in backlog:
        age = (now - oldest).total_seconds() if oldest else 0.0
        outbox.append({"componentId": peer, "observedValue": depth, "observedUnit": "messages",
                       "oldestAgeSeconds": round(age, 1), "dead": dead.get(peer, 0),
                       "status": "warn" if age > BACKLOG_AGE.total_seconds() else "pass"})
    for peer, n in dead.items():
        if peer not in {o["componentId"] for o in outbox}:
            outbox.append({"componentId": peer, "observedValue": 0, "observedUnit": "messages",
                           "dead": n, "status": "pass"})
    checks["outbox"] = outbox or [{"status": "pass", "observedValue": 0, "observedUnit": "messages"}]

    scan = runs.get("sla_scan")
    limit = timedelta(seconds=max(5 * settings.scan_interval_seconds, 300))
    if scan is None or scan.last_ok_at is None:
        checks["sla_scan"] = [{"status": "warn",
                               "output": "时限扫描尚未运行（worker/cron 或嵌入定时器是否在运行？）"}]
    else:
        age = (now - scan.last_ok_at).total_seconds()
        entry = {"status": "pass" if age <= limit.total_seconds() else "warn",
                 "time": scan.last_ok_at.isoformat(), "observedValue": round(age, 1),
                 "observedUnit": "s", "durationSeconds": round(scan.last_seconds, 3),
                 "fired": scan.last_outcome.get("fired", {})}
        if entry["status"] == "warn":
            entry["output"] = f"时限扫描已 {int(age)} 秒未成功运行"
        checks["sla_scan"] = [entry]

    cal = calendar_health()
    checks["calendar"] = [{"status": "warn" if cal["provisional_years"] else "pass",
                           "observedValue": cal["provisional_years"],
                           **({"output": cal["warning"]} if cal["warning"] else {})}]
    worst = "warn" if any(c["status"] != "pass" for cs in checks.values() for c in cs) else "pass"
    return 200, _body(worst, checks)


def _body(status: str, checks: dict[str, list[Check]]) -> dict[str, Any]:
    return {"status": status, "version": __version__, "serviceId": "hotline", "checks": checks}
