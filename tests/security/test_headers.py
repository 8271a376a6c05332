"""Finding 6: security headers on every response, and a CSP that allows no inline script.

The Playwright walk (tests/web/test_browser.py) runs against the same app with this CSP on: any
refused script or style is a console error there, which fails that test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hotline.web.render import WEB
from tests.security.conftest import MakeClient

PATHS = ["/", "/login", "/progress", "/static/app.js", "/static/site.css", "/healthz",
         "/api/v1/tickets", "/no-such-page", "/api/v1/public/tickets/X?phone_last4=1234"]


def _directives(csp: str) -> dict[str, str]:
    return {d.strip().split(" ", 1)[0]: d.strip() for d in csp.split(";") if d.strip()}


def assert_secure_headers(headers: object, https: bool = False) -> None:
    h = headers  # httpx.Headers
    csp = _directives(h["content-security-policy"])  # type: ignore[index]
    assert csp["script-src"] == "script-src 'self'"
    assert "unsafe-inline" not in csp["default-src"] and "unsafe-eval" not in str(csp)
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert csp["object-src"] == "object-src 'none'"
    assert h["x-frame-options"] == "DENY"  # type: ignore[index]
    assert h["x-content-type-options"] == "nosniff"  # type: ignore[index]
    assert h["referrer-policy"] == "same-origin"  # type: ignore[index]
    hsts = h.get("strict-transport-security")  # type: ignore[attr-defined]
    if https:
        assert hsts and hsts.startswith("max-age=31536000")
    else:
        assert hsts is None  # over plain HTTP it would mean nothing


def test_every_response_carries_the_headers(client: TestClient) -> None:
    for path in PATHS:
        r = client.get(path)
        assert r.status_code < 500, path
        assert_secure_headers(r.headers)


def test_pages_signed_in_and_posts_carry_them(client: TestClient, headers: object) -> None:
    token = headers("agent")["Authorization"].split()[1]  # type: ignore[operator]
    client.cookies.set("hotline_token", token)
    for path in ("/app", "/console", "/search", "/visits", "/board"):
        r = client.get(path)
        assert_secure_headers(r.headers)
        assert not INLINE_SCRIPT.search(r.text), path
    r = client.post("/api/v1/auth/token", data={"username": "agent", "password": "wrong"})
    assert r.status_code == 401
    assert_secure_headers(r.headers)


def test_hsts_on_https(make_client: MakeClient) -> None:
    c = make_client(base_url="https://testserver")
    assert_secure_headers(c.get("/login").headers, https=True)
    assert "Secure" in c.get("/login").headers["set-cookie"]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|javascript:|hx-on|hx-vars|js:",
                           re.IGNORECASE)


@pytest.mark.parametrize("template", sorted(p.name for p in (WEB / "templates").glob("*.html")))
def test_templates_hold_no_inline_script(template: str) -> None:
    """Behaviour lives in /static/app.js; htmx attributes carry data, never code."""
    text = (Path(WEB) / "templates" / template).read_text(encoding="utf-8")
    assert not INLINE_SCRIPT.search(text), INLINE_SCRIPT.search(text)


def test_htmx_is_told_not_to_inject_styles_or_eval() -> None:
    base = (Path(WEB) / "templates" / "base.html").read_text(encoding="utf-8")
    assert '"includeIndicatorStyles": false' in base and '"allowEval": false' in base


def test_the_monthly_report_keeps_its_own_strict_policy(client: TestClient, headers: object) -> None:
    r = client.get("/api/v1/supervision/report?month=2026-11",
                   headers=headers("supervisor"))  # type: ignore[operator]
    assert r.status_code == 200
    csp = _directives(r.headers["content-security-policy"])
    assert csp["default-src"] == "default-src 'none'"  # no script at all
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert r.headers["x-frame-options"] == "DENY"
