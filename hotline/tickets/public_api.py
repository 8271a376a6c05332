"""The caller's progress lookup (CQ §11): number + last four digits of the phone, nothing personal."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from hotline.core.errors import NotFound
from hotline.tickets.reading import public_progress
from hotline.tickets.schemas import PublicProgress
from hotline.web.deps import SessionDep
from hotline.web.ratelimit import limiter

router = APIRouter(prefix="/public", tags=["public"])


@router.get("/tickets/{number}", response_model=PublicProgress, summary="来电人查询办理进度")
def progress(
    session: SessionDep, request: Request, number: str,
    phone_last4: Annotated[str, Query(pattern=r"^\d{4}$", description="来电手机号后四位")],
) -> PublicProgress:
    limiter.check(request.client.host if request.client else "?", number)
    try:
        return public_progress(session, number, phone_last4)
    except NotFound:
        limiter.failed(number)
        raise
