"""Who is acting, as request dependencies: the API's bearer token or the pages' cookie, loaded
through the request's one session. The API answers a missing or bad login with 401; a page
redirects to the login form.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.params import Depends as DependsParam
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from hotline.core.errors import Forbidden, Unauthorized
from hotline.units.actor import Actor
from hotline.units.auth import InvalidToken, claims_of
from hotline.units.models import Role, Unit, User
from hotline.web.csrf import SESSION_COOKIE, header_matches
from hotline.web.deps import LoginRequired, SessionDep

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Built once: every request runs it, and building the expressions anew cost more CPU than the
#: query itself (SQLAlchemy also memoises the cache key of a statement object it has seen).
_ACTOR = (select(User, Unit).join(Unit, col(Unit.id) == col(User.unit_id))
          .where(col(User.id) == bindparam("user_id")))


def _load(session: Session, token: str) -> Actor | None:
    try:
        claims = claims_of(token)
    except InvalidToken:
        return None
    row = session.exec(_ACTOR, params={"user_id": claims.user_id}).first()
    if row is None or not row[0].active or row[0].token_version != claims.version:
        return None  # unknown, deactivated, or a token revoked by sign-out or a change
    return Actor(user=row[0], unit=row[1])


def current_actor(session: SessionDep, request: Request,
                  token: Annotated[str | None, Depends(oauth2)]) -> Actor:
    """The API's caller: a bearer token, or the pages' cookie with its CSRF header."""
    if not token and (cookie := request.cookies.get(SESSION_COOKIE)):
        # A cookie is sent by the browser on its own: an unsafe method must prove it came from
        # our pages (CSRF token), exactly as the pages' forms do.
        if request.method not in SAFE_METHODS and not header_matches(request, cookie):
            raise Forbidden("缺少或无效的 CSRF 令牌", title="请求来源无法确认")
        token = cookie
    if not token:
        raise Unauthorized("需要登录后访问")
    actor = _load(session, token)
    if actor is None:
        raise Unauthorized("登录已失效或用户已停用，请重新登录", title="登录已失效")
    return actor


ActorDep = Annotated[Actor, Depends(current_actor)]


def page_actor(session: SessionDep, request: Request) -> Actor:
    """The logged-in user of a page (the CSRF check of a POST happens before, in ``WebRoute``)."""
    token = request.cookies.get(SESSION_COOKIE)
    actor = _load(session, token) if token else None
    if actor is None:
        raise LoginRequired
    return actor


def optional_page_actor(session: SessionDep, request: Request) -> Actor | None:
    """Public pages show the navigation when someone is logged in."""
    try:
        return page_actor(session, request)
    except LoginRequired:
        return None


PageActorDep = Annotated[Actor, Depends(page_actor)]
MaybeActorDep = Annotated[Actor | None, Depends(optional_page_actor)]


def require_roles(*roles: Role) -> DependsParam:
    """An API route's role check, as a dependency."""

    def check(actor: ActorDep) -> Actor:
        if actor.role not in roles:
            raise Forbidden("您的角色无权访问此功能")
        return actor

    return Depends(check)
