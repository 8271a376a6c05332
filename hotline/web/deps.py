"""The request dependencies every API route and every page uses: one unit of work per request,
and the body read before a sync handler runs.

One session per request, opened once and committed before the response is sent (so a 201 means
durable, and SQLite's write lock is not held while a slow client reads); its on-commit hooks run
then (``hotline.core.db``). Who is acting is loaded through that same session
(``hotline.units.deps``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session
from starlette.datastructures import FormData

from hotline.core.db import unit_of_work


class LoginRequired(Exception):
    """No valid session on a page: ``WebRoute`` redirects to the login form."""


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(request: Request) -> Iterator[Session]:
    """One unit of work per request, on one connection: committed when the handler returns,
    rolled back on error. GET/HEAD are reads (no write lock on SQLite); the rest write."""
    with unit_of_work(write=request.method not in SAFE_METHODS) as session:
        yield session


# scope="function": commit before the response is sent.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


async def read_form(request: Request) -> FormData:
    """A page's posted form, read on the event loop so the handler itself can run in a thread."""
    return await request.form()


FormDep = Annotated[FormData, Depends(read_form)]


async def read_body(request: Request) -> bytes:
    """A raw body (a peer's signed message), read on the event loop for a sync handler."""
    return await request.body()


BodyDep = Annotated[bytes, Depends(read_body)]
