"""The session cookie and CSRF protection, shared by the pages and the cookie-carrying API calls.

The pages use the API's own token, carried in an HttpOnly, SameSite=Lax cookie
(``SESSION_COOKIE``; the API reads the same cookie, so the CSV/XLSX export links work from the
board). Every unsafe request that relies on the cookie carries a CSRF token: an HMAC of the
session's token under the server secret, sent as a form field or ``X-CSRF-Token`` header and as
the readable ``hotline_csrf`` cookie (double submit). Before login the token is bound to a
random pre-session nonce cookie instead.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request

from hotline.core.settings import get_settings

SESSION_COOKIE = "hotline_token"
CSRF_COOKIE = "hotline_csrf"
NONCE_COOKIE = "hotline_login_nonce"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class CsrfFailed(Exception):
    """A POST without a valid CSRF token: refused with 403."""


def _sign(purpose: str, value: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"{purpose}|{value}".encode(), hashlib.sha256).hexdigest()[:40]


def csrf_for_session(token: str) -> str:
    """The CSRF token bound to a session token."""
    return _sign("csrf", token)


def csrf_for_nonce(nonce: str) -> str:
    return _sign("login", nonce)


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def expected_csrf(request: Request) -> str | None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        return csrf_for_session(token)
    nonce = request.cookies.get(NONCE_COOKIE)
    return csrf_for_nonce(nonce) if nonce else None


def header_matches(request: Request, token: str) -> bool:
    """An API call carrying the session cookie proves it came from our pages."""
    return hmac.compare_digest(request.headers.get(CSRF_HEADER, ""), csrf_for_session(token))


async def check_csrf(request: Request) -> None:
    """Refuse a POST whose token is missing, does not match the cookie, or is not ours."""
    expected = expected_csrf(request)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    cookie = request.cookies.get(CSRF_COOKIE)
    if not expected or not sent or not cookie:
        raise CsrfFailed
    if not (hmac.compare_digest(sent, expected) and hmac.compare_digest(cookie, expected)):
        raise CsrfFailed
