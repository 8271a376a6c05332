"""Fixtures for the application tests: the demo city's units and users, and an HTTP client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from hotline.units.models import Unit, User


@dataclass
class City:
    units: dict[str, Unit]
    users: dict[str, User]

    def unit(self, code: str) -> int:
        return self.units[code].id  # type: ignore[return-value]


@pytest.fixture
def city(engine: Engine) -> City:
    from hotline.seed import seed_units_and_users

    with Session(engine, expire_on_commit=False) as session:
        units, users = seed_units_and_users(session)
        session.commit()
    return City(units, users)


@pytest.fixture
def client(city: City) -> Iterator[TestClient]:
    from hotline.app import create_app

    with TestClient(create_app(), raise_server_exceptions=True) as c:
        yield c


@pytest.fixture
def headers(client: TestClient) -> Callable[[str], dict[str, str]]:
    """Bearer headers for a demo user, by username (password ``demo``).

    Cached per test and per six hours of (possibly travelled) time, so tokens never expire
    under a test that moves the clock by days.
    """
    from hotline.core.times import utcnow

    cache: dict[tuple[str, int], dict[str, str]] = {}

    def get(username: str) -> dict[str, str]:
        key = (username, int(utcnow().timestamp() // 21600))
        if key not in cache:
            r = client.post("/api/v1/auth/token", data={"username": username, "password": "demo"})
            assert r.status_code == 200, r.text
            cache[key] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        return cache[key]

    return get


class Api:
    """A small helper so tests read like the workflow they walk."""

    def __init__(self, client: TestClient, headers: Callable[[str], dict[str, str]]) -> None:
        self.client, self.headers = client, headers

    def create(self, user: str = "agent", **fields: Any) -> dict[str, Any]:
        body = {"caller_phone": "13812345678", "caller_name": "张先生", "request_type": "投诉",
                "content": "楼下烧烤店油烟噪声扰民到凌晨两点。", "address": "东城区东华街道桂花苑"}
        body.update(fields)
        r = self.client.post("/api/v1/tickets", json=body, headers=self.headers(user))
        assert r.status_code == 201, r.text
        return r.json()

    def act(self, user: str, number: str, action: str, expect: int = 200, **payload: Any) -> Any:
        r = self.client.post(f"/api/v1/tickets/{number}/transitions",
                             json={"action": action, **payload}, headers=self.headers(user))
        assert r.status_code == expect, f"{action} by {user}: {r.status_code} {r.text}"
        return r.json()

    def get(self, user: str, number: str, expect: int = 200) -> Any:
        r = self.client.get(f"/api/v1/tickets/{number}", headers=self.headers(user))
        assert r.status_code == expect, r.text
        return r.json()


@pytest.fixture
def api(client: TestClient, headers: Callable[[str], dict[str, str]]) -> Api:
    return Api(client, headers)


@pytest.fixture
def scratch_pg() -> Iterator[Engine]:
    """An empty PostgreSQL schema of its own, for a test that moves the migrations down and up
    (the worker's shared schema stays at head for the tests beside it)."""
    import threading

    from sqlalchemy import text

    from hotline.core.db import make_engine
    from hotline.core.settings import Settings
    from tests.conftest import CHECKOUT, PG_URL

    schema = f"t_{CHECKOUT}_scratch_{threading.get_native_id()}"
    admin = make_engine(Settings(database_url=PG_URL))
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(Settings(database_url=PG_URL, database_schema=schema))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
