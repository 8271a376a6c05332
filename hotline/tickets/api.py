"""Tickets over HTTP: register, list, read, the workflow's transitions, and the caller's
public progress lookup (CQ §11)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Header, Query, Request, Response, status
from pydantic import BaseModel

from hotline.core.errors import Forbidden, Invalid, NotFound
from hotline.core.ids import DbIdQuery
from hotline.core.settings import get_settings
from hotline.core.times import BoundedDatetime, utcnow
from hotline.tickets import idempotency, similar
from hotline.tickets.access_log import AccessFilter, read_access_log
from hotline.tickets.commands import apply, create_ticket, facts_for, visible_ticket
from hotline.tickets.models import IdempotencyKey, Status
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
from hotline.tickets.visibility import log_contact_access
from hotline.tickets.workflow import allowed_actions
from hotline.units.deps import ActorDep, require_roles
from hotline.units.models import Role
from hotline.web.deps import SessionDep
from hotline.web.query import KnownQuery
from hotline.web.ratelimit import limiter
from hotline.web.request_work import WorkRoute

router = APIRouter(prefix="/tickets", tags=["tickets"], route_class=WorkRoute)
public_router = APIRouter(prefix="/public", tags=["public"], route_class=WorkRoute)
audit_router = APIRouter(prefix="/access-log", tags=["audit"], route_class=WorkRoute)
routers = (router, public_router, audit_router)


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
    created_from: BoundedDatetime | None = None,
    created_to: BoundedDatetime | None = None,
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


class SimilarItem(BaseModel):
    score: int
    mergeable: bool
    same_caller: bool
    ticket: TicketSummary


class SimilarPage(BaseModel):
    items: list[SimilarItem]
    threshold: int
    window_days: int


@router.get("/similar", response_model=SimilarPage,
            summary="受理时查找同一地点同一事项的工单（不限来电号码，供并单）；score 为相似度百分比")
def similar_at_intake(
    session: SessionDep, actor: ActorDep,
    content: Annotated[str, Query(min_length=1, max_length=4000, description="诉求内容")],
    address: Annotated[str | None, Query(max_length=300, description="事发地址")] = None,
    caller_phone: Annotated[str | None, Query(max_length=32, description="来电号码（标出同一号码）")] = None,
    limit: Annotated[int, Query(ge=1, le=10)] = 5,
) -> SimilarPage:
    """并单 at intake over the API: what the console shows as the agent types. Register the call
    with ``decision: {"action": "merge", "target_number": …}`` to merge it into one of them."""
    if not actor.hotline_side:
        raise Forbidden("只有热线一侧可以查找并单")
    now = utcnow()
    items, shown = similar.at_intake(session, actor, content, address, caller_phone, now, limit)
    log_contact_access(session, actor, shown, "similar_lookup", now)  # who called: CQ §22
    return SimilarPage(items=[SimilarItem(**i) for i in items],
                       threshold=round(similar.THRESHOLD * 100),
                       window_days=get_settings().similar_window_days)


@router.get("/{number}", response_model=TicketDetail, summary="工单详情：历史、时限、预警")
def read(session: SessionDep, actor: ActorDep, number: str) -> TicketDetail:
    return ticket_detail(session, actor, number)


@router.get("/{number}/duplicates", summary="可能重复的工单（不限同一来电号码，供并单）")
def duplicates(session: SessionDep, actor: ActorDep, number: str) -> list[dict[str, Any]]:
    if not actor.hotline_side:
        raise Forbidden("只有热线一侧可以查找并单")
    ticket = visible_ticket(session, actor, number)
    return similar.duplicates_of(session, actor, ticket, utcnow())


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
    idempotency_key: Annotated[str | None, Header(
        pattern=idempotency.KEY_PATTERN,
        description="客户端生成的唯一键（如 UUID）：重试或重复提交只执行一次，返回首次的结果")] = None,
) -> TicketDetail | Response:
    ticket = visible_ticket(session, actor, number)
    if if_match and payload.version is None:
        try:
            payload.version = int(if_match.strip('"W/'))
        except ValueError as exc:
            raise Invalid("If-Match 须为工单版本号") from exc
    claimed: IdempotencyKey | None = None
    if idempotency_key:
        digest = idempotency.request_hash(number, payload.model_dump(mode="json"))
        found = idempotency.claim(session, actor, idempotency_key, digest, utcnow())
        if not isinstance(found, IdempotencyKey):
            return found  # the first answer, replayed
        claimed = found
    apply(session, actor, ticket, payload)
    session.flush()
    # The actor's own command answered once, even when it took the ticket out of their view.
    detail = ticket_detail(session, actor, number, just_acted=True)
    if claimed is not None:
        idempotency.complete(session, claimed, ticket.id, 200, detail.model_dump(mode="json"))
    return detail


@public_router.get("/tickets/{number}", response_model=PublicProgress, summary="来电人查询办理进度")
def progress(
    session: SessionDep, request: Request, number: str,
    phone_last4: Annotated[str | None, Query(pattern=r"^\d{4}$", description="来电手机号后四位")] = None,
    code: Annotated[str | None, Query(pattern=r"^[0-9A-Za-z]{8}$",
                                      description="隐藏号码来电人的查询码 (CQ §11)")] = None,
) -> PublicProgress:
    if (phone_last4 is None) == (code is None):
        raise Invalid("请提供手机号后四位或查询码（二选一）", title="查询条件不正确")
    client = request.client.host if request.client else "?"
    limiter.check(client, number)
    try:
        return public_progress(session, number, phone_last4, code)
    except NotFound:
        limiter.failed(client, number)
        raise


# ---------------------------------------------------------------------------------------------
# CQ §22: the personal-data access log, read by authorised staff
# ---------------------------------------------------------------------------------------------
class AccessPage(BaseModel):
    items: list[dict[str, Any]]
    total: int
    page: int
    page_size: int


@audit_router.get("", response_model=AccessPage,
                  dependencies=[require_roles(Role.supervisor, Role.admin)],
                  summary="个人信息访问记录：谁在何时查看了哪张工单的来电人信息 (CQ §22)")
def access_log(
    session: SessionDep,
    username: Annotated[str | None, Query(max_length=64)] = None,
    unit_id: DbIdQuery = None,
    ticket_number: Annotated[str | None, Query(max_length=20)] = None,
    purpose: Annotated[str | None, Query(max_length=32)] = None,
    since: Annotated[datetime | None, Query(alias="from", description="起（含），带时区")] = None,
    until: Annotated[datetime | None, Query(alias="to", description="止（不含），带时区")] = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AccessPage:
    for value in (since, until):
        if value is not None and value.tzinfo is None:
            raise Invalid("时间须带时区，如 2026-11-01T00:00:00+08:00", title="时间格式不正确")
    flt = AccessFilter(username=username, unit_id=unit_id, ticket_number=ticket_number,
                       purpose=purpose, since=since, until=until)
    items, total = read_access_log(session, flt, page, page_size)
    return AccessPage(items=items, total=total, page=page, page_size=page_size)
