"""The periodic jobs, registered with RQ's cron scheduler (`hotline cron` runs exactly one)."""

from __future__ import annotations

from collections.abc import Callable

from redis import Redis
from rq.cron import CronScheduler

from hotline.workers import jobs
from hotline.workers.queue import QUEUE

#: (job, kwargs, interval in seconds).
PERIODIC: list[tuple[Callable[..., object], dict[str, object], int]] = [
    (jobs.sla_scan, {"full": False}, 60),  # incremental: only tickets whose threshold passed
    (jobs.sla_scan, {"full": True}, 3600),  # the correctness sweep over every open ticket
    (jobs.deliver_notifications, {}, 60),
    (jobs.refresh_open_clocks, {}, 3600),
    (jobs.watch_anomalies, {}, 600),
    (jobs.relay_outbox, {}, 10),  # also kicked right after each commit that wrote the outbox
    (jobs.reconcile_linkage, {}, 300),
]


def build_scheduler(connection: Redis) -> CronScheduler:
    scheduler = CronScheduler(connection=connection, name="hotline-cron")
    for func, kwargs, interval in PERIODIC:
        name = func.__name__ + ("_full" if kwargs.get("full") else "")
        scheduler.register(func, queue_name=QUEUE, kwargs=kwargs, interval=interval,
                           job_timeout=600, name=name)
    return scheduler
