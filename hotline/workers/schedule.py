"""The periodic jobs, registered with RQ's cron scheduler (`hotline cron` runs exactly one) and
run by the embedded timer when there is no Redis. Intervals come from settings."""

from __future__ import annotations

from collections.abc import Callable

from redis import Redis
from rq.cron import CronScheduler

from hotline.core.settings import Settings, get_settings
from hotline.workers import jobs
from hotline.workers.queue import QUEUE

Periodic = tuple[Callable[..., object], dict[str, object], int]


def periodic(settings: Settings | None = None) -> list[Periodic]:
    """(job, kwargs, interval in seconds) of every periodic job; an interval of 0 is off."""
    s = settings or get_settings()
    return [
        (jobs.sla_scan, {"full": False}, s.scan_interval_seconds),  # only tickets whose threshold passed
        (jobs.sla_scan, {"full": True}, 3600),  # the correctness sweep over every open ticket
        (jobs.deliver_notifications, {}, 60),
        (jobs.refresh_open_clocks, {}, 3600),
        (jobs.watch_anomalies, {}, 600),
        (jobs.relay_outbox, {}, s.relay_interval_seconds),  # also kicked after each outbox commit
        (jobs.reconcile_linkage, {}, 60),  # also the probe of a peer that is down
        (jobs.send_caller_messages, {}, s.sms_interval_seconds),  # also kicked after each queueing
        (jobs.kb_upkeep, {}, 3600),  # expire and flag stale knowledge entries (CQ §18)
        (jobs.refresh_reports, {}, s.report_refresh_seconds),  # the board's monthly evaluation
        (jobs.refresh_hotspots, {}, s.hotspots_refresh_seconds),  # the board's hotspots (CQ §20)
    ]


def build_scheduler(connection: Redis) -> CronScheduler:
    scheduler = CronScheduler(connection=connection, name="hotline-cron")
    for func, kwargs, interval in periodic():
        if not interval:
            continue
        name = func.__name__ + ("_full" if kwargs.get("full") else "")
        scheduler.register(func, queue_name=QUEUE, kwargs=kwargs, interval=interval,
                           job_timeout=600, name=name)
    return scheduler
