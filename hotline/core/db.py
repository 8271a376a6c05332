"""Engines, and the unit of work every request, command and job runs in.

A unit of work holds one connection, taken from the pool once, and runs one transaction on it:
committed when the work returns, rolled back on any error. Work that must happen only once the
change is durable (kicking the 110 relay, for one) is registered with ``on_commit``.

Reads and writes (docs/ARCHITECTURE.md, "Requests, threads, connections"): a *write* unit of
work (a command, a job) begins ``BEGIN IMMEDIATE`` on SQLite, so writers queue for SQLite's one
write lock at their start, never fail on a lock upgrade half way. A *read* unit of work (a GET)
begins a plain deferred ``BEGIN``: with WAL it reads a snapshot and never takes the write lock.
What a read still has to write — the access log of whoever saw a caller's number (CQ §22) — is
queued with ``write_after_read`` and written in a short write transaction on the same connection
right after the read, before the response is sent. PostgreSQL needs none of this (MVCC), and
runs the same code.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import weakref
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
_UNDO = "hotline.on_rollback"
_READ_ONLY = "hotline.read_only"
_AFTER_READ = "hotline.after_read"
_WRITE = "hotline_write"  # connection execution option read by the SQLite "begin" hook


#: Every engine this process made, for the fork hook below.
_LIVE: weakref.WeakSet[Engine] = weakref.WeakSet()


def _forget_inherited_connections() -> None:
    """In a forked child (RQ runs each job in one), drop the pooled connections inherited from
    the parent without closing them: they are the parent's sockets. Sharing one, the child's
    driver and the server disagreed on which statements were prepared ("prepared statement
    _pg3_0 already exists"): in the full city day every relay and scan job after the first
    failed. SQLAlchemy's own advice for pools and os.fork()."""
    for engine in list(_LIVE):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_inherited_connections)


def make_engine(settings: Settings) -> Engine:
    engine = _create_engine(settings)
    _LIVE.add(engine)
    return engine


def _create_engine(settings: Settings) -> Engine:
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

        writer = threading.Lock()
        # Who holds it, by Connection object: not in ``conn.info``, which a connection that lost
        # its database (invalidated) can no longer reach, so its rollback could not release the
        # lock and every later write of the process would wait forever.
        holders: weakref.WeakSet[Connection] = weakref.WeakSet()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            # A writer takes the write lock before it reads (BEGIN IMMEDIATE), so two commands on
            # one ticket serialise and the second sees the first's version (409) instead of
            # failing with "database is locked" on upgrade from a read lock. A reader begins
            # deferred and, in WAL mode, never takes the lock at all. Writers of this process
            # queue on a lock of ours first: handed over the moment it is free, where SQLite's
            # busy handler would poll with growing sleeps (the embedded mode is one process).
            if conn.get_execution_options().get(_WRITE, True):
                writer.acquire()
                holders.add(conn)
                try:
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                except BaseException:
                    _release(conn)
                    raise
            else:
                conn.exec_driver_sql("BEGIN")

        def _release(conn: Connection) -> None:
            if conn in holders:
                holders.discard(conn)
                writer.release()

        event.listen(engine, "commit", _release)
        event.listen(engine, "rollback", _release)

        return engine
    connect_args: dict[str, object] = {}
    if settings.database_schema:
        connect_args["options"] = f"-csearch_path={settings.database_schema}"
    # The pool holds a connection for every request the server admits at once, plus the
    # embedded jobs' (web.admission keeps admitted requests ≤ max_concurrent_requests).
    return create_engine(url, pool_pre_ping=True, pool_size=settings.max_concurrent_requests,
                         max_overflow=8, pool_timeout=30, connect_args=connect_args)


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings())


@contextmanager
def unit_of_work(engine: Engine | None = None, *, write: bool = True) -> Iterator[Session]:
    """One unit of work on one connection: commit on success, roll back on any error, then the
    on-commit hooks. ``write=False`` for reads (see the module docstring)."""
    with (engine or get_engine()).connect() as conn:
        conn.execution_options(**{_WRITE: write})
        with Session(bind=conn, expire_on_commit=False) as session:
            session.info[_READ_ONLY] = not write
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            _write_after_read(session, conn)


def write_after_read(session: Session, write: Callable[[Session], None]) -> None:
    """Write now in a write unit of work; in a read one, right after the read commits (same
    connection, its own short write transaction, before the response is sent)."""
    if session.info.get(_READ_ONLY):
        session.info.setdefault(_AFTER_READ, []).append(write)
    else:
        write(session)


def _write_after_read(session: Session, conn: Connection) -> None:
    writes = session.info.pop(_AFTER_READ, [])
    if not writes:
        return
    conn.execution_options(**{_WRITE: True})
    try:
        for write in writes:
            write(session)
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
    hooks: dict[Hashable, tuple[list[SessionTransaction], Callable[[], None]]] = \
        session.info.setdefault(_HOOKS, {})
    hooks.setdefault(key if key is not None else object(), (_chain(session), hook))


def on_rollback(session: Session, hook: Callable[[], None]) -> None:
    """Run ``hook`` if the transaction now innermost rolls back, or any that encloses it — the
    undo of in-memory state that the rollback itself cannot see (``core.loaded_insert``'s
    objects). Forgotten once the outermost transaction ends otherwise."""
    undo: list[tuple[list[SessionTransaction], Callable[[], None]]] = \
        session.info.setdefault(_UNDO, [])
    undo.append((_chain(session), hook))


def _chain(session: Session) -> list[SessionTransaction]:
    """The innermost transaction and every one enclosing it."""
    innermost = session.get_nested_transaction() or session.get_transaction()
    chain: list[SessionTransaction] = []
    while innermost is not None:
        chain.append(innermost)
        innermost = innermost.parent
    return chain


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
    undo = session.info.get(_UNDO)
    if undo:  # a savepoint's (the outermost transaction's were run as it ended, below)
        session.info[_UNDO] = [(chain, hook) for chain, hook in undo if previous not in chain]
        for chain, hook in undo:
            if previous in chain:
                hook()


@event.listens_for(OrmSession, "after_transaction_end")
def _forget(session: OrmSession, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # closed without a commit: nothing may run later
        session.info.pop(_HOOKS, None)
        # SQLAlchemy ends the outermost transaction before it announces the rollback; after a
        # commit (``_keep_undone``) nothing is left here to undo.
        for _, hook in session.info.pop(_UNDO, []):
            hook()


@event.listens_for(OrmSession, "after_commit")
def _keep_undone(session: OrmSession) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_UNDO, None)


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
