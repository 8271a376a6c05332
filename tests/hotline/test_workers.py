"""Jobs on the real Redis with RQ's SimpleWorker: loading next year's holidays makes deadlines exact."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import time_machine
from redis import Redis
from rq import SimpleWorker
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hotline.core import settings
from hotline.core import sla_setup as sla_config
from hotline.tickets.models import Ticket
from hotline.workers.jobs import refresh_open_clocks
from hotline.workers.queue import NoRedisError, queue, redis_connection
from hotline.workers.schedule import build_scheduler, periodic
from sla import SHANGHAI
from tests.hotline.conftest import Api, City

TABLE_2027 = """date,kind,name
2027-01-01,holiday,元旦
2027-01-02,holiday,元旦
2027-01-03,holiday,元旦
2027-01-04,workday,元旦调休
"""


@pytest.mark.redis
def test_refresh_after_loading_2027_table(api: Api, city: City, engine: Engine, redis_url: str,
                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with time_machine.travel(datetime(2026, 12, 24, 10, 0, tzinfo=SHANGHAI), tick=False):
        number = api.create()["number"]
        d = api.act("agent", number, "dispatch", lead_unit_id=city.unit("DC-DH"))
    assert d["sla_provisional"] is True
    provisional_due = d["close_due_at"]
    close = next(c for c in d["clocks"] if c["name"] == "close")
    assert any("2027" in w for w in close["warnings"])

    table = tmp_path / "holidays.csv"
    table.write_text(TABLE_2027, encoding="utf-8")
    monkeypatch.setenv("HOTLINE_HOLIDAY_TABLE", str(table))
    settings.get_settings.cache_clear()
    sla_config.reload()

    conn = Redis.from_url(redis_url)
    q = queue(conn)
    for _ in range(2):  # enqueued twice: the second run finds nothing left to change
        q.enqueue(refresh_open_clocks, kwargs={"now": datetime(2026, 12, 24, 12, tzinfo=SHANGHAI)})
    SimpleWorker([q], connection=conn).work(burst=True)
    finished = [q.fetch_job(i) for i in q.finished_job_registry.get_job_ids()]
    assert sorted(job.return_value() for job in finished if job) == [0, 1]
    with Session(engine) as s:
        ticket = s.exec(select(Ticket).where(Ticket.number == number)).one()
        assert ticket.sla_provisional is False
        assert ticket.close_due_at is not None
        # Jan 1–3 are holidays now and Jan 4 (Mon) stays a working day, so the due moves later.
        assert ticket.close_due_at.isoformat() > provisional_due.replace("Z", "+00:00")


def test_embedded_mode_has_no_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOTLINE_REDIS_URL", raising=False)
    settings.get_settings.cache_clear()
    with pytest.raises(NoRedisError, match="HOTLINE_REDIS_URL"):
        redis_connection()


@pytest.mark.redis
def test_cron_registers_every_periodic_job(redis_url: str) -> None:
    scheduler = build_scheduler(Redis.from_url(redis_url))
    jobs = scheduler.get_jobs()
    assert len(jobs) == len(periodic())
    assert {job.func.__name__ for job in jobs} == {func.__name__ for func, _, _ in periodic()}
    assert {"sla_scan", "deliver_notifications", "refresh_open_clocks"} <= {j.func.__name__ for j in jobs}
