"""Finding 6 (proxies, cookies, docs) and finding 7 (X-Forwarded-For only from a trusted proxy)."""

from __future__ import annotations

import re

from hotline.web import ratelimit
from hotline.web.security import forwarded_client, parse_networks
from tests.security.conftest import Api, MakeClient

PROXY = {"HOTLINE_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.10"}
PUBLIC = "/api/v1/public/tickets/{}?phone_last4=0000"


def test_forwarded_for_from_a_stranger_is_ignored(make_client: MakeClient) -> None:
    """No proxy configured: rotating X-Forwarded-For does not buy a fresh per-address window."""
    c = make_client(peer=("127.0.0.1", 4000))  # even the local host is not a proxy by default
    limit = ratelimit.PER_CLIENT[0]
    codes = [c.get(PUBLIC.format(f"N{i}"), headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
             for i in range(limit + 1)]
    assert codes[:limit] == [404] * limit
    assert codes[limit] == 429


def test_forwarded_for_from_an_untrusted_peer_is_ignored(make_client: MakeClient) -> None:
    c = make_client(env=PROXY, peer=("198.51.100.20", 4000))
    limit = ratelimit.PER_CLIENT[0]
    for i in range(limit):
        c.get(PUBLIC.format(f"N{i}"), headers={"X-Forwarded-For": f"203.0.113.{i}"})
    assert c.get(PUBLIC.format("N"), headers={"X-Forwarded-For": "203.0.113.250"}).status_code == 429


def test_a_trusted_proxy_speaks_for_its_clients(make_client: MakeClient) -> None:
    c = make_client(env=PROXY, peer=("10.1.2.3", 4000))
    limit = ratelimit.PER_CLIENT[0]
    for i in range(limit):
        c.get(PUBLIC.format(f"N{i}"), headers={"X-Forwarded-For": "203.0.113.7"})
    assert c.get(PUBLIC.format("N"), headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 429
    # Another client behind the same proxy has a window of its own.
    assert c.get(PUBLIC.format("N"), headers={"X-Forwarded-For": "203.0.113.8"}).status_code == 404


def test_forwarded_chain_is_read_from_the_right() -> None:
    nets = parse_networks("10.0.0.0/8,192.0.2.10")
    # The client wrote a fake first hop; the trusted proxies appended the real one.
    assert forwarded_client("10.0.0.1", "6.6.6.6, 203.0.113.5, 192.0.2.10", nets) == "203.0.113.5"
    assert forwarded_client("198.51.100.1", "203.0.113.5", nets) == "198.51.100.1"
    assert forwarded_client("10.0.0.1", "", nets) == "10.0.0.1"
    assert forwarded_client("10.0.0.1", "not-an-ip", nets) == "not-an-ip"
    assert parse_networks("") == ()


def test_secure_cookies_follow_the_trusted_proxy_scheme(make_client: MakeClient) -> None:
    behind_tls = make_client(env=PROXY, peer=("10.0.0.9", 4000))
    r = behind_tls.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert all("Secure" in v for v in r.headers.get_list("set-cookie"))
    assert r.headers["strict-transport-security"].startswith("max-age=")
    # The cookies are Secure, so the (plain-HTTP) test client will not send them back: by hand.
    nonce = r.cookies.get("hotline_login_nonce")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', r.text).group(1)  # type: ignore[union-attr]
    behind_tls.cookies.clear()
    login = behind_tls.post("/login", data={"username": "agent", "password": "demo", "csrf_token": csrf},
                            headers={"X-Forwarded-Proto": "https",
                                     "Cookie": f"hotline_login_nonce={nonce}; hotline_csrf={csrf}"},
                            follow_redirects=False)
    assert login.status_code == 303, login.text
    session_cookie = [v for v in login.headers.get_list("set-cookie") if v.startswith("hotline_token=")]
    assert session_cookie and "Secure" in session_cookie[0] and "HttpOnly" in session_cookie[0]

    spoofed = make_client(env=PROXY, peer=("198.51.100.20", 4000))
    r = spoofed.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert not any("Secure" in v for v in r.headers.get_list("set-cookie"))
    assert "strict-transport-security" not in r.headers


def test_docs_are_off_outside_demo_mode(make_client: MakeClient) -> None:
    c = make_client(env={"HOTLINE_DEMO_MODE": "false", "HOTLINE_SECRET_KEY": "x" * 40})
    for path in ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"):
        assert c.get(path).status_code == 404, path
    assert "/docs" not in c.get("/").text


def test_docs_switched_on_by_setting(make_client: MakeClient) -> None:
    c = make_client(env={"HOTLINE_DEMO_MODE": "false", "HOTLINE_SECRET_KEY": "x" * 40,
                         "HOTLINE_API_DOCS": "true"})
    assert c.get("/openapi.json").status_code == 200
    docs = c.get("/docs")
    assert docs.status_code == 200
    assert "frame-ancestors 'none'" in docs.headers["content-security-policy"]


def test_docs_on_in_demo_mode(make_client: MakeClient, api: Api) -> None:
    c = make_client(env={"HOTLINE_DEMO_MODE": "true"})
    assert c.get("/docs").status_code == 200 and c.get("/redoc").status_code == 200
    assert "/api/v1/tickets" in c.get("/openapi.json").json()["paths"]
