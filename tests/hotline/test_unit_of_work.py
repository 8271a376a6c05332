"""The unit of work's on-commit hooks: after the outermost commit only, never for work that
rolled back (savepoints included), once per key, and a failing hook never undoes the commit."""

from __future__ import annotations

import logging
import shutil
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from hotline.core.db import make_engine, on_commit, unit_of_work
from hotline.core.settings import Settings


def test_hooks_run_after_the_outermost_commit_only(engine: Engine) -> None:
    ran: list[str] = []
    with unit_of_work(engine) as session:
        session.execute(text("SELECT 1"))
        on_commit(session, lambda: ran.append("outer"))
        with session.begin_nested():
            on_commit(session, lambda: ran.append("released savepoint"))
        assert ran == []  # a released savepoint is not a commit
        with pytest.raises(RuntimeError), session.begin_nested():
            on_commit(session, lambda: ran.append("rolled-back savepoint"))
            raise RuntimeError
        assert ran == []
    assert ran == ["outer", "released savepoint"]


def test_a_rolled_back_unit_runs_nothing(engine: Engine) -> None:
    ran: list[str] = []
    with pytest.raises(ValueError), unit_of_work(engine) as session:
        session.execute(text("SELECT 1"))
        on_commit(session, lambda: ran.append("x"))
        raise ValueError
    assert ran == []


def test_a_session_closed_without_commit_forgets_its_hooks(engine: Engine) -> None:
    ran: list[str] = []
    session = Session(engine)
    session.execute(text("SELECT 1"))
    on_commit(session, lambda: ran.append("stale"))
    session.close()
    session.execute(text("SELECT 1"))
    session.commit()
    session.close()
    assert ran == []


def test_keyed_hooks_run_once_and_a_failing_hook_keeps_the_commit(
        engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    ran: list[str] = []

    def boom() -> None:
        raise ConnectionError("redis is down")

    caplog.set_level(logging.ERROR, logger="hotline.db")
    with unit_of_work(engine) as session:
        session.execute(text("CREATE TABLE IF NOT EXISTS hook_probe (x INTEGER)"))
        session.execute(text("INSERT INTO hook_probe VALUES (1)"))
        for _ in range(3):
            on_commit(session, lambda: ran.append("kick"), key="relay")
        on_commit(session, boom)
    assert ran == ["kick"]
    assert "redis is down" in caplog.text
    with unit_of_work(engine) as session:
        assert session.execute(text("SELECT count(*) FROM hook_probe")).scalar_one() == 1
        session.execute(text("DROP TABLE hook_probe"))


def test_on_sqlite_a_reader_never_waits_for_a_writer(sqlite_template: Path, tmp_path: Path) -> None:
    """WAL and a deferred BEGIN for reads: while a writer holds the write lock, a read unit of
    work reads its snapshot at once; the next writer waits for the first (serialised).
    (PostgreSQL readers never wait: MVCC; this is the embedded database's discipline.)"""
    path = tmp_path / "rw.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(Settings(database_url=f"sqlite:///{path}"))
    with unit_of_work(engine) as setup:
        setup.execute(text("CREATE TABLE IF NOT EXISTS rw_probe (x INTEGER)"))
    writing, done = threading.Event(), threading.Event()

    def writer() -> None:
        with unit_of_work(engine) as session:
            session.execute(text("INSERT INTO rw_probe VALUES (1)"))
            writing.set()
            done.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    assert writing.wait(10)
    started = time.monotonic()
    with unit_of_work(engine, write=False) as session:
        assert session.execute(text("SELECT count(*) FROM rw_probe")).scalar_one() == 0
    assert time.monotonic() - started < 1.0  # did not wait for the writer's lock
    second: list[float] = []

    def second_writer() -> None:
        t0 = time.monotonic()
        with unit_of_work(engine) as session:
            session.execute(text("INSERT INTO rw_probe VALUES (2)"))
        second.append(time.monotonic() - t0)

    other = threading.Thread(target=second_writer)
    other.start()
    other.join(0.5)
    assert other.is_alive()  # queued behind the first writer, not failing with "locked"
    done.set()
    thread.join(10)
    other.join(10)
    with unit_of_work(engine, write=False) as session:
        assert session.execute(text("SELECT count(*) FROM rw_probe")).scalar_one() == 2
    engine.dispose()


def _lose_the_database(session: Session, backend: str) -> None:
    """What a database restart does to a connection in the middle of a unit of work."""
    conn = session.connection()
    if backend == "postgresql":
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        admin = make_engine(Settings(
            database_url=conn.engine.url.render_as_string(hide_password=False)))
        try:
            with admin.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        finally:
            admin.dispose()
    else:
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        dbapi.close()


def test_a_lost_connection_fails_with_the_databases_error_and_frees_the_writer(
        engine: Engine, backend: str) -> None:
    """The rollback after a lost connection must neither raise an error of its own (the API
    answers a database error 503; anything else is a 500) nor keep SQLite's writer lock of the
    process (every later write would wait for ever). Found by the full city day: a PostgreSQL
    restart turned into 13 × 500."""
    from sqlalchemy.exc import DBAPIError

    from hotline.tickets.models import TicketEvent

    with pytest.raises(DBAPIError) as lost, unit_of_work(engine) as session:
        session.execute(text("SELECT 1"))
        _lose_the_database(session, backend)
        session.add(TicketEvent(ticket_id=1, seq=1, action="note", payload={}, at=None))
        session.flush()
    assert lost.value.connection_invalidated

    done = threading.Event()

    def write() -> None:
        with unit_of_work(engine) as session:
            session.execute(text("SELECT 1"))
        done.set()

    threading.Thread(target=write, daemon=True).start()
    assert done.wait(60), "the next write waited for a writer lock nobody holds"


def test_routing_advice_lets_a_database_error_through(engine: Engine, backend: str) -> None:
    """A routing failure must not block a dispatch, but a database error is not one: swallowed,
    it resurfaced as a 500 on the command's next statement in the full city day."""
    from sqlalchemy.exc import DBAPIError

    from hotline.intake.learning import advice_for

    with pytest.raises(DBAPIError), unit_of_work(engine) as session:
        session.execute(text("SELECT 1"))
        _lose_the_database(session, backend)
        advice_for(session, "小区路灯坏了一个月没人修", "东城区东华街道", "投诉", "20261204-000001")
