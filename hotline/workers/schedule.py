"""The periodic jobs, registered with RQ's cron scheduler (`hotline cron` runs exactly one)."""

from __future__ import annotations

from redis import Redis
from rq.cron import CronScheduler

from hotline.workers import jobs
from hotline.workers.queue import QUEUE

#: (job, interval in seconds). Issue-by-issue the SLA scan and outbox relay join this list.
PERIODIC = [
    (jobs.refresh_open_clocks, 3600),
]


def build_scheduler(connection: Redis) -> CronScheduler:
    scheduler = CronScheduler(connection=connection, name="hotline-cron")
    for func, interval in PERIODIC:
        scheduler.register(func, queue_name=QUEUE, interval=interval, job_timeout=600)
    return scheduler
