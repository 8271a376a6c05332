"""Ticket numbers: unique, from 1 each local day, on both databases; on PostgreSQL drawn from a
sequence so registrations do not wait for each other (tickets/numbering.py), including when two
registrations open the same day at once and when the day's opener rolls back."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from hotline.core.db import unit_of_work
from hotline.core.migrate import downgrade, upgrade
from hotline.tickets.models import Status, Ticket
from hotline.tickets.numbering import next_number
from tests.hotline.bridge_support import wait_for

DAY1 = datetime(2026, 12, 3, 16, 30, tzinfo=UTC)  # 2026-12-04 00:30 in Shanghai
DAY2 = datetime(2026, 12, 4, 16, 30, tzinfo=UTC)


def _draw(engine: Engine, now: datetime) -> str:
    with unit_of_work(engine) as s:
        return next_number(s, now)


def test_numbers_count_from_one_each_local_day(engine: Engine, backend: str) -> None:
    assert [_draw(engine, DAY1) for _ in range(3)] == [
        "20261204-000001", "20261204-000002", "20261204-000003"]
    assert _draw(engine, DAY2) == "20261205-000001"
    late = _draw(engine, DAY1)  # a registration of the old day still in flight at midnight
    # SQLite counts each day on its own; on PostgreSQL one sequence serves every day, so a
    # registration of the old day after the new one began skips the numbers drawn in between.
    assert late == ("20261204-000004" if backend == "sqlite" else "20261204-000005")


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_a_second_registration_waits_for_the_days_opener_then_follows_it(engine: Engine) -> None:
    """Both see no day row; the second waits on the first's insert instead of opening the day
    a second time with another base (which could repeat a number)."""
    first = Session(engine)
    got: list[str] = []
    pids: list[int] = []

    def second_registration() -> None:
        with unit_of_work(engine) as s:
            pids.append(int(s.execute(text("SELECT pg_backend_pid()")).scalar_one()))
            got.append(next_number(s, DAY1))

    try:
        assert next_number(first, DAY1) == "20261204-000001"
        first_pid = first.execute(text("SELECT pg_backend_pid()")).scalar_one()
        second = threading.Thread(target=second_registration)
        second.start()
        wait_for(lambda: bool(pids) and first_pid in _blockers(engine, pids[0]),
                 what="the second registration to wait on the day's opener")
        assert not got, "the second drew a number while the day's opener was open"
        first.commit()
        second.join(30)
    finally:
        first.close()
    assert got == ["20261204-000002"]


def _blockers(engine: Engine, pid: int) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT unnest(pg_blocking_pids(:pid))"), {"pid": pid})
                    .scalars())


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_registrations_do_not_wait_for_each_other(engine: Engine) -> None:
    """The point of the sequence: once the day is open, a registration still in its transaction
    does not hold up the next one (the counter row it replaced did, until commit)."""
    assert _draw(engine, DAY1) == "20261204-000001"
    with Session(engine) as open_registration:
        assert next_number(open_registration, DAY1) == "20261204-000002"
        got: list[str] = []
        other = threading.Thread(target=lambda: got.append(_draw(engine, DAY1)), daemon=True)
        other.start()
        other.join(60)
        assert got == ["20261204-000003"], "the next registration waited for the open one"
        open_registration.commit()


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_a_refused_registration_leaves_a_gap_never_a_duplicate(engine: Engine) -> None:
    assert _draw(engine, DAY1) == "20261204-000001"
    with Session(engine) as refused:
        assert next_number(refused, DAY1) == "20261204-000002"
        refused.rollback()  # the registration failed after its number was drawn
    assert _draw(engine, DAY1) == "20261204-000003"
    # A day whose opener rolled back is opened again by the next registration.
    with Session(engine) as refused:
        next_number(refused, DAY2)
        refused.rollback()
    numbers = {_draw(engine, DAY2) for _ in range(3)}
    assert len(numbers) == 3 and all(n.startswith("20261205-") for n in numbers)


@pytest.mark.postgres
def test_the_upgrade_goes_on_from_the_counter_and_the_downgrade_back(scratch_pg: Engine) -> None:
    upgrade(scratch_pg, "0008_join")
    with scratch_pg.begin() as conn:
        conn.execute(text("INSERT INTO ticket_counters (day, last) VALUES ('20261204', 41)"))
    upgrade(scratch_pg)
    assert _draw(scratch_pg, DAY1) == "20261204-001042"  # 41 + 1 + the rollout margin
    assert _draw(scratch_pg, DAY2) == "20261205-000001"
    with Session(scratch_pg) as s:  # what registrations with those numbers would have left
        for number in ("20261204-001042", "20261205-000001"):
            s.add(Ticket(number=number, channel="phone", caller_phone="", content="x",
                         request_type="咨询", status=Status.registered,
                         created_at=DAY1, updated_at=DAY1, route=[]))
        s.commit()
    downgrade(scratch_pg, "0008_join")
    with scratch_pg.connect() as conn:
        counters = {day: last for day, last in conn.execute(text("SELECT day, last FROM ticket_counters"))}
    assert counters == {"20261204": 1042, "20261205": 1}
