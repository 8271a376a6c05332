"""The Redis connection and queue the jobs go through (RQ 2.x)."""

from __future__ import annotations

from redis import Redis
from rq import Queue

from hotline.core.settings import get_settings

QUEUE = "hotline"


class NoRedisError(RuntimeError):
    """The embedded mode has no Redis: jobs run in-process instead."""


def redis_connection(url: str | None = None) -> Redis:
    url = url or get_settings().redis_url
    if not url:
        raise NoRedisError(
            "未配置 HOTLINE_REDIS_URL：嵌入模式下后台任务在服务进程内运行，无需 worker/cron"
        )
    return Redis.from_url(url)


def queue(connection: Redis | None = None) -> Queue:
    return Queue(QUEUE, connection=connection or redis_connection())
