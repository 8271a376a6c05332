"""A request's database work, done in one hop onto the thread pool.

FastAPI runs every sync dependency and every sync handler on the thread pool, each a hop of its
own. A registration made five (the session's enter, the actor, the handler, the response's
validation, the session's exit), and each hop costs the event loop and the worker thread a
wake-up and a hand-over of the GIL: about a sixth of the API's CPU per registration (issue 13,
bench/RESULTS.md "Intake in one hop").

So the dependencies that need the database do none of it. On the event loop, without I/O,
``get_session`` hands out the request's ``RequestWork``, and the actor dependencies hand out
``Deferred`` placeholders (after checking what needs no database: a token's signature, a
cookie's CSRF header). ``WorkRoute`` then runs, in one worker thread: the request's unit of work
on its one connection, every deferred load and check in the order the dependencies asked for
them, the handler with the placeholders replaced by their values, the validation of what it
returned, and the commit. An error anywhere rolls the whole back, as before.

A handler that needs no database (and an ``async`` one, or a generator) is left as FastAPI runs
it. Every route that takes the session must be a ``WorkRoute`` (the pages' ``WebRoute`` is one):
a test walks the app and holds every router to it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_typed_return_annotation, get_typed_signature
from fastapi.exceptions import RequestValidationError, ResponseValidationError
from fastapi.routing import APIRoute
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from hotline.core.db import unit_of_work

if TYPE_CHECKING:
    from fastapi._compat import ModelField

T = TypeVar("T")
_KEY = "hotline.request_work"
_REQUEST = "hotline_request_"  # the hidden parameter through which the route gets its request
_UNSET: Any = object()


class Deferred(Generic[T]):
    """A dependency's value that needs the database: worked out in the handler's thread, inside
    the request's unit of work, before the handler runs."""

    __slots__ = ("_resolve", "_value")

    def __init__(self, resolve: Callable[[Session], T]) -> None:
        self._resolve = resolve
        self._value: T = _UNSET

    def resolve(self, session: Session) -> None:
        self._value = self._resolve(session)

    @property
    def value(self) -> T:
        if self._value is _UNSET:  # fail closed: a check must never pass on a value not loaded
            raise RuntimeError("a deferred value read before the request's work resolved it")
        return self._value


class RequestWork:
    """What a request will do with the database, gathered by its dependencies on the event loop
    and done by ``WorkRoute`` in the handler's thread."""

    __slots__ = ("_deferred", "write")

    def __init__(self, *, write: bool) -> None:
        self.write = write
        self._deferred: list[Deferred[Any]] = []

    @classmethod
    def of(cls, request: Request, *, write: bool) -> RequestWork:
        work = request.scope.get(_KEY)
        if work is None:
            work = request.scope[_KEY] = cls(write=write)
        return work

    def defer(self, resolve: Callable[[Session], T]) -> Deferred[T]:
        """``resolve(session)`` runs in the handler's thread, after every deferral asked for
        before it; what it raises (401, 403, a redirect to the login) answers the request."""
        deferred = Deferred(resolve)
        self._deferred.append(deferred)
        return deferred

    def run(self, handler: Callable[..., Any], values: dict[str, Any],
            field: ModelField | None) -> Any:
        with unit_of_work(write=self.write) as session:
            for deferred in self._deferred:
                deferred.resolve(session)
            args = {name: _value_of(value, session) for name, value in values.items()}
            return _validated(handler(**args), field)

    def check(self) -> None:
        """Only the deferred loads and checks, in a read: for a request refused before its
        handler (422), so who may not act learns that first (401/403), as before."""
        if self._deferred:
            with unit_of_work(write=False) as session:
                for deferred in self._deferred:
                    deferred.resolve(session)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> RequestWork:
    """The request's unit of work: opened by ``WorkRoute`` in the handler's thread, on one
    connection, and committed when the handler returns, rolled back on error. GET/HEAD are reads
    (no write lock on SQLite); the rest write. The handler receives the ``Session``
    (``hotline.web.deps.SessionDep``)."""
    return RequestWork.of(request, write=request.method not in SAFE_METHODS)


def _takes_the_session(dependant: Dependant) -> bool:
    return any(d.call is get_session or _takes_the_session(d) for d in dependant.dependencies)


def _value_of(value: Any, session: Session) -> Any:
    if isinstance(value, RequestWork):
        return session
    if isinstance(value, Deferred):
        return value.value
    return value


def _validated(result: Any, field: ModelField | None) -> Any:
    """The response model's validation, done here while the unit of work is still open (as
    FastAPI does it for a sync handler, before the session's exit). FastAPI validates the
    result again on the event loop; a model instance passes through as it is."""
    if field is None or isinstance(result, Response):
        return result
    value, errors = field.validate(result, {}, loc=("response",))
    if errors:
        raise ResponseValidationError(errors=errors, body=result)
    return value


def _in_one_hop(handler: Callable[..., Any], route: APIRoute) -> Callable[..., Any]:
    """``handler`` as an async endpoint with the same parameters (and one hidden: the request)
    that hops onto the thread pool once for all of the request's database work."""
    signature = get_typed_signature(handler)  # annotations evaluated in the handler's module
    params = list(signature.parameters.values())
    # FastAPI hands the request to one parameter only: the handler's own, if it has one.
    own = next((p.name for p in params if p.annotation is Request), None)
    if own is None:
        params.append(inspect.Parameter(_REQUEST, inspect.Parameter.KEYWORD_ONLY,
                                        annotation=Request))

    def work(request: Request, values: dict[str, Any]) -> Any:
        request_work = request.scope.get(_KEY)
        if request_work is None:  # no dependency asked for the database
            return _validated(handler(**values), route.response_field)
        return request_work.run(handler, values, route.response_field)

    async def endpoint(**values: Any) -> Any:
        request = values[own] if own else values.pop(_REQUEST)
        return await run_in_threadpool(work, request, values)

    returns = get_typed_return_annotation(handler)
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        params,
        return_annotation=inspect.Signature.empty if returns is None else returns)
    for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
        setattr(endpoint, attr, getattr(handler, attr, None))
    return endpoint


class WorkRoute(APIRoute):
    """The route class of every API router and (through ``WebRoute``) every page: a plain sync
    handler runs with its dependencies' database work in one thread hop.

    Only plain sync handlers may take the session or an actor: an ``async`` or generator handler
    would be handed the placeholders with nothing to resolve them (and its role checks never
    run), so such a route is refused when it is declared. Overriding ``get_session`` or the
    actor dependencies (``app.dependency_overrides``) must keep their placeholder types."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        plain_sync = not (inspect.iscoroutinefunction(endpoint)
                          or inspect.isgeneratorfunction(endpoint)
                          or inspect.isasyncgenfunction(endpoint))
        super().__init__(path, _in_one_hop(endpoint, self) if plain_sync else endpoint, **kwargs)
        if not plain_sync and _takes_the_session(self.dependant):
            raise TypeError(f"{path}: a handler that takes the session or an actor must be a "
                            "plain sync function (hotline.web.request_work)")

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except RequestValidationError:
                # FastAPI refuses a bad request before the handler, so before the deferred
                # checks: run them first, or a revoked token or a wrong role would be told
                # the command's schema (422) where it was refused (401/403) before.
                work = request.scope.get(_KEY)
                if work is not None:
                    await run_in_threadpool(work.check)
                raise

        return handler
