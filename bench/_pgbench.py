"""Shared by the benchmarks: a fresh PostgreSQL schema, migrated, with the demo units and users."""

from __future__ import annotations

import os

from sqlalchemy import text
from sqlalchemy.engine import Engine

PG = os.environ.get("HOTLINE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def fresh_schema(schema: str, *, demo_tickets: bool = False) -> Engine:
    """Drop and recreate ``schema``, point hotline's settings at it, migrate, seed units/users
    (and, with ``demo_tickets``, the whole demo city as ``make run`` shows it)."""
    os.environ.update(HOTLINE_DATABASE_URL=PG, HOTLINE_DATABASE_SCHEMA=schema,
                      HOTLINE_DEMO_MODE="true", HOTLINE_EMBEDDED_JOBS="false")
    from sqlmodel import Session

    from hotline.core.db import make_engine
    from hotline.core.migrate import upgrade
    from hotline.core.settings import Settings
    from hotline.seed import seed, seed_units_and_users

    admin = make_engine(Settings(database_url=PG))
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    engine = make_engine(Settings(database_url=PG, database_schema=schema))
    upgrade(engine)
    with Session(engine) as s:
        if demo_tickets:
            from hotline import wiring

            wiring.install()  # the seed runs the workflow, whose receivers must be wired
            seed(s)
        else:
            seed_units_and_users(s)
        s.commit()
    return engine


def reuse_schema(schema: str) -> Engine:
    """An engine on a schema a previous run filled (to time queries again without reloading)."""
    os.environ.update(HOTLINE_DATABASE_URL=PG, HOTLINE_DATABASE_SCHEMA=schema,
                      HOTLINE_DEMO_MODE="true", HOTLINE_EMBEDDED_JOBS="false")
    from hotline.core.db import make_engine
    from hotline.core.settings import Settings

    return make_engine(Settings(database_url=PG, database_schema=schema))
