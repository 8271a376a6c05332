"""The peers' webhook and the linkage lists for supervisors (SH 二(二))."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from sqlmodel import col, select

from hotline.linkage import reconcile as reconciliation
from hotline.linkage.inbound import InboundError, receive
from hotline.linkage.models import LinkedMatter, MatterStatus
from hotline.linkage.reconcile import figures, mismatches
from hotline.tickets.models import Ticket
from hotline.units.deps import require_roles
from hotline.units.models import Role
from hotline.web.deps import BodyDep, SessionDep
from hotline.web.problems import problem
from hotline.web.query import KnownQuery
from hotline.web.request_work import WorkRoute

router = APIRouter(prefix="/integrations", tags=["integrations"], route_class=WorkRoute)
Supervisors = require_roles(Role.supervisor, Role.admin)
PeerCode = Annotated[str, Path(pattern=r"^[0-9A-Za-z_-]{2,16}$")]


@router.post("/{peer}/inbound", summary="对接平台推送（签名校验、按报文编号去重）",
             responses={202: {"description": "受理回执"}, 200: {"description": "重复报文，回放原回执"},
                        401: {"description": "签名或时间戳无效"}})
def inbound(peer: PeerCode, request: Request, session: SessionDep, body: BodyDep) -> Response:
    try:
        received = receive(session, peer, request.headers, body)
    except InboundError as exc:
        session.rollback()
        return problem(exc.status, exc.slug, exc.title, exc.detail, request.url.path)
    headers = {"Idempotent-Replayed": "true"} if received.replayed else None
    return Response(received.ack, status_code=received.status, media_type="application/json",
                    headers=headers)


@router.get("/links", dependencies=[Supervisors, KnownQuery], summary="联动事项：双方状态一览")
def links(session: SessionDep, mismatched: bool = False) -> dict[str, Any]:
    bad = {(m["ticket"], m["peer"], m["direction"]): m["problem"] for m in mismatches(session)}
    rows = session.exec(select(LinkedMatter, Ticket.number, Ticket.status)
                        .join(Ticket, col(Ticket.id) == col(LinkedMatter.ticket_id))
                        .order_by(col(LinkedMatter.id).desc()).limit(500)).all()
    items = []
    for link, number, status in rows:
        problem_text = bad.get((number, link.peer, link.direction))
        if mismatched and not problem_text:
            continue
        items.append({"ticket": number, "peer": link.peer, "direction": link.direction,
                      "our_status": status, "their_status": link.status,
                      "peer_ref": link.peer_ref, "queued_at": link.sent_at,
                      # sent: when the peer took it (a queued matter was not sent yet)
                      "sent_at": None if link.status == MatterStatus.queued
                      else (link.acked_at or link.sent_at),
                      "acked_at": link.acked_at, "closed_at": link.closed_at,
                      "rejected_reason": link.rejected_reason, "mismatch": problem_text})
    return {"items": items, "figures": figures(session)}


@router.post("/reconcile", dependencies=[Supervisors], summary="对账：重发未确认报文，列出双方不一致")
def reconcile(session: SessionDep) -> dict[str, Any]:
    return reconciliation.reconcile(session)
