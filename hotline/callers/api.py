"""The gateway's delivery-receipt webhook, and what a ticket's callers were told (and whether it
reached them), for the people who work the ticket."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from hotline.callers.messaging import OCCASION_LABELS, merged_into, messages_of
from hotline.callers.models import STATE_LABELS, CallerMessage
from hotline.callers.outbox import record_receipts
from hotline.core.errors import Forbidden, Invalid, Unauthorized
from hotline.core.settings import get_settings
from hotline.core.times import utcnow
from hotline.tickets.commands import visible_ticket
from hotline.tickets.models import Ticket
from hotline.units.deps import ActorDep
from hotline.web.deps import BodyDep, SessionDep
from hotline.web.request_work import WorkRoute
from integrations import sms
from integrations.signing import SignatureError, verify

router = APIRouter(tags=["callers"], route_class=WorkRoute)


@router.post("/callers/sms/receipts", summary="短信平台状态报告回调（签名校验，可重复推送）",
             responses={401: {"description": "签名或时间戳无效"}, 403: {"description": "未配置短信回执"}})
def receipts(request: Request, session: SessionDep, body: BodyDep) -> dict[str, int]:
    secret = get_settings().sms_receipt_secret
    if not secret:
        raise Forbidden("未配置 HOTLINE_SMS_RECEIPT_SECRET，不接收短信回执", title="短信回执未启用")
    now = utcnow()
    try:
        verify(secret, request.headers, body, now)
    except SignatureError as exc:
        raise Unauthorized(str(exc), title="短信回执签名无效") from exc
    try:
        batch = sms.parse_receipts(body)
    except ValueError as exc:
        raise Invalid(str(exc)[:500], title="短信回执格式不正确") from exc
    return {"received": len(batch), "matched": record_receipts(session, batch, now)}


def _message(row: CallerMessage, number: str) -> dict[str, Any]:
    return {
        "id": row.id, "ticket": number, "occasion": row.occasion,
        "occasion_label": OCCASION_LABELS[row.occasion], "template_id": row.template_id,
        "params": row.params, "state": row.state, "state_label": STATE_LABELS[row.state],
        "reason": row.reason, "attempts": row.attempts, "next_attempt_at": row.next_attempt_at,
        "last_error": row.last_error, "message_id": row.gateway_message_id,
        "accepted_at": row.accepted_at, "receipt_status": row.receipt_status,
        "receipt_error": row.receipt_error, "receipt_at": row.receipt_at,
        "created_at": row.created_at,
    }


@router.get("/tickets/{number}/caller-messages", summary="告知来电人的短信及其送达情况（含并单来电人）")
def caller_messages(number: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    ticket = visible_ticket(session, actor, number)
    merged: list[Ticket] = merged_into(session, ticket)
    items = [_message(m, ticket.number) for m in messages_of(session, ticket.id)]
    for other in merged:
        items += [_message(m, other.number) for m in messages_of(session, other.id)]
    return {"ticket": ticket.number, "items": items,
            "undelivered": sum(m["state"] in ("failed", "dead") for m in items)}

