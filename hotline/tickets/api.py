"""Tickets over HTTP: register, list, read, the workflow's transitions, and the caller's
public progress lookup (CQ §11)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Header, Query, Request, Response, status

from hotline.core.errors import Invalid, NotFound
from hotline.core.ids import DbIdQuery
from hotline.core.times import utcnow
from hotline.tickets.commands import apply, create_ticket, facts_for, visible_ticket
from hotline.tickets.models import Status
from hotline.tickets.payloads import ActionPayload
from hotline.tickets.reading import (
    TicketFilter,
    list_tickets,
    public_progress,
    ticket_detail,
    ticket_summary,
)
from hotline.tickets.schemas import (
    ActionInfo,
    PublicProgress,
    RequestType,
    TicketCreate,
    TicketDetail,
    TicketPage,
    TicketSummary,
)
from hotline.tickets.workflow import allowed_actions
from hotline.units.deps import ActorDep
from hotline.web.deps import SessionDep
from hotline.web.query import KnownQuery
from hotline.web.ratelimit import limiter

router = APIRouter(prefix="/tickets", tags=["tickets"])
public_router = APIRouter(prefix="/public", tags=["public"])
routers = (router, public_router)


@router.post("", response_model=TicketSummary, status_code=status.HTTP_201_CREATED,
             summary="登记诉求（可同时做出处置决定）；返回工单编号与概要，详情见 Location")
def register(session: SessionDep, actor: ActorDep, data: TicketCreate,
             response: Response) -> TicketSummary:
    ticket = create_ticket(session, actor, data)
    session.flush()
    response.headers["Location"] = f"/api/v1/tickets/{ticket.number}"
    return ticket_summary(session, actor, ticket)


@router.get("", response_model=TicketPage, summary="工单列表（按角色与单位范围）",
            dependencies=[KnownQuery])
def search(
    session: SessionDep, actor: ActorDep,
    status_: Annotated[list[Status] | None, Query(alias="status")] = None,
    unit_id: DbIdQuery = None,
    warning: Literal["normal", "at_risk", "overdue"] | None = None,
    overdue: bool | None = None,
    request_type: RequestType | None = None,
    category: Annotated[str | None, Query(max_length=200)] = None,
    q: Annotated[str | None, Query(max_length=100, description="内容、地址、编号")] = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> TicketPage:
    for value in (created_from, created_to):
        if value is not None and value.tzinfo is None:
            raise Invalid("时间须带时区，例如 2026-11-21T08:00:00+08:00", title="时间格式不正确")
    flt = TicketFilter(status=list(status_) if status_ else None, unit_id=unit_id,
                       warning=warning, overdue=overdue, request_type=request_type,
                       category=category, q=q, created_from=created_from,
                       created_to=created_to)
    items, total = list_tickets(session, actor, flt, page=page, page_size=page_size)
    return TicketPage(items=items, total=total, page=page, page_size=page_size)


@router.get("/{number}", response_model=TicketDetail, summary="工单详情：历史、时限、预警")
def read(session: SessionDep, actor: ActorDep, number: str) -> TicketDetail:
    return ticket_detail(session, actor, number)


@router.get("/{number}/transitions", response_model=list[ActionInfo],
            summary="当前用户此刻可执行的操作（读自流程表）")
def transitions(session: SessionDep, actor: ActorDep, number: str) -> list[ActionInfo]:
    ticket = visible_ticket(session, actor, number)
    facts = facts_for(session, actor, ticket, utcnow())
    return [
        ActionInfo(action=t.action, label=t.label, rule=t.rule,
                   next_states=sorted(t.targets()) if (t.target or t.branch_on) else [ticket.status],
                   schema=t.payload.model_json_schema())
        for t in allowed_actions(facts)
    ]


@router.post("/{number}/transitions", response_model=TicketDetail,
             summary="执行一项操作；版本不符返回 409")
def perform(
    session: SessionDep, actor: ActorDep, number: str,
    payload: Annotated[ActionPayload, Body()],
    if_match: Annotated[str | None, Header(description="工单版本号，等同 version")] = None,
) -> TicketDetail:
    ticket = visible_ticket(session, actor, number)
    if if_match and payload.version is None:
        try:
            payload.version = int(if_match.strip('"W/'))
        except ValueError as exc:
            raise Invalid("If-Match 须为工单版本号") from exc
    apply(session, actor, ticket, payload)
    session.flush()
    # The actor's own command answered once, even when it took the ticket out of their view.
    return ticket_detail(session, actor, number, just_acted=True)


@public_router.get("/tickets/{number}", response_model=PublicProgress, summary="来电人查询办理进度")
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
