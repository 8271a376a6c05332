"""Issue 15 §4: sign-in is limited per account and per client, the limits are shared across
processes through Redis, every attempt is audited, and an unknown account costs the same argon2
verification as a known one."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from hotline.core import settings
from hotline.units import users
from hotline.units.models import LoginAudit
from hotline.web.loginlimit import login_limiter
from tests.conftest import REPO
from tests.hotline.conftest import City

TOKEN = "/api/v1/auth/token"


def _try(client: TestClient, username: str, password: str) -> int:
    return client.post(TOKEN, data={"username": username, "password": password}).status_code


def _audit(engine: Engine) -> list[tuple[str, str, int | None]]:
    with Session(engine) as s:
        rows = s.exec(select(LoginAudit).order_by(col(LoginAudit.id))).all()
        return [(r.username, str(r.outcome), r.user_id) for r in rows]


def test_account_pauses_after_failures_even_for_the_right_password(
        client: TestClient, city: City, engine: Engine) -> None:
    limit = settings.get_settings().login_failures_per_user
    assert [_try(client, "agent", f"wrong-{i}") for i in range(limit)] == [401] * limit
    r = client.post(TOKEN, data={"username": "agent", "password": "demo"})
    assert r.status_code == 429 and r.json()["title"] == "登录尝试过多"
    assert _try(client, "AGENT", "demo") == 429  # the account's window ignores case
    assert _try(client, "supervisor", "demo") == 200  # other accounts are not held
    agent_id = city.users["agent"].id
    assert _audit(engine) == ([("agent", "failed", agent_id)] * limit
                              + [("agent", "refused", agent_id), ("AGENT", "refused", None),
                                 ("supervisor", "succeeded", city.users["supervisor"].id)])
    # Admins read it through the API, newest first.
    admin = {"Authorization": "Bearer " + client.post(
        TOKEN, data={"username": "admin", "password": "demo"}).json()["access_token"]}
    r = client.get("/api/v1/login-audit", params={"username": "agent"}, headers=admin)
    assert r.status_code == 200
    assert [e["outcome"] for e in r.json()] == ["refused"] + ["failed"] * limit
    supervisor = {"Authorization": "Bearer " + client.post(
        TOKEN, data={"username": "supervisor", "password": "demo"}).json()["access_token"]}
    assert client.get("/api/v1/login-audit", headers=supervisor).status_code == 403


def test_client_is_refused_after_failures_over_many_accounts(client: TestClient, city: City,
                                                            engine: Engine) -> None:
    limit = settings.get_settings().login_failures_per_client
    statuses = [_try(client, f"guess{i}", "password") for i in range(limit)]
    assert statuses == [401] * limit
    assert _try(client, "agent", "demo") == 429  # this address, any account
    login_limiter.reset()
    assert _try(client, "agent", "demo") == 200


def test_a_success_is_not_counted_as_a_failure(client: TestClient, city: City) -> None:
    limit = settings.get_settings().login_failures_per_user
    for _ in range(3 * limit):
        assert _try(client, "agent", "demo") == 200


def test_the_login_page_is_limited_and_audited_too(client: TestClient, city: City,
                                                   engine: Engine) -> None:
    limit = settings.get_settings().login_failures_per_user
    client.get("/login")
    statuses = [client.post("/login", data={"username": "agent", "password": f"x{i}",
                                            "csrf_token": client.cookies["hotline_csrf"]}).status_code
                for i in range(limit + 1)]
    assert statuses == [401] * limit + [429]
    assert [o for _, o, _ in _audit(engine)] == ["failed"] * limit + ["refused"]


@pytest.mark.redis
def test_limits_are_shared_across_processes_through_redis(
        client: TestClient, city: City, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_REDIS_URL", redis_url)
    settings.get_settings.cache_clear()
    try:
        limit = settings.get_settings().login_failures_per_user
        # Another process (another API worker) records the failures...
        env = {**os.environ, "HOTLINE_REDIS_URL": redis_url}
        code = ("from hotline.web.loginlimit import login_limiter as l\n"
                f"for _ in range({limit}): assert l.begin('10.9.9.9', 'agent').refusal is None\n")
        subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, check=True, timeout=120)
        # ...and this one refuses the right password, though its own memory holds nothing.
        login_limiter._memory.reset()
        assert _try(client, "agent", "demo") == 429
        assert _try(client, "supervisor", "demo") == 200
    finally:
        monkeypatch.delenv("HOTLINE_REDIS_URL")
        settings.get_settings.cache_clear()


def test_unknown_accounts_cost_one_argon2_verification_like_known_ones(
        client: TestClient, city: City, monkeypatch: pytest.MonkeyPatch) -> None:
    """Timing is not asserted (no timed tests): what makes it equal is that every path verifies
    one argon2 hash — the account's, or the dummy for an unknown or deactivated account."""
    hasher = users._hasher()
    real = hasher.verify
    seen: list[str] = []

    def counting(password: Any, hashed: Any) -> bool:
        seen.append(hashed)
        return real(password, hashed)

    monkeypatch.setattr(hasher, "verify", counting)
    admin = {"Authorization": "Bearer " + client.post(
        TOKEN, data={"username": "admin", "password": "demo"}).json()["access_token"]}
    uid = next(u["id"] for u in client.get("/api/v1/users", headers=admin).json()
               if u["username"] == "supervisor")
    assert client.patch(f"/api/v1/users/{uid}", headers=admin, json={"active": False}).status_code == 200
    seen.clear()
    for username in ("agent", "nobody-here", "supervisor", "x" * 500):
        assert _try(client, username, "wrong-password") == 401
    assert len(seen) == 4
    assert all(h.startswith("$argon2") for h in seen)
    assert seen[1] == seen[2] == seen[3] != seen[0]  # the dummy for unknown and deactivated
