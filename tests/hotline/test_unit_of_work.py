"""The unit of work's on-commit hooks: after the outermost commit only, never for work that
rolled back (savepoints included), once per key, and a failing hook never undoes the commit."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from hotline.core.db import on_commit, unit_of_work


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
