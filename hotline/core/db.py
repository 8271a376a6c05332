"""Engines, and the unit of work every command runs in (SQLite embedded, PostgreSQL deployed).

One transaction per unit of work: committed when the work returns, rolled back on any error.
Work that must happen only once the change is durable (kicking the 110 relay, for one) is
registered with ``on_commit`` and runs after the commit; it never runs for a rolled-back
transaction, and its failure is logged, never turned into an error for a change that is
already committed.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Insert, Table, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, create_engine

from hotline.core.settings import Settings, get_settings

log = logging.getLogger("hotline.db")
_HOOKS = "hotline.on_commit"


def make_engine(settings: Settings) -> Engine:
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: object) -> None:
            # The embedded database: WAL so readers never block the writer; foreign keys on.
            dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" below control transactions
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            # BEGIN IMMEDIATE: a writer takes the lock before it reads, so two concurrent
            # commands on one ticket serialise and the second sees the first's version (409)
            # instead of failing with "database is locked" on upgrade from a read lock.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    connect_args: dict[str, object] = {}
    if settings.database_schema:
        connect_args["options"] = f"-csearch_path={settings.database_schema}"
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20,
                         connect_args=connect_args)


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings())


@contextmanager
def unit_of_work(engine: Engine | None = None) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error, then the on-commit hooks."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def on_commit(session: Session, hook: Callable[[], None], *, key: Hashable | None = None) -> None:
    """Run ``hook`` once the session's outermost transaction commits; never if it rolls back.

    A hook registered inside a savepoint is dropped when that savepoint rolls back (and kept
    when it is released), as Django's ``on_commit`` does. ``key`` deduplicates: several outbox
    rows written in one transaction kick the relay once.
    """
    innermost = session.get_nested_transaction() or session.get_transaction()
    chain: list[SessionTransaction] = []
    while innermost is not None:
        chain.append(innermost)
        innermost = innermost.parent
    hooks: dict[Hashable, tuple[list[SessionTransaction], Callable[[], None]]] = \
        session.info.setdefault(_HOOKS, {})
    hooks.setdefault(key if key is not None else object(), (chain, hook))


@event.listens_for(OrmSession, "after_commit")
def _run_hooks(session: OrmSession) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released: its hooks wait for the outermost commit
    for _, hook in session.info.pop(_HOOKS, {}).values():
        try:
            hook()
        except Exception:  # the change is committed: a failed kick falls back to the timers
            log.exception("on-commit hook %r failed (the commit stands)", hook)


@event.listens_for(OrmSession, "after_soft_rollback")
def _drop_rolled_back(session: OrmSession, previous: SessionTransaction) -> None:
    hooks = session.info.get(_HOOKS)
    if hooks:
        for key in [k for k, (chain, _) in hooks.items() if previous in chain]:
            del hooks[key]


@event.listens_for(OrmSession, "after_transaction_end")
def _forget(session: OrmSession, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # closed without a commit: nothing may run later
        session.info.pop(_HOOKS, None)


def upsert(session: Session, table: Table, values: Mapping[str, Any], keys: list[str],
           update: Mapping[str, Any] | None = None) -> Insert:
    """``INSERT … ON CONFLICT (keys) DO UPDATE SET update`` (or ``DO NOTHING``), on either database."""
    if session.get_bind().dialect.name == "postgresql":
        pg = pg_insert(table).values(**values)
        return (pg.on_conflict_do_update(index_elements=keys, set_=update) if update
                else pg.on_conflict_do_nothing(index_elements=keys))
    lite = sqlite_insert(table).values(**values)
    return (lite.on_conflict_do_update(index_elements=keys, set_=update) if update
            else lite.on_conflict_do_nothing(index_elements=keys))
