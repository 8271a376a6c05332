"""Who is acting, as request dependencies: the API's bearer token or the pages' cookie, loaded
through the request's one session. The API answers a missing or bad login with 401; a page
redirects to the login form.

The token is checked on the event loop (it needs no database); the user is loaded, and the role
checked, in the handler's thread as deferred work (``hotline.web.request_work``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.params import Depends as DependsParam
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from hotline.core.errors import Forbidden, Unauthorized
from hotline.units.actor import Actor
from hotline.units.auth import InvalidToken, TokenClaims, claims_of
from hotline.units.models import Role, Unit, User
from hotline.web.csrf import SESSION_COOKIE, header_matches
from hotline.web.deps import LoginRequired, WorkDep
from hotline.web.request_work import Deferred

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Built once: every request runs it, and building the expressions anew cost more CPU than the
#: query itself (SQLAlchemy also memoises the cache key of a statement object it has seen).
_ACTOR = (select(User, Unit).join(Unit, col(Unit.id) == col(User.unit_id))
          .where(col(User.id) == bindparam("user_id")))


def _claims(token: str) -> TokenClaims | None:
    try:
        return claims_of(token)
    except InvalidToken:
        return None


def _load(session: Session, claims: TokenClaims) -> Actor | None:
    row = session.exec(_ACTOR, params={"user_id": claims.user_id}).first()
    if row is None or not row[0].active or row[0].token_version != claims.version:
        return None  # unknown, deactivated, or a token revoked by sign-out or a change
    return Actor(user=row[0], unit=row[1])


def _api_actor(claims: TokenClaims) -> Callable[[Session], Actor]:
    def load(session: Session) -> Actor:
        actor = _load(session, claims)
        if actor is None:
            raise Unauthorized("登录已失效或用户已停用，请重新登录", title="登录已失效")
        return actor

    return load


async def current_actor(work: WorkDep, request: Request,
                        token: Annotated[str | None, Depends(oauth2)]) -> Deferred[Actor]:
    """The API's caller: a bearer token, or the pages' cookie with its CSRF header. What needs
    no database is checked here; the user is loaded in the handler's thread."""
    if not token and (cookie := request.cookies.get(SESSION_COOKIE)):
        # A cookie is sent by the browser on its own: an unsafe method must prove it came from
        # our pages (CSRF token), exactly as the pages' forms do.
        if request.method not in SAFE_METHODS and not header_matches(request, cookie):
            raise Forbidden("缺少或无效的 CSRF 令牌", title="请求来源无法确认")
        token = cookie
    if not token:
        raise Unauthorized("需要登录后访问")
    claims = _claims(token)
    if claims is None:
        raise Unauthorized("登录已失效或用户已停用，请重新登录", title="登录已失效")
    return work.defer(_api_actor(claims))


#: What a handler declares: it receives the ``Actor``.
ActorDep = Annotated[Actor, Depends(current_actor)]
#: What a dependency declares to check the actor once loaded (the same object).
DeferredActorDep = Annotated[Deferred[Actor], Depends(current_actor)]


def _page_actor(claims: TokenClaims | None) -> Callable[[Session], Actor]:
    def load(session: Session) -> Actor:
        actor = _load(session, claims) if claims else None
        if actor is None:
            raise LoginRequired
        return actor

    return load


def _maybe_page_actor(claims: TokenClaims | None) -> Callable[[Session], Actor | None]:
    def load(session: Session) -> Actor | None:
        return _load(session, claims) if claims else None

    return load


async def page_actor(work: WorkDep, request: Request) -> Deferred[Actor]:
    """The logged-in user of a page (the CSRF check of a POST happens before, in ``WebRoute``)."""
    token = request.cookies.get(SESSION_COOKIE)
    claims = _claims(token) if token else None
    if claims is None:
        raise LoginRequired
    return work.defer(_page_actor(claims))


async def optional_page_actor(work: WorkDep, request: Request) -> Deferred[Actor | None]:
    """Public pages show the navigation when someone is logged in."""
    token = request.cookies.get(SESSION_COOKIE)
    return work.defer(_maybe_page_actor(_claims(token) if token else None))


PageActorDep = Annotated[Actor, Depends(page_actor)]
MaybeActorDep = Annotated[Actor | None, Depends(optional_page_actor)]


def require_roles(*roles: Role) -> DependsParam:
    """An API route's role check, as a dependency (done with the actor, in the handler's thread,
    before the handler)."""

    def check(actor: Actor) -> None:
        if actor.role not in roles:
            raise Forbidden("您的角色无权访问此功能")

    async def require(work: WorkDep, actor: DeferredActorDep) -> None:
        work.defer(lambda _session: check(actor.value))

    return Depends(require)
