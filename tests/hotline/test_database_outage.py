"""A database that is down (restarting, failing over) is answered 503 + Retry-After with a problem
body — never a 500 — and the liveness probe still answers (issue 13: the city day's PostgreSQL
restart). The database here is a PostgreSQL URL on a port where nothing listens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bench.cityday_stack import free_port


@pytest.fixture
def client_without_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    from hotline.app import create_app
    from hotline.core import db, settings

    monkeypatch.setenv("HOTLINE_DATABASE_URL",
                       f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing")
    monkeypatch.delenv("HOTLINE_DATABASE_SCHEMA", raising=False)
    monkeypatch.setenv("HOTLINE_REDIS_URL", "")
    settings.get_settings.cache_clear()
    db.get_engine.cache_clear()
    try:
        with TestClient(create_app(), raise_server_exceptions=False) as c:
            yield c
    finally:
        db.get_engine.cache_clear()
        settings.get_settings.cache_clear()


def test_database_down_is_503_with_retry_after(client_without_database: TestClient) -> None:
    c = client_without_database
    for r in (c.post("/api/v1/auth/token", data={"username": "agent", "password": "demo"}),
              c.get("/api/v1/tickets", headers={"Authorization": "Bearer x"}),
              c.get("/api/v1/public/tickets/20261121-000001", params={"phone_last4": "5678"})):
        assert r.status_code == 503, (r.request.url, r.status_code, r.text[:300])
        assert int(r.headers["retry-after"]) >= 1
        body = r.json()
        assert body["type"].endswith("/database-unavailable") and body["status"] == 503
    assert c.get("/healthz").status_code in (200, 503)  # answers at once, whatever it reports
