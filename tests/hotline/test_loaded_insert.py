"""``core.loaded_insert``: one Core INSERT, answered as the persistent object a query would load —
complete, unchanged, in the identity map, and updated later like any loaded object."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import event, func, inspect, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from hotline.core.loaded_insert import insert_loaded
from hotline.core.times import utcnow
from hotline.tickets.models import Status, Ticket, Urgency

COLUMNS = [c.key for c in Ticket.__table__.columns]  # type: ignore[attr-defined]


def values(number: str, **extra: Any) -> dict[str, Any]:
    now = utcnow()
    return {"number": number, "channel": "phone", "caller_phone": "13812345678",
            "request_type": "投诉", "content": "路灯不亮", "status": Status.registered,
            "created_at": now, "updated_at": now, **extra}


def count(engine: Engine) -> int:
    with Session(engine) as s:
        return int(s.execute(select(func.count()).select_from(Ticket)).scalar_one())


def test_the_answer_is_the_row_as_loaded(engine: Engine) -> None:
    with Session(engine) as s:
        ticket = insert_loaded(s, Ticket, values("20261206-000001", address="东华路"))
        state = inspect(ticket)
        assert state.persistent and not state.expired_attributes and not state.unloaded
        assert not s.new and not s.dirty and not s.is_modified(ticket)
        statements: list[str] = []
        event.listen(engine, "before_cursor_execute",
                     lambda *a: statements.append(a[2]))  # conn, cursor, statement, ...
        assert s.get(Ticket, ticket.id) is ticket  # the identity map, no SELECT
        assert (ticket.route, ticket.urgency, ticket.version, ticket.rework_count,
                ticket.sla_provisional, ticket.lookup_code) == ([], Urgency.normal, 1, 0, False,
                                                                None)
        assert statements == []
        s.commit()
        mine = {k: getattr(ticket, k) for k in COLUMNS}
    with Session(engine) as s:
        row = s.get(Ticket, mine["id"])
        assert row is not None and {k: getattr(row, k) for k in COLUMNS} == mine


def test_values_are_held_as_a_load_gives_them(engine: Engine) -> None:
    """A plain string for an enum column is held as its member, a time in +08:00 as UTC: what
    the code after the insert sees is what it would see after a query."""
    beijing = datetime(2026, 12, 6, 16, 0, tzinfo=timezone(timedelta(hours=8)))
    with Session(engine) as s:
        ticket = insert_loaded(s, Ticket, {**values("20261206-000001"), "status": "registered",
                                           "urgency": "urgent", "created_at": beijing})
        assert type(ticket.status) is Status and type(ticket.urgency) is Urgency
        assert ticket.created_at == beijing and ticket.created_at.tzinfo is UTC
        s.commit()


def test_defaults_from_factories_are_made_per_row(engine: Engine) -> None:
    with Session(engine) as s:
        a = insert_loaded(s, Ticket, values("20261206-000001"))
        b = insert_loaded(s, Ticket, values("20261206-000002"))
        assert a.route == [] and a.route is not b.route
        s.commit()


def test_a_change_is_an_update_with_the_version_check(engine: Engine) -> None:
    with Session(engine) as s:
        ticket = insert_loaded(s, Ticket, values("20261206-000001"))
        ticket.status, ticket.version = Status.dispatched, 2
        s.flush()
        assert s.execute(select(Ticket.status, Ticket.version).where(
            Ticket.id == ticket.id)).one() == (Status.dispatched, 2)
        s.commit()
    with Session(engine) as s:
        stale = insert_loaded(s, Ticket, values("20261206-000002"))
        # Another command moved it on after this one "loaded" it (one connection: SQLite
        # serialises writers, so the race is played inside the transaction).
        s.execute(update(Ticket).where(Ticket.id == stale.id).values(version=2)
                  .execution_options(synchronize_session=False))
        stale.status, stale.version = Status.dispatched, 2
        with pytest.raises(StaleDataError):
            s.flush()


def test_pending_orm_rows_are_written_first(engine: Engine) -> None:
    with Session(engine) as s:
        earlier = Ticket(**values("20261206-000001"), route=[])
        s.add(earlier)
        with s.no_autoflush:  # the order holds without the session's autoflush too
            later = insert_loaded(s, Ticket, values("20261206-000002"))
        assert earlier.id is not None and earlier.id < later.id
        s.commit()


@pytest.mark.parametrize("bad, error", [
    ({"number": None}, TypeError),  # a required field left out (None: removed below)
    ({"colour": "red"}, TypeError),  # no such column
    ({"status": "bogus"}, ValueError),  # EnumText refuses a stranger, before any SQL
    ({"created_at": datetime(2026, 12, 6, 8, 0)}, ValueError),  # a naive time
])
def test_bad_values_write_nothing(engine: Engine, bad: dict[str, Any],
                                  error: type[Exception]) -> None:
    given = {**values("20261206-000001"), **bad}
    given = {k: v for k, v in given.items() if v is not None}
    with Session(engine) as s, pytest.raises(error):
        insert_loaded(s, Ticket, given)
    assert count(engine) == 0


def test_a_rolled_back_row_leaves_the_session(engine: Engine) -> None:
    """As a flushed new object does: after the rollback it is transient, and the next row, which
    SQLite gives the same id, is answered and read as itself."""
    with Session(engine) as s:
        gone = insert_loaded(s, Ticket, values("20261206-000001"))
        gone_id = gone.id
        s.rollback()
        assert inspect(gone).transient
        ticket = insert_loaded(s, Ticket, values("20261206-000002"))
        if engine.dialect.name == "sqlite":
            assert ticket.id == gone_id  # the case that matters: the id came back
        assert s.get(Ticket, ticket.id) is ticket and ticket.number == "20261206-000002"
        s.commit()
    assert count(engine) == 1


def test_a_row_written_in_a_savepoint_that_rolls_back_leaves_the_session(engine: Engine) -> None:
    with Session(engine) as s:
        kept = insert_loaded(s, Ticket, values("20261206-000001"))
        with pytest.raises(RuntimeError), s.begin_nested():
            gone = insert_loaded(s, Ticket, values("20261206-000002"))
            gone_id = gone.id
            raise RuntimeError("the command failed")
        assert inspect(gone).transient and s.get(Ticket, gone_id) is None
        assert inspect(kept).persistent and s.get(Ticket, kept.id) is kept
        with s.begin_nested():  # a released savepoint keeps its row
            also = insert_loaded(s, Ticket, values("20261206-000003"))
        s.commit()
        assert inspect(also).persistent
    with Session(engine) as s:
        assert sorted(s.execute(select(Ticket.number)).scalars()) == [
            "20261206-000001", "20261206-000003"]
