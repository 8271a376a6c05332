"""Tickets: register, list, read, and the workflow's transitions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Header, Query, Response, status
from sqlmodel import Session

from hotline.core.errors import Forbidden, Invalid
from hotline.core.ids import DbIdQuery
from hotline.core.times import utcnow
from hotline.tickets.commands import apply, facts_for, visible_ticket
from hotline.tickets.reading import (
    TicketFilter,
    create_ticket,
    list_tickets,
    ticket_detail,
    ticket_summary,
)
from hotline.tickets.schemas import (
    ActionInfo,
    TicketCreate,
    TicketDetail,
    TicketPage,
    TicketSummary,
)
from hotline.tickets.workflow import ActionPayload, Status, allowed_actions
from hotline.units.actor import Actor
from hotline.web.deps import ActorDep, SessionDep

router = APIRouter(prefix="/tickets", tags=["tickets"])

StatusParam = Literal[tuple(s.value for s in Status)]  # type: ignore[valid-type]


def _acted(session: Session, actor: Actor, number: str) -> TicketDetail:
    """The result of the actor's own command (visible to them once, even after a return)."""
    session.flush()
    return ticket_detail(session, actor, number, just_acted=True)


@router.post("", response_model=TicketSummary, status_code=status.HTTP_201_CREATED,
             summary="登记诉求（可同时做出处置决定）；返回工单编号与概要，详情见 Location")
def register(session: SessionDep, actor: ActorDep, data: TicketCreate,
             response: Response) -> TicketSummary:
    if not actor.hotline_side:
        raise Forbidden("只有话务员、督办人员可以登记工单")
    ticket = create_ticket(session, actor, data)
    session.flush()
    response.headers["Location"] = f"/api/v1/tickets/{ticket.number}"
    return ticket_summary(session, actor, ticket)


@router.get("", response_model=TicketPage, summary="工单列表（按角色与单位范围）")
def search(
    session: SessionDep, actor: ActorDep,
    status_: Annotated[list[StatusParam] | None, Query(alias="status")] = None,  # type: ignore[valid-type]
    unit_id: DbIdQuery = None,
    warning: Literal["normal", "at_risk", "overdue"] | None = None,
    overdue: bool | None = None,
    request_type: Literal["咨询", "求助", "投诉", "举报", "建议", "表扬"] | None = None,
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
    return _acted(session, actor, number)

