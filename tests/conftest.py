"""Shared fixtures: one database per backend (SQLite and the real PostgreSQL), migrated with Alembic.

Every data-layer test takes the ``engine`` fixture, which is parametrised over both backends.
PostgreSQL isolation is a schema per xdist worker, truncated between tests; SQLite gets a fresh
copy of a migrated template file per test.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("HOTLINE_SHARED_DATA", REPO.parent / "shared" / "data"))
PG_URL = os.environ.get("HOTLINE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Make ``--dist loadgroup`` honour ``xdist_group`` again: pytest 9.2 keeps a node's id in
    ``_id``, and pytest-xdist 3.8 still appends the group to ``_nodeid``, which nothing reads
    any more, so every group was silently spread over both workers (the real-data classifier
    was trained twice per run, 40-55 s each, and each worker started its own web server)."""
    if not getattr(config.option, "loadgroup", False):
        return
    from _pytest.nodeid import coerce_node_id

    for item in items:
        names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                        for m in item.iter_markers("xdist_group")})
        if names and "@" not in item.nodeid and hasattr(item, "_id"):
            item._id = coerce_node_id(f"{item.nodeid}@{'_'.join(names)}")


# Tests never touch the developer's ./var database or a real secret.
os.environ.setdefault("HOTLINE_DEMO_MODE", "true")
os.environ.setdefault("HOTLINE_EMBEDDED_JOBS", "false")  # tests run jobs explicitly
# No classifier model unless a test trains one: routing then falls back, deterministically.
os.environ.setdefault("HOTLINE_MODEL_DIR", os.path.join(
    os.environ.get("TMPDIR", "/tmp"), f"hotline-test-no-model-{os.getpid()}"))


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


#: This checkout's own tag: several checkouts (worktrees, clean clones) may run their suites on
#: this machine at once against the same PostgreSQL and Redis without sharing a schema or a db.
CHECKOUT = hashlib.sha1(str(REPO).encode()).hexdigest()[:6]


def _configure(url: str, schema: str | None) -> None:
    """Point hotline's settings and engine caches at a test database."""
    from hotline.core import db, settings
    from hotline.core import sla_setup as sla_config

    os.environ["HOTLINE_DATABASE_URL"] = url
    if schema:
        os.environ["HOTLINE_DATABASE_SCHEMA"] = schema
    else:
        os.environ.pop("HOTLINE_DATABASE_SCHEMA", None)
    settings.get_settings.cache_clear()
    old = db.get_engine.cache_info().currsize and db.get_engine()
    db.get_engine.cache_clear()
    if old:
        old.dispose()
    sla_config.reload()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hotline.core.db import make_engine
    from hotline.core.migrate import upgrade
    from hotline.core.settings import Settings

    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    engine = make_engine(Settings(database_url=f"sqlite:///{path}"))
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str]:
    from hotline.core.db import make_engine
    from hotline.core.migrate import upgrade
    from hotline.core.settings import Settings

    schema = f"t_{CHECKOUT}_{_worker()}"
    admin = make_engine(Settings(database_url=PG_URL))
    try:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # pragma: no cover - the Makefile starts PostgreSQL
        pytest.fail(f"PostgreSQL at {PG_URL} is not reachable: {exc}")
    engine = make_engine(Settings(database_url=PG_URL, database_schema=schema))
    upgrade(engine)
    engine.dispose()
    yield schema
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def _truncate_pg(engine: Engine) -> None:
    from sqlmodel import SQLModel

    import hotline.tables  # noqa: F401

    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database of each backend, wired into hotline's settings."""
    from hotline.core import db

    if request.param == "sqlite":
        path = tmp_path / "hotline.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        _configure(f"sqlite:///{path}", None)
    else:
        schema = request.getfixturevalue("pg_schema")
        _configure(PG_URL, schema)
        _truncate_pg(db.get_engine())
    yield db.get_engine()
    db.get_engine().dispose()


@pytest.fixture
def backend(engine: Engine) -> str:
    return engine.dialect.name


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


REDIS_HOST = os.environ.get("HOTLINE_TEST_REDIS", "redis://127.0.0.1:6379")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - someone else's process
        return True
    return True


@pytest.fixture(scope="session")
def redis_db() -> Iterator[int]:
    """A Redis database index leased to this test process alone (databases 1–15).

    The lease is a key in database 0 holding our pid; a lease whose process is gone is taken over,
    so a killed run never keeps a database.
    """
    from redis import Redis
    from redis.exceptions import RedisError

    conn = Redis.from_url(f"{REDIS_HOST}/0")
    me = str(os.getpid())
    try:
        for index in range(1, 16):
            key = f"hotline-test-lease:{index}"
            if conn.set(key, me, nx=True):
                break
            holder = conn.get(key)
            if holder is not None and not _alive(int(holder)):
                conn.delete(key)
                if conn.set(key, me, nx=True):
                    break
        else:
            pytest.fail("all 15 Redis test databases are leased by running test processes")
    except RedisError as exc:  # pragma: no cover - the Makefile starts Redis
        pytest.fail(f"Redis at {REDIS_HOST} is not reachable: {exc}")
    yield index
    if conn.get(key) == me.encode():
        conn.delete(key)
    conn.close()


@pytest.fixture
def redis_url(redis_db: int) -> Iterator[str]:
    """A real Redis database of this test process's own, flushed before and after each test."""
    from redis import Redis

    url = f"{REDIS_HOST}/{redis_db}"
    conn = Redis.from_url(url)
    try:
        conn.flushdb()
    except Exception as exc:  # pragma: no cover - the Makefile starts Redis
        pytest.fail(f"Redis at {url} is not reachable: {exc}")
    yield url
    conn.flushdb()
    conn.close()


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """The public lookup limiter is per process: start every test with a clean slate."""
    from hotline.web.loginlimit import login_limiter
    from hotline.web.ratelimit import limiter

    limiter.reset()
    login_limiter.reset()


@pytest.fixture(autouse=True, scope="session")
def _receivers_installed() -> None:
    """Every process that runs commands connects the workflow's receivers, as the app does."""
    from hotline import wiring

    wiring.install()
