"""The request dependencies every API route and every page uses: one unit of work per request,
and the body read before a sync handler runs.

One session per request, opened once and committed before the response is sent (so a 201 means
durable, and SQLite's write lock is not held while a slow client reads); its on-commit hooks run
then (``hotline.core.db``). Who is acting is loaded through that same session
(``hotline.units.deps``). Both are done in the handler's thread (``hotline.web.request_work``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session
from starlette.datastructures import FormData

from hotline.web.request_work import RequestWork
from hotline.web.request_work import get_session as get_session  # where handlers look for it


class LoginRequired(Exception):
    """No valid session on a page: ``WebRoute`` redirects to the login form."""


#: What a handler declares: it receives the request's ``Session``.
SessionDep = Annotated[Session, Depends(get_session)]
#: What a dependency declares to defer database work to the handler's thread (the same object).
WorkDep = Annotated[RequestWork, Depends(get_session)]


async def read_form(request: Request) -> FormData:
    """A page's posted form, read on the event loop so the handler itself can run in a thread."""
    return await request.form()


FormDep = Annotated[FormData, Depends(read_form)]


async def read_body(request: Request) -> bytes:
    """A raw body (a peer's signed message), read on the event loop for a sync handler."""
    return await request.body()


BodyDep = Annotated[bytes, Depends(read_body)]
