"""Sending queued caller messages to the SMS gateway, and recording its delivery receipts.

The 110 relay's discipline (``linkage.relay``): due rows are claimed with a short lease and
committed, then each is sent outside any transaction and its outcome recorded in a transaction
of its own. Every try carries the row's ``out_id`` as the gateway's idempotency key, so a try
whose answer was lost, or a relay killed between sending and recording, is delivered to the
handset once. ``caller_notified`` is written only here, when the gateway accepted the message,
and carries the gateway's message id (CQ §13(三), §16).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

import integrations
from hotline.callers.messaging import OCCASION_LABELS, Undelivered, first_try, message_undelivered
from hotline.callers.models import CallerMessage, MessageState
from hotline.core.errors import Conflict
from hotline.core.leases import lease_due
from hotline.core.settings import Settings, get_settings
from hotline.core.times import utcnow
from hotline.tickets import history
from hotline.tickets.actions import EventKind
from hotline.tickets.models import Ticket
from integrations import sms

log = logging.getLogger("hotline.callers")
LEASE = timedelta(seconds=60)
DEFAULT_SIGN = "12345热线"


@dataclass
class SendCounts:
    sent: int = 0
    retry: int = 0
    dead: int = 0
    deferred: int = 0  # quiet hours began meanwhile

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "retry": self.retry, "dead": self.dead, "deferred": self.deferred}


def gateway(settings: Settings) -> sms.GatewayConfig | None:
    if not settings.sms_gateway_url or not settings.sms_api_key:
        return None
    return sms.GatewayConfig(base_url=settings.sms_gateway_url, secret=settings.sms_api_key)


def send_due(session: Session, now: datetime | None = None, *, client: httpx.Client | None = None,
             settings: Settings | None = None, limit: int = 200) -> SendCounts:
    """Send the due messages; commits its own short transactions. Without a configured gateway
    nothing is sent and the messages wait (they are on the ticket as pending)."""
    s = settings or get_settings()
    now = now or utcnow()
    out = SendCounts()
    gw = gateway(s)
    if gw is None:
        session.commit()
        return out
    ids = lease_due(session, CallerMessage, MessageState.pending, now, limit, LEASE)
    if not ids:
        return out
    own = client is None
    client = client or httpx.Client()
    try:
        for row_id in ids:
            found = session.get(CallerMessage, row_id)
            if found is None or found.state != MessageState.pending:
                continue
            row = found
            later = first_try(now, s)
            if later > now:  # a retry that fell into quiet hours waits for their end
                row.next_attempt_at = later
                session.add(row)
                session.commit()
                out.deferred += 1
                continue
            ticket = session.get(Ticket, row.ticket_id)
            assert ticket is not None
            request = sms.SmsRequest(
                phone_number=sms.normalise_mobile(ticket.caller_phone),
                sign_name=s.sms_sign_name or DEFAULT_SIGN, template_code=row.template_id,
                template_param={k: str(v) for k, v in row.params.items()}, out_id=row.out_id)
            result = sms.send_sms(gw, request, client=client, now=utcnow())
            for attempt in range(3):
                try:
                    _record(session, row, ticket, result, now, s, out)
                    session.commit()
                    break
                except IntegrityError:  # a command appended to the same history meanwhile
                    session.rollback()
                    if attempt == 2:
                        raise  # the lease expires; the next try resends with the same out_id
                    again, ticket = session.get(CallerMessage, row_id), session.get(Ticket, row.ticket_id)
                    assert again is not None and ticket is not None
                    row = again
    finally:
        if own:
            client.close()
    return out


def _record(session: Session, row: CallerMessage, ticket: Ticket, result: sms.SmsResult,
            now: datetime, s: Settings, out: SendCounts) -> None:
    row.attempts += 1
    row.last_error = result.error
    if result.status is sms.SmsStatus.accepted:
        row.state, row.gateway_message_id, row.accepted_at = MessageState.sent, result.biz_id, now
        row.next_attempt_at = None
        history.note(session, ticket, EventKind.caller_notified,
                     actor=None, now=now, reason=f"短信{OCCASION_LABELS[row.occasion]}",
                     payload={"channel": "sms", "occasion": row.occasion.value,
                              "message_id": result.biz_id, "template_id": row.template_id,
                              "caller_message_id": row.id, **_facts(row)})
        out.sent += 1
    elif (result.status is sms.SmsStatus.rejected
          or integrations.is_dead(row.attempts, s.sms_max_attempts)):
        row.state, row.next_attempt_at, row.reason = MessageState.dead, None, result.error
        history.note(session, ticket, EventKind.caller_not_notified, actor=None, now=now,
                     reason=f"短信{OCCASION_LABELS[row.occasion]}未能发出：{result.error or ''}"[:500],
                     payload={"occasion": row.occasion.value, "caller_message_id": row.id,
                              "attempts": row.attempts, "error": result.error})
        log.error("caller message %s for %s is dead: %s", row.out_id, ticket.number, result.error)
        message_undelivered.send(Undelivered(session, ticket, row, result.error or "发送失败", now))
        out.dead += 1
    else:
        delay = integrations.next_attempt_delay(row.attempts)
        if result.retry_after and result.retry_after > delay:
            delay = result.retry_after
        row.next_attempt_at = now + delay
        out.retry += 1
    session.add(row)


def _facts(row: CallerMessage) -> dict[str, str]:
    """What the caller was told that the history should show without the template: the new
    deadline of an extension (CQ §13(三))."""
    return {"new_deadline": str(row.params["deadline"])} if "deadline" in row.params else {}


def record_receipts(session: Session, receipts: list[sms.Receipt], now: datetime) -> int:
    """Store delivery receipts; a failed one is written on the ticket's history. Idempotent: a
    receipt already recorded changes nothing. Returns the number of messages it matched."""
    matched = 0
    for receipt in receipts:
        row = session.exec(select(CallerMessage)
                           .where(CallerMessage.gateway_message_id == receipt.biz_id)).first()
        if row is None:
            log.warning("receipt for unknown SMS %s", receipt.biz_id)
            continue
        matched += 1
        if row.receipt_status == receipt.status.value:
            continue
        row.receipt_status, row.receipt_at = receipt.status.value, receipt.reported_at
        row.receipt_error = " ".join(x for x in (receipt.err_code, receipt.err_msg) if x)[:240] or None
        row.state = (MessageState.delivered if receipt.status is sms.ReceiptStatus.delivered
                     else MessageState.failed)
        session.add(row)
        if row.state is MessageState.failed:
            ticket = session.get(Ticket, row.ticket_id)
            assert ticket is not None
            try:
                with session.begin_nested():
                    history.note(session, ticket, EventKind.caller_not_notified, actor=None, now=now,
                                 reason=f"短信{OCCASION_LABELS[row.occasion]}未送达："
                                        f"{row.receipt_error or ''}",
                                 payload={"occasion": row.occasion.value, "message_id": receipt.biz_id,
                                          "receipt": receipt.status.value, "error": row.receipt_error,
                                          "caller_message_id": row.id})
            except IntegrityError as exc:
                raise Conflict("工单正被同时修改，请稍后重发回执") from exc
            why = f"未送达：{row.receipt_error or ''}"
            message_undelivered.send(Undelivered(session, ticket, row, why, now))
    return matched
