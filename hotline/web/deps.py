"""Request dependencies: the session, the authenticated actor, role checks."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session, col, select

from hotline.core.db import session_scope
from hotline.core.errors import Forbidden, Unauthorized
from hotline.core.settings import get_settings
from hotline.core.times import utcnow
from hotline.units.actor import Actor
from hotline.units.models import Unit, User

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
ALGORITHM = "HS256"
COOKIE = "hotline_token"


def get_session() -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back on error."""
    with session_scope() as session:
        yield session
    if session.info.pop("outbox_written", False):
        kick_relay()


def kick_relay() -> None:
    """An emergency hand-over should not wait for the next timer tick: send it now."""
    settings = get_settings()
    if settings.redis_url:
        from hotline.workers.jobs import relay_outbox
        from hotline.workers.queue import queue

        queue().enqueue(relay_outbox)
    elif settings.embedded_jobs:
        import threading

        from hotline.workers.jobs import relay_outbox

        threading.Thread(target=relay_outbox, name="relay-kick", daemon=True).start()


# scope="function": commit before the response is sent, so a 201 means it is durable and the
# SQLite write lock is not held while a slow client reads the answer.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token_for(token: str) -> str:
    """The CSRF token bound to a session token (the pages use the same one)."""
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"csrf|{token}".encode(), hashlib.sha256).hexdigest()[:40]


def issue_token(user: User) -> str:
    s = get_settings()
    claims = {"sub": str(user.id), "role": user.role, "unit": user.unit_id,
              "exp": utcnow() + timedelta(minutes=s.token_minutes)}
    return jwt.encode(claims, s.secret_key, algorithm=ALGORITHM)


def _decode(token: str) -> int:
    try:
        claims = jwt.decode(token, get_settings().secret_key, algorithms=[ALGORITHM])
        return int(claims["sub"])
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise Unauthorized("登录已失效，请重新登录", title="登录已失效") from exc


def current_actor(
    session: SessionDep, request: Request, token: Annotated[str | None, Depends(oauth2)]
) -> Actor:
    if not token and (cookie := request.cookies.get(COOKIE)):
        # A cookie is sent by the browser on its own: an unsafe method must prove it came from
        # our pages (CSRF token), exactly as the pages' forms do.
        if request.method not in SAFE_METHODS and not hmac.compare_digest(
                request.headers.get("x-csrf-token", ""), csrf_token_for(cookie)):
            raise Forbidden("缺少或无效的 CSRF 令牌", title="请求来源无法确认")
        token = cookie
    if not token:
        raise Unauthorized("需要登录后访问")
    row = session.exec(
        select(User, Unit).join(Unit, col(Unit.id) == col(User.unit_id))
        .where(User.id == _decode(token))
    ).first()
    if row is None or not row[0].active:
        raise Unauthorized("用户不存在或已停用", title="登录已失效")
    return Actor(user=row[0], unit=row[1])


ActorDep = Annotated[Actor, Depends(current_actor)]


def require_roles(*roles: str):  # type: ignore[no-untyped-def]
    def check(actor: ActorDep) -> Actor:
        if actor.role not in roles:
            raise Forbidden("您的角色无权访问此功能")
        return actor

    return Depends(check)
