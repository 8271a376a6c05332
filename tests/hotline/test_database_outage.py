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
    from hotline.units.auth import issue_token
    from hotline.units.models import User

    c = client_without_database
    # A well-signed token: whether its user still exists and may act needs the database. (A
    # forged one is refused 401 before anything touches the database: it needs none.)
    token = issue_token(User(id=1, username="agent", full_name="", role="agent", unit_id=1,
                             password_hash="", token_version=0))
    assert c.get("/api/v1/tickets", headers={"Authorization": "Bearer x"}).status_code == 401
    for r in (c.post("/api/v1/auth/token", data={"username": "agent", "password": "demo"}),
              c.get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"}),
              c.get("/api/v1/public/tickets/20261121-000001", params={"phone_last4": "5678"})):
        assert r.status_code == 503, (r.request.url, r.status_code, r.text[:300])
        assert int(r.headers["retry-after"]) >= 1
        body = r.json()
        assert body["type"].endswith("/database-unavailable") and body["status"] == 503
    assert c.get("/healthz").status_code in (200, 503)  # answers at once, whatever it reports


@pytest.mark.parametrize(("error", "status"), [
    ("lost", 503),  # SQLite's "closed database" is a ProgrammingError on a lost connection
    ("constraint", 500),  # a constraint is ours to fix, not the database's to come back from
])
def test_a_lost_connection_of_any_kind_is_503(engine: object, error: str, status: int) -> None:
    from sqlalchemy.exc import IntegrityError, ProgrammingError

    from hotline.app import create_app

    app = create_app()

    def fail() -> None:
        if error == "lost":
            raise ProgrammingError("SELECT 1", {}, Exception("closed database"),
                                   connection_invalidated=True)
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    app.add_api_route("/test-db-error", fail)
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/test-db-error")
    assert r.status_code == status
    if status == 503:
        assert r.headers["Retry-After"] and r.json()["type"].endswith("database-unavailable")
