"""The request dependencies every API route and every page uses: one unit of work per request,
and the authenticated actor.

One session per request, opened once and committed before the response is sent (so a 201 means
durable, and SQLite's write lock is not held while a slow client reads); its on-commit hooks run
then (``hotline.core.db``). The actor is loaded through that same session. The API answers a
missing or bad login with 401; a page redirects to the login form (``LoginRequired``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.params import Depends as DependsParam
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session, col, select
from starlette.datastructures import FormData

from hotline.core.db import unit_of_work
from hotline.core.errors import Forbidden, Unauthorized
from hotline.units.actor import Actor
from hotline.units.auth import InvalidToken, user_id_of
from hotline.units.models import Role, Unit, User
from hotline.web.csrf import SESSION_COOKIE, header_matches

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(Exception):
    """No valid session on a page: it redirects to the login form."""


def get_session() -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back on error."""
    with unit_of_work() as session:
        yield session


# scope="function": commit before the response is sent.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def _load(session: Session, token: str) -> Actor | None:
    try:
        user_id = user_id_of(token)
    except InvalidToken:
        return None
    row = session.exec(select(User, Unit).join(Unit, col(Unit.id) == col(User.unit_id))
                       .where(User.id == user_id)).first()
    if row is None or not row[0].active:
        return None
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


async def read_form(request: Request) -> FormData:
    """A page's posted form, read on the event loop so the handler itself can run in a thread."""
    return await request.form()


FormDep = Annotated[FormData, Depends(read_form)]


async def read_body(request: Request) -> bytes:
    """A raw body (a peer's signed message), read on the event loop for a sync handler."""
    return await request.body()


BodyDep = Annotated[bytes, Depends(read_body)]


def require_roles(*roles: Role) -> DependsParam:
    """An API route's role check, as a dependency."""

    def check(actor: ActorDep) -> Actor:
        if actor.role not in roles:
            raise Forbidden("您的角色无权访问此功能")
        return actor

    return Depends(check)
