"""Fixtures for the threat tests: the application fixtures of tests/hotline, and apps built
under other settings (trusted proxies, docs switched off) reached from a chosen peer address."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.hotline.conftest import Api, City, api, city, client, headers  # noqa: F401

MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client(engine: Engine, request: pytest.FixtureRequest,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[MakeClient]:
    """``make(env={...}, peer=("10.0.0.2", 4000), base_url=...)``: a client of an app built
    with those ``HOTLINE_*`` variables, its requests arriving from `peer`."""
    from hotline.app import create_app
    from hotline.core import settings

    request.getfixturevalue("city")  # the demo city's units and users, on this test's backend
    opened: list[TestClient] = []

    def make(env: dict[str, str] | None = None, peer: tuple[str, int] = ("testclient", 50000),
             base_url: str = "http://testserver") -> TestClient:
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        settings.get_settings.cache_clear()
        c = TestClient(create_app(), client=peer, base_url=base_url)
        c.__enter__()
        opened.append(c)
        return c

    yield make
    for c in opened:
        c.__exit__(None, None, None)
    monkeypatch.undo()
    settings.get_settings.cache_clear()
