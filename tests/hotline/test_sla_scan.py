"""The SLA scan: fires on the right working day across the 2026 National Day week, never twice.

Expected dates are written out by hand from the State Council's 2026 notice (Oct 1–7 off,
Sat Oct 10 a make-up working day), not computed with the code under test.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
import time_machine
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from hotline.notifications.models import Notification
from hotline.supervision.models import Escalation
from hotline.tickets.models import SupervisionOrder, Ticket, TicketEvent
from hotline.workers.jobs import sla_scan
from hotline.workers.queue import QUEUE
from sla import SHANGHAI
from tests.conftest import REPO
from tests.hotline.conftest import Api, City


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def ledger(engine: Engine, number: str) -> list[tuple[str, str | None]]:
    with Session(engine) as s:
        t = s.exec(select(Ticket).where(Ticket.number == number)).one()
        rows = s.exec(select(Escalation).where(Escalation.ticket_id == t.id)
                      .order_by(col(Escalation.id))).all()
        return [(r.stage, r.clock) for r in rows]


def counts(engine: Engine) -> tuple[int, int, int, int]:
    with Session(engine) as s:
        return (
            s.exec(select(func.count()).select_from(Escalation)).one(),
            s.exec(select(func.count()).select_from(Notification)).one(),
            s.exec(select(func.count()).select_from(SupervisionOrder)).one(),
            s.exec(select(func.count()).select_from(TicketEvent)
                   .where(col(TicketEvent.action).startswith("auto_"))).one(),
        )


def dispatched_before_national_day(api: Api, city: City) -> str:
    with time_machine.travel(at("2026-09-30 10:00"), tick=False):
        number = api.create(request_type="投诉")["number"]
        api.act("agent", number, "dispatch", lead_unit_id=city.unit("DC-DH"))
    return number


def test_fires_on_the_right_working_day(api: Api, city: City, engine: Engine) -> None:
    number = dispatched_before_national_day(api, city)
    # Transfer clock: 1 working day after Wed 09-30 is Thu 10-08 (Oct 1–7 are holidays).
    sla_scan(now=at("2026-09-30 12:00"))
    assert ledger(engine, number) == []  # the dispatch day itself: still green
    sla_scan(now=at("2026-10-02 09:00"))  # holiday; the last working day before the due
    assert ledger(engine, number) == [("reminder", "transfer")]
    for day in ("2026-10-05 09:00", "2026-10-07 18:00", "2026-10-08 23:58"):
        sla_scan(now=at(day))
        assert ledger(engine, number) == [("reminder", "transfer")], day  # not overdue yet
    sla_scan(now=at("2026-10-09 00:01"))
    assert ledger(engine, number) == [("reminder", "transfer"), ("supervision", "transfer")]
    # Escalation 2 working days after the due: Fri 10-09 and the make-up Saturday 10-10.
    sla_scan(now=at("2026-10-10 23:58"))
    assert [s for s, _ in ledger(engine, number)] == ["reminder", "supervision"]
    sla_scan(now=at("2026-10-11 00:01"))
    assert [s for s, _ in ledger(engine, number)] == ["reminder", "supervision", "escalation"]

    with Session(engine) as s:
        t = s.exec(select(Ticket).where(Ticket.number == number)).one()
        orders = s.exec(select(SupervisionOrder).where(SupervisionOrder.ticket_id == t.id)
                        .order_by(col(SupervisionOrder.id))).all()
        assert [o.level for o in orders] == [1, 2]
        notes = s.exec(select(Notification).where(Notification.ticket_id == t.id)).all()
        to = {(n.kind, n.unit_id, n.role) for n in notes}
        street, district, hotline = city.unit("DC-DH"), city.unit("DC"), city.unit("HL")
        assert to == {
            ("reminder", street, ""),
            ("supervision", street, ""),  # the whole unit, managers included: once each
            ("supervision", hotline, "supervisor"),
            ("escalation", street, "unit_manager"), ("escalation", district, "unit_manager"),
            ("escalation", hotline, "supervisor"),
        }
        history = [e.action for e in s.exec(select(TicketEvent).where(TicketEvent.ticket_id == t.id)
                                               .order_by(col(TicketEvent.seq)))]
        assert history == ["register", "dispatch", "auto_reminder", "auto_supervision",
                           "auto_escalation"]


def test_scan_twice_sends_nothing_twice(api: Api, city: City, engine: Engine) -> None:
    dispatched_before_national_day(api, city)
    first = sla_scan(now=at("2026-10-09 09:00"))
    assert first["fired"] == {"supervision": 1}  # straight to red: no stale yellow reminder
    before = counts(engine)
    for full in (False, True, True):
        again = sla_scan(now=at("2026-10-09 09:00"), full=full)
        assert again["fired"] == {} and again["notifications"] == 0
    assert counts(engine) == before


def test_new_deadline_is_a_new_cycle(api: Api, city: City, engine: Engine) -> None:
    with time_machine.travel(at("2026-11-02 09:00"), tick=False) as t:
        number = api.create(request_type="投诉")["number"]
        api.act("agent", number, "dispatch", lead_unit_id=city.unit("DC-DH"), due_working_days=2)
        api.act("donghua", number, "sign")
        sla_scan(now=at("2026-11-03 09:00"))
        assert ledger(engine, number) == []  # due Wed 11-04: yellow only from Tue's end
        sla_scan(now=at("2026-11-04 09:00"))
        assert ledger(engine, number) == [("reminder", "close")]
        t.move_to(at("2026-11-04 10:00"))
        api.act("donghua", number, "request_extension", reason="需现场复核", add_working_days=3)
        api.act("donghua_mgr", number, "approve_extension", expect=403)  # own unit cannot approve
        api.act("dongcheng_mgr", number, "approve_extension")  # the upper level (CQ §13(三))
    # New due: 3 working days after Wed 11-04 is Mon 11-09; green again until Fri's end.
    sla_scan(now=at("2026-11-06 09:00"))
    assert ledger(engine, number) == [("reminder", "close")]
    sla_scan(now=at("2026-11-07 09:00"))
    assert ledger(engine, number) == [("reminder", "close"), ("reminder", "close")]


def test_third_rework_escalates(api: Api, city: City, engine: Engine) -> None:
    number = api.create(request_type="投诉")["number"]
    api.act("agent", number, "dispatch", lead_unit_id=city.unit("ZJW"))
    api.act("zjw", number, "sign")
    for _ in range(3):
        api.act("zjw", number, "reply", content="已处理")
        api.act("agent", number, "visit", rating="dissatisfied")
        api.act("supervisor", number, "rework", reason="仍未解决")
    result = sla_scan()
    assert result["fired"] == {"rework": 1}
    assert sla_scan()["fired"] == {}


@pytest.mark.redis
def test_rq_worker_runs_scan_twice_once(api: Api, city: City, engine: Engine, redis_url: str) -> None:
    dispatched_before_national_day(api, city)
    conn = Redis.from_url(redis_url)
    q = Queue(QUEUE, connection=conn)
    for _ in range(2):
        q.enqueue(sla_scan, kwargs={"now": at("2026-10-02 09:00")})
    SimpleWorker([q], connection=conn).work(burst=True)
    assert len(q.finished_job_registry) == 2
    assert counts(engine) == (1, 1, 0, 1)  # one reminder, one notification, one history event


@pytest.mark.redis
@pytest.mark.slow
def test_worker_killed_mid_scan_loses_and_doubles_nothing(api: Api, city: City, engine: Engine,
                                                          redis_url: str, tmp_path: Path) -> None:
    with time_machine.travel(at("2026-09-30 10:00"), tick=False):
        numbers = [api.create(request_type="投诉")["number"] for _ in range(5)]
        for n in numbers:
            api.act("agent", n, "dispatch", lead_unit_id=city.unit("DC-DH"))
    conn = Redis.from_url(redis_url)
    q = Queue(QUEUE, connection=conn)
    job = q.enqueue(sla_scan, kwargs={"now": at("2026-10-09 09:00")}, job_timeout=120)
    env = {**os.environ, "HOTLINE_REDIS_URL": redis_url, "HOTLINE_FAULT_SCAN_PAUSE": "60",
           "HOTLINE_DATABASE_URL": str(engine.url.render_as_string(hide_password=False))}
    worker = subprocess.Popen([str(Path(sys.executable).with_name("hotline")), "worker", "--burst"],
                              env=env, cwd=REPO, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while job.get_status(refresh=True) != "started" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert job.get_status() == "started"
        time.sleep(3)  # inside the transaction, after the ledger insert, before the commit
    finally:
        # Kill the work horse (RQ forks it into a session of its own) and the worker, mid-scan.
        horses = subprocess.run(["pgrep", "-P", str(worker.pid)], capture_output=True, text=True)
        for pid in horses.stdout.split():
            os.kill(int(pid), signal.SIGKILL)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    assert horses.stdout.split(), "no work horse was running the scan"
    assert counts(engine) == (0, 0, 0, 0)  # nothing committed by the killed scan
    SimpleWorker([q], connection=conn).work(burst=True)  # the next scan (stale job ignored)
    q.enqueue(sla_scan, kwargs={"now": at("2026-10-09 09:01")})
    SimpleWorker([q], connection=conn).work(burst=True)
    escalations, notifications, orders, events = counts(engine)
    assert escalations == 5 and orders == 5 and events == 5
    assert notifications == 5 * 2  # the unit (its managers among them, once), the supervisors
    with Session(engine) as s:
        dupes = s.exec(select(Escalation.ticket_id, Escalation.stage, func.count())
                       .group_by(Escalation.ticket_id, Escalation.stage)
                       .having(func.count() > 1)).all()
        assert dupes == []
