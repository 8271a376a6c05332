"""Page authentication and CSRF protection.

The pages use the API's own JWT, carried in an HttpOnly, SameSite=Lax cookie named
``hotline_token`` (``hotline.web.deps`` reads the same cookie, so the CSV/XLSX export links of
the API work from the board). Every POST from a page carries a CSRF token: an HMAC of the
session's token under the server secret (a signed token bound to the session), sent both as a
form field / ``X-CSRF-Token`` header and as the readable ``hotline_csrf`` cookie (double
submit). Before login the token is bound to a random pre-session nonce cookie instead.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import jwt
from fastapi import Request
from sqlmodel import Session, col, select

from hotline.core.settings import get_settings
from hotline.units.actor import Actor
from hotline.units.models import Unit, User
from hotline.web.deps import ALGORITHM, COOKIE, csrf_token_for

CSRF_COOKIE = "hotline_csrf"
NONCE_COOKIE = "hotline_login_nonce"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class LoginRequired(Exception):
    """No valid session: the page redirects to the login form."""


class CsrfFailed(Exception):
    """A POST without a valid CSRF token: refused with 403."""


def _sign(purpose: str, value: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"{purpose}|{value}".encode(), hashlib.sha256).hexdigest()[:40]


def csrf_for_session(token: str) -> str:
    return csrf_token_for(token)


def csrf_for_nonce(nonce: str) -> str:
    return _sign("login", nonce)


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def page_actor(request: Request, session: Session) -> Actor:
    """The logged-in user of a page request, or LoginRequired."""
    token = request.cookies.get(COOKIE)
    if not token:
        raise LoginRequired
    try:
        claims = jwt.decode(token, get_settings().secret_key, algorithms=[ALGORITHM])
        user_id = int(claims["sub"])
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise LoginRequired from exc
    row = session.exec(
        select(User, Unit).join(Unit, col(Unit.id) == col(User.unit_id)).where(User.id == user_id)
    ).first()
    if row is None or not row[0].active:
        raise LoginRequired
    return Actor(user=row[0], unit=row[1])


def expected_csrf(request: Request) -> str | None:
    token = request.cookies.get(COOKIE)
    if token:
        return csrf_for_session(token)
    nonce = request.cookies.get(NONCE_COOKIE)
    return csrf_for_nonce(nonce) if nonce else None


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
