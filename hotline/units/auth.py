"""Access tokens: what a login hands out (the API's bearer token, the pages' cookie)."""

from __future__ import annotations

from datetime import timedelta

import jwt

from hotline.core.settings import get_settings
from hotline.core.times import utcnow
from hotline.units.models import User

ALGORITHM = "HS256"


class InvalidToken(Exception):
    """Not a token we issued, expired, or malformed."""


def issue_token(user: User) -> str:
    s = get_settings()
    claims = {"sub": str(user.id), "role": str(user.role), "unit": user.unit_id,
              "exp": utcnow() + timedelta(minutes=s.token_minutes)}
    return jwt.encode(claims, s.secret_key, algorithm=ALGORITHM)


def user_id_of(token: str) -> int:
    """The user a token was issued to; ``InvalidToken`` otherwise."""
    try:
        claims = jwt.decode(token, get_settings().secret_key, algorithms=[ALGORITHM])
        return int(claims["sub"])
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise InvalidToken(str(exc)) from exc
