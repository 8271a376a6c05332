"""A request's database work in one thread hop (``hotline.web.request_work``): the session, the
actor, the role checks and the handler share one worker thread and one connection, and a refused
request writes nothing."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import anyio.to_thread
import pytest
from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import event, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.routing import BaseRoute

from hotline.tickets.models import Ticket
from hotline.units.deps import ActorDep, require_roles
from hotline.units.models import Role, Unit, User
from hotline.web.deps import get_session
from hotline.web.request_work import WorkRoute

from .conftest import City


def _routes(routes: list[BaseRoute]) -> Iterator[BaseRoute]:
    for route in routes:
        inner = getattr(route, "original_router", None)  # FastAPI keeps included routers nested
        if inner is not None:
            yield from _routes(inner.routes)
        else:
            yield route


def _takes_the_session(dependant: Dependant) -> bool:
    return any(d.call is get_session or _takes_the_session(d) for d in dependant.dependencies)


def test_every_route_that_takes_the_session_is_a_work_route(client: TestClient) -> None:
    """Outside a ``WorkRoute`` a handler would be handed the placeholders, not the session."""
    routes = [r for r in _routes(client.app.routes) if isinstance(r, APIRoute)]  # type: ignore[attr-defined]
    with_session = [r for r in routes if _takes_the_session(r.dependant)]
    assert {"register", "workspace", "board"} <= {r.name for r in with_session}  # API, pages
    assert [r.path for r in with_session if not isinstance(r, WorkRoute)] == []


@pytest.fixture
def counted(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """Hops onto the thread pool (FastAPI and Starlette both hop through anyio) and connections
    taken from the pool, since the last reset."""
    counts = {"hops": 0, "checkouts": 0}
    run_sync = anyio.to_thread.run_sync

    async def counting(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        counts["hops"] += 1
        return await run_sync(func, *args, **kwargs)

    def checkout(*_: object) -> None:
        counts["checkouts"] += 1

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    event.listen(engine, "checkout", checkout)
    yield counts
    event.remove(engine, "checkout", checkout)


def test_a_request_hops_once_and_takes_one_connection(
        client: TestClient, headers: Callable[[str], dict[str, str]],
        counted: dict[str, int]) -> None:
    """A registration made five hops (the session's enter and exit, the actor, the handler, the
    response's validation) before; each is a wake-up and a hand-over of the GIL (issue 13)."""
    agent, supervisor = headers("agent"), headers("supervisor")
    body = {"caller_phone": "13812345678", "request_type": "投诉",
            "content": "小区门口夜市摊贩占道经营，油烟噪声扰民。", "address": "东城区东华街道东华路"}
    calls = [("POST", "/api/v1/tickets", agent, body), ("GET", "/api/v1/tickets", agent, None),
             ("GET", "/api/v1/me", agent, None),
             ("GET", "/api/v1/supervision/board", supervisor, None)]  # a role check as well
    for method, path, auth, json in calls:
        counted.update(hops=0, checkouts=0)
        r = client.request(method, path, headers=auth, json=json)
        assert r.status_code in (200, 201), r.text
        assert counted == {"hops": 1, "checkouts": 1}, (method, path)


@pytest.fixture
def spied(city: City) -> Iterator[tuple[TestClient, list[str]]]:
    """The app with two routes of a test router that record whether their handler ran: one
    checked only by ``dependencies=[require_roles(...)]``, one that takes the actor."""
    from hotline.app import create_app

    ran: list[str] = []
    spy = APIRouter(route_class=WorkRoute)

    @spy.post("/admin-only", dependencies=[require_roles(Role.admin)])
    def admin_only() -> dict[str, bool]:
        ran.append("admin-only")
        return {"ok": True}

    @spy.post("/acting")
    def acting(actor: ActorDep) -> dict[str, str]:
        ran.append(actor.user.username)
        return {"user": actor.user.username}

    app = create_app()
    app.include_router(spy, prefix="/api/v1/spy")
    with TestClient(app) as client:
        yield client, ran


def test_a_refused_role_never_reaches_the_handler(
        spied: tuple[TestClient, list[str]], headers: Callable[[str], dict[str, str]]) -> None:
    """The role check runs in the handler's thread, but before the handler."""
    client, ran = spied
    r = client.post("/api/v1/spy/admin-only", headers=headers("agent"))
    assert r.status_code == 403, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert ran == []
    assert client.post("/api/v1/spy/admin-only", headers=headers("admin")).status_code == 200
    assert ran == ["admin-only"]


def test_a_revoked_token_never_reaches_the_handler(
        spied: tuple[TestClient, list[str]], headers: Callable[[str], dict[str, str]]) -> None:
    """The token's signature is checked on the event loop; whether it was revoked needs the
    database and is checked in the handler's thread, before the handler."""
    client, ran = spied
    agent = dict(headers("agent"))
    assert client.post("/api/v1/spy/acting", headers=agent).json() == {"user": "agent"}
    assert client.post("/api/v1/auth/logout", headers=agent).status_code == 204
    r = client.post("/api/v1/spy/acting", headers=agent)
    assert r.status_code == 401, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert ran == ["agent"]


def test_who_may_not_act_learns_that_before_the_schema(
        client: TestClient, engine: Engine, headers: Callable[[str], dict[str, str]]) -> None:
    """FastAPI refuses a bad body (422) before the handler, so before the deferred checks:
    ``WorkRoute`` runs them first, so a wrong role still gets 403 and a revoked token 401, never
    the command's field errors."""
    with Session(engine) as session:
        before = session.exec(select(func.count()).select_from(Unit)).one()
    agent = dict(headers("agent"))
    r = client.post("/api/v1/units", headers=agent, json={"name": ""})
    assert r.status_code == 403, r.text
    assert client.post("/api/v1/units", headers=headers("admin"),
                       json={"name": ""}).status_code == 422  # the admin may learn the schema
    assert client.post("/api/v1/auth/logout", headers=agent).status_code == 204
    r = client.post("/api/v1/tickets", headers=agent, json={"content": 1})
    assert r.status_code == 401, r.text
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Unit)).one() == before
        assert session.exec(select(func.count()).select_from(Ticket)).one() == 0


def test_only_a_plain_sync_handler_may_take_the_session_or_an_actor() -> None:
    """An async (or generator) handler would be handed the placeholders, its role checks never
    run: such a route is refused where it is declared, not served open."""
    router = APIRouter(route_class=WorkRoute)
    with pytest.raises(TypeError, match="plain sync"):
        @router.get("/async-acting")
        async def async_acting(actor: ActorDep) -> None:
            return None
    with pytest.raises(TypeError, match="plain sync"):
        @router.get("/async-checked", dependencies=[require_roles(Role.admin)])
        async def async_checked() -> None:
            return None

    @router.get("/async-public")
    async def async_public() -> dict[str, bool]:  # no session, no actor: left to FastAPI
        return {"ok": True}


def test_pages_redirect_to_the_login_when_the_user_is_gone(
        client: TestClient, engine: Engine, city: City) -> None:
    """A page's user is loaded in the handler's thread too: a deactivated user's cookie is sent
    to the login form, not served the page."""
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert csrf is not None
    r = client.post("/login", data={"username": "agent", "password": "demo",
                                    "csrf_token": csrf.group(1)}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert client.get("/app", follow_redirects=False).headers["location"] != "/login"
    with Session(engine) as session:
        user = session.get(User, city.users["agent"].id)
        assert user is not None
        user.active = False
        session.add(user)
        session.commit()
    r = client.get("/app", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login")
