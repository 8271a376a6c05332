"""`/metrics` in the Prometheus text format (prometheus-client).

Two sources. Request counts and latencies are this process's own (a middleware; with several
API processes, Prometheus sums the targets). Everything about the work — outbox depth and age
per peer, deliveries, dead letters, outages, the jobs' last runs, the SLA scan's fired counts,
open tickets by warning level — is read from the database at scrape time, so it is the same
whichever process (worker, cron, embedded timer) did the work, and survives restarts.
docs/OPERATIONS.md lists every metric and the alert rules built on them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import case
from sqlmodel import Session, col, func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hotline.core.db import get_engine
from hotline.core.times import utcnow
from hotline.linkage.models import OutboxMessage, OutboxState
from hotline.linkage.outages import open_outages
from hotline.linkage.peers import peers
from hotline.supervision.models import Escalation
from hotline.tickets.models import OPEN_STATES, Ticket
from hotline.workers.models import JobRun

log = logging.getLogger("hotline.metrics")
REGISTRY = CollectorRegistry()
REQUESTS = Counter("hotline_http_requests", "HTTP requests answered, by route template and status",
                   ["method", "route", "status"], registry=REGISTRY)
LATENCY = Histogram("hotline_http_request_duration_seconds", "HTTP request latency by route template",
                    ["method", "route"], registry=REGISTRY,
                    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))


class RequestMetrics:
    """Counts and times every HTTP request by its route template (never the raw path: ticket
    numbers would make a series per ticket)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        start = time.perf_counter()

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or ("/static" if scope["path"].startswith("/static/")
                                                        else "(unmatched)")
            if scope["path"].startswith("/api/v1/") and not template.startswith("/api/v1"):
                template = "/api/v1" + template  # the route as its router declared it
            REQUESTS.labels(scope["method"], template, str(status)).inc()
            LATENCY.labels(scope["method"], template).observe(time.perf_counter() - start)


class DatabaseCollector(Collector):
    """The work's figures, read from the database on each scrape."""

    def collect(self) -> Iterator[Metric]:
        try:
            yield from self._collect()
        except Exception:  # a scrape never breaks the endpoint; the gap shows in Prometheus
            log.exception("metrics from the database failed")

    def _collect(self) -> Iterator[Metric]:
        now = utcnow()
        with Session(get_engine()) as s:
            by_state = s.exec(select(OutboxMessage.peer, OutboxMessage.state, func.count(),
                                     func.min(OutboxMessage.created_at))
                              .group_by(OutboxMessage.peer, OutboxMessage.state)).all()
            down = {o.peer for o in open_outages(s)}
            runs = list(s.exec(select(JobRun)))
            fired = s.exec(select(Escalation.stage, func.count()).group_by(Escalation.stage)).all()
            open_ = col(Ticket.status).in_(sorted(OPEN_STATES))
            level = case((col(Ticket.next_due_at) < now, "overdue"),
                         (col(Ticket.next_at_risk_at) <= now, "at_risk"), else_="normal")
            levels = dict(s.exec(select(level, func.count()).where(open_).group_by(level)).all())

        depth = GaugeMetricFamily("hotline_outbox_depth", "messages waiting for a peer", labels=["peer"])
        age = GaugeMetricFamily("hotline_outbox_oldest_age_seconds",
                                "age of the oldest message waiting for a peer", labels=["peer"])
        delivered = CounterMetricFamily("hotline_outbox_delivered", "messages delivered to a peer",
                                        labels=["peer"])
        dead = CounterMetricFamily("hotline_outbox_dead", "dead letters: messages given up on",
                                   labels=["peer"])
        counts: dict[tuple[str, str], tuple[int, Any]] = {
            (peer, str(state)): (n, oldest) for peer, state, n, oldest in by_state}
        for peer in sorted({p for p, _ in counts} | set(peers())):
            n, oldest = counts.get((peer, OutboxState.pending), (0, None))
            depth.add_metric([peer], n)
            age.add_metric([peer], (now - oldest).total_seconds() if oldest else 0.0)
            delivered.add_metric([peer], counts.get((peer, OutboxState.delivered), (0, None))[0])
            dead.add_metric([peer], counts.get((peer, OutboxState.dead), (0, None))[0])
        yield from (depth, age, delivered, dead)

        outage = GaugeMetricFamily("hotline_peer_outage", "1 while deliveries to the peer fail (联动中断)",
                                   labels=["peer"])
        for peer in sorted(set(peers()) | down):
            outage.add_metric([peer], 1 if peer in down else 0)
        yield outage
        yield GaugeMetricFamily("hotline_peers_configured", "peer platforms configured",
                                value=len(peers()))

        seconds = GaugeMetricFamily("hotline_job_last_duration_seconds", "duration of the job's last run",
                                    labels=["job"])
        success = GaugeMetricFamily("hotline_job_last_success_timestamp_seconds",
                                    "when the job last succeeded (Unix time)", labels=["job"])
        total = CounterMetricFamily("hotline_job_runs", "runs of the job", labels=["job"])
        failures = CounterMetricFamily("hotline_job_failures", "failed runs of the job", labels=["job"])
        scan_fired = GaugeMetricFamily("hotline_scan_last_fired", "what the last SLA scan fired, by stage",
                                       labels=["stage"])
        for run in runs:
            seconds.add_metric([run.name], run.last_seconds)
            if run.last_ok_at:
                success.add_metric([run.name], run.last_ok_at.timestamp())
            total.add_metric([run.name], run.runs)
            failures.add_metric([run.name], run.failures)
            if run.name == "sla_scan":
                for stage, n in (run.last_outcome.get("fired") or {}).items():
                    scan_fired.add_metric([stage], n)
        yield from (seconds, success, total, failures, scan_fired)

        fired_total = CounterMetricFamily("hotline_scan_fired", "催办/督办/升级 fired by the SLA scan",
                                          labels=["stage"])
        for stage, n in fired:
            fired_total.add_metric([str(stage)], n)
        yield fired_total
        tickets = GaugeMetricFamily("hotline_open_tickets", "open tickets by warning level",
                                    labels=["level"])
        for name in ("normal", "at_risk", "overdue"):
            tickets.add_metric([name], levels.get(name, 0))
        yield tickets


REGISTRY.register(DatabaseCollector())


def exposition() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
