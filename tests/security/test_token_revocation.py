"""Issue 15 §5: tokens carry a per-user version that sign-out, a password change and a role
change bump; ``exp`` is required; a forged-looking but validly signed token never gives 500."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient

from hotline.core.settings import get_settings
from hotline.core.times import utcnow
from tests.hotline.conftest import City


def _login(client: TestClient, username: str, password: str = "demo") -> dict[str, str]:
    r = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _me(client: TestClient, hdrs: dict[str, str]) -> int:
    return client.get("/api/v1/me", headers=hdrs).status_code


def _user_id(client: TestClient, admin: dict[str, str], username: str) -> int:
    users = client.get("/api/v1/users", headers=admin).json()
    return next(u["id"] for u in users if u["username"] == username)


def test_logout_revokes_every_token_of_the_user(client: TestClient, city: City) -> None:
    first, second = _login(client, "agent"), _login(client, "agent")
    other = _login(client, "supervisor")
    assert _me(client, first) == _me(client, second) == 200
    assert client.post("/api/v1/auth/logout", headers=first).status_code == 204
    assert _me(client, first) == _me(client, second) == 401  # all devices
    assert _me(client, other) == 200  # nobody else
    assert _me(client, _login(client, "agent")) == 200  # a fresh sign-in works


def test_page_logout_revokes_the_cookie_token(client: TestClient, city: City) -> None:
    client.get("/login")
    r = client.post("/login", data={"username": "agent", "password": "demo",
                                    "csrf_token": client.cookies["hotline_csrf"]},
                    follow_redirects=False)
    assert r.status_code == 303
    token = client.cookies["hotline_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert _me(client, bearer) == 200
    r = client.post("/logout", data={"csrf_token": client.cookies["hotline_csrf"]},
                    follow_redirects=False)
    assert r.status_code == 303
    client.cookies.clear()
    assert _me(client, bearer) == 401


@pytest.mark.parametrize("change", [{"password": "a-new-password-1"}, {"role": "supervisor"},
                                    {"active": False}])
def test_password_role_or_deactivation_revokes(client: TestClient, city: City,
                                               change: dict[str, Any]) -> None:
    admin = _login(client, "admin")
    agent = _login(client, "agent")
    r = client.patch(f"/api/v1/users/{_user_id(client, admin, 'agent')}", headers=admin, json=change)
    assert r.status_code == 200, r.text
    assert _me(client, agent) == 401
    if "password" in change:
        assert _me(client, _login(client, "agent", change["password"])) == 200
        r = client.post("/api/v1/auth/token", data={"username": "agent", "password": "demo"})
        assert r.status_code == 401


def test_a_name_change_keeps_the_session(client: TestClient, city: City) -> None:
    admin = _login(client, "admin")
    agent = _login(client, "agent")
    r = client.patch(f"/api/v1/users/{_user_id(client, admin, 'agent')}", headers=admin,
                     json={"full_name": "王话务"})
    assert r.status_code == 200
    assert _me(client, agent) == 200


def _signed(claims: dict[str, Any]) -> dict[str, str]:
    token = jwt.encode(claims, get_settings().secret_key, algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("claims", [
    {"sub": "{agent}", "ver": 0},  # no exp
    {"sub": "{agent}", "exp": "{exp}"},  # no version
    {"ver": 0, "exp": "{exp}"},  # no subject
    {"sub": "{agent}", "ver": 0, "exp": "{past}"},  # expired
    {"sub": "1" * 40, "ver": 0, "exp": "{exp}"},  # a 40-digit subject (was a 500)
    {"sub": "-1", "ver": 0, "exp": "{exp}"},
    {"sub": "²", "ver": 0, "exp": "{exp}"},
    {"sub": "{agent}", "ver": 10**30, "exp": "{exp}"},
    {"sub": "{agent}", "ver": True, "exp": "{exp}"},
    {"sub": "{agent}", "ver": "0", "exp": "{exp}"},
    {"sub": "{agent}", "ver": 1, "exp": "{exp}"},  # a version not yet issued
    {"sub": "{agent}", "ver": 0, "exp": 10**30},
])
def test_malformed_or_unversioned_tokens_are_401(client: TestClient, city: City,
                                                 claims: dict[str, Any]) -> None:
    values = {"{agent}": str(city.users["agent"].id), "{exp}": utcnow() + timedelta(hours=1),
              "{past}": utcnow() - timedelta(seconds=5)}
    filled = {k: values.get(v, v) if isinstance(v, str) else v for k, v in claims.items()}
    assert _me(client, _signed(filled)) == 401
    # The same, well formed, is accepted: the refusal above is the claim's fault.
    good = {"sub": str(city.users["agent"].id), "ver": 0, "exp": utcnow() + timedelta(hours=1)}
    assert _me(client, _signed(good)) == 200


def test_a_token_checked_before_still_expires_and_still_needs_our_secret(
        client: TestClient, city: City, monkeypatch: pytest.MonkeyPatch) -> None:
    """Verified tokens are remembered (``auth._VERIFIED``) so that each request does not pay
    PyJWT's decode; what is remembered must not outlive the token or the secret it was
    checked with."""
    import time_machine

    from hotline.units import auth

    hdrs = _login(client, "agent")
    assert _me(client, hdrs) == _me(client, hdrs) == 200  # the second answer is remembered
    token = hdrs["Authorization"].removeprefix("Bearer ")
    assert any(key[1] == token for key in auth._VERIFIED)
    exp = jwt.decode(token, options={"verify_signature": False})["exp"]
    with time_machine.travel(exp - 1, tick=False):
        assert _me(client, hdrs) == 200
    with time_machine.travel(exp, tick=False):  # PyJWT's rule: expired once exp <= now
        assert _me(client, hdrs) == 401
    lifetime = get_settings().token_minutes * 60
    with time_machine.travel(exp - lifetime - 86_400 - 60, tick=False):  # a clock stepped back
        assert _me(client, hdrs) == 401  # too far ahead of now: not a token of ours, as uncached
    assert _me(client, hdrs) == 200
    monkeypatch.setenv("HOTLINE_SECRET_KEY", "another-secret-" + "x" * 40)
    get_settings.cache_clear()
    try:
        assert _me(client, hdrs) == 401  # a rotated secret refuses tokens signed with the old one
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert _me(client, hdrs) == 200


def test_only_good_tokens_are_remembered(client: TestClient, city: City) -> None:
    from hotline.units import auth

    before = len(auth._VERIFIED)
    forged = jwt.encode({"sub": "1", "ver": 0, "exp": utcnow() + timedelta(minutes=5)},
                        "not-our-secret-" + "x" * 40, algorithm="HS256")
    for token in (forged, "garbage", forged + "x"):
        assert _me(client, {"Authorization": f"Bearer {token}"}) == 401
    assert len(auth._VERIFIED) == before
