"""Access tokens: what a login hands out (the API's bearer token, the pages' cookie).

A token names its user (``sub``), the user's token version (``ver``) and its expiry (``exp``,
required: a token without one is refused). The version is what makes a token revocable before it
expires (issue 15 §5): sign-out, a new password, a new role or unit and deactivation bump the
user's ``token_version``, and every token issued before stops working at the next request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt

from hotline.core.ids import MAX_ID
from hotline.core.settings import get_settings
from hotline.core.times import utcnow
from hotline.units.models import User

ALGORITHM = "HS256"


class InvalidToken(Exception):
    """Not a token we issued, expired, revoked or malformed."""


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    version: int


def issue_token(user: User) -> str:
    s = get_settings()
    now = utcnow()
    claims = {"sub": str(user.id), "ver": user.token_version, "role": str(user.role),
              "unit": user.unit_id, "exp": now + timedelta(minutes=s.token_minutes)}
    return jwt.encode(claims, s.secret_key, algorithm=ALGORITHM)


def _bounded(value: object, what: str, low: int) -> int:
    """A claim that must be a small integer: a validly signed token with a 40-digit ``sub`` was
    a 500 (the database's integer overflowed); now it is just not a token of ours."""
    text = str(value)
    if not text.isascii() or not text.isdecimal() or len(text) > 10:
        raise InvalidToken(f"{what} is not a small integer")
    number = int(text)
    if not low <= number <= MAX_ID:
        raise InvalidToken(f"{what} out of range")
    return number


#: Tokens whose signature and claims were checked, by (secret, token): (exp, claims). Every API
#: request showed its token, and PyJWT's decode was ~5 % of a registration's CPU; a token's
#: bytes verify the same every time, so only its expiry is checked again. Only good tokens are
#: kept (a stranger cannot fill it), and it is emptied when full.
_VERIFIED: dict[tuple[str, str], tuple[float, TokenClaims]] = {}
_VERIFIED_MAX = 4096


def claims_of(token: str) -> TokenClaims:
    """The user and version a token was issued to; ``InvalidToken`` otherwise."""
    key = (get_settings().secret_key, token)
    known = _VERIFIED.get(key)
    if known is not None:
        exp, checked = known
        if exp <= utcnow().timestamp():  # PyJWT's own rule: expired once exp <= now
            raise InvalidToken("Signature has expired")
        _within_lifetime(exp)  # a clock stepped back makes it too far ahead again
        return checked
    claims = _decode(token)
    checked = _checked(claims)
    if "nbf" not in claims and "iat" not in claims:  # we never issue them; PyJWT checks them
        if len(_VERIFIED) >= _VERIFIED_MAX:
            _VERIFIED.clear()
        _VERIFIED[key] = (int(claims["exp"]), checked)  # PyJWT compares int(exp)
    return checked


def _decode(token: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(token, get_settings().secret_key, algorithms=[ALGORITHM],
                            options={"require": ["exp", "sub", "ver"]})
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise InvalidToken(str(exc)) from exc
    return claims


def _within_lifetime(exp: float) -> None:
    # We never issue a longer life than the setting; a day of slack covers a shortened setting
    # and clocks that disagree. A far-future exp (10**30) is not a token of ours.
    latest = utcnow().timestamp() + get_settings().token_minutes * 60 + 86_400
    if not exp <= latest:
        raise InvalidToken("exp beyond the configured lifetime")


def _checked(claims: dict[str, Any]) -> TokenClaims:
    _within_lifetime(claims["exp"])
    if type(claims["ver"]) is not int:  # we issue a JSON number; not a string, not a bool
        raise InvalidToken("ver is not an integer")
    return TokenClaims(_bounded(claims["sub"], "sub", 1), _bounded(claims["ver"], "ver", 0))
