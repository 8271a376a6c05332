"""`hotline worker` runs each job in a forked child (RQ's Worker). A child must not use the
pooled connections it inherited from the parent: the full city day found every relay and scan
job after the first failing with "prepared statement _pg3_0 already exists", because children
shared the parent's PostgreSQL session while each had its own idea of what it had prepared."""

from __future__ import annotations

import pytest
from redis import Redis
from rq import Worker
from sqlalchemy import text
from sqlalchemy.engine import Engine

from hotline.core.db import get_engine, unit_of_work
from hotline.workers.queue import queue


def repeat_a_statement() -> int:
    """A job, run in the worker's child: the same statement often enough for psycopg to prepare
    it on the server (its threshold is 5 executions), the way the relay's batch updates do."""
    with unit_of_work() as session:
        for _ in range(8):
            session.execute(text("SELECT count(*) FROM tickets WHERE id > :n"), {"n": 0})
        return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_forked_jobs_use_connections_of_their_own(engine: Engine, redis_url: str) -> None:
    with engine.connect() as conn:  # the parent holds a pooled connection, as after preflight
        parent_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    assert get_engine() is engine
    redis = Redis.from_url(redis_url)
    q = queue(redis)
    jobs = [q.enqueue(repeat_a_statement) for _ in range(3)]
    Worker([q], connection=redis).work(burst=True)
    failed = [(job.id, (job.latest_result().exc_string if job.latest_result() else None))
              for job in jobs if not job.is_finished]
    assert not failed, failed
    children = {job.return_value() for job in jobs}
    assert parent_pid not in children
