"""Queueing what the caller is told: one ``CallerMessage`` row per message, in the transaction
of the ticket change that calls for it.

The rules of the house live here: which template each occasion uses and with which
parameters (Chinese text at the gateway, ``integrations.sms.TEMPLATES``); no SMS to a withheld
number or a landline — the row is kept, ``suppressed`` with the reason, and the ticket's history
says the caller was not told by SMS; quiet hours move the first try to their end. The relay
(``callers.outbox``) is kicked after the commit through ``message_due``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from hotline.callers.models import CallerMessage, MessageState, Occasion
from hotline.core.columns import table_of
from hotline.core.db import on_commit
from hotline.core.settings import Settings, get_settings
from hotline.core.signals import Signal
from hotline.core.times import SHANGHAI, local
from hotline.tickets import history
from hotline.tickets.actions import EventKind
from hotline.tickets.models import STATUS_LABELS, Ticket
from hotline.units.models import Unit
from integrations import sms

#: Sent after a commit that queued caller messages: time to send them.
message_due: Signal[str] = Signal("caller_message_due")


@dataclass(frozen=True)
class Undelivered:
    """A caller was not told after all: the gateway refused, every try failed, or the receipt
    says the SMS never arrived. Sent inside the transaction that records it."""

    session: Session
    ticket: Ticket
    message: CallerMessage
    why: str
    now: datetime


#: Supervision listens (a person must call the caller instead); callers cannot import it.
message_undelivered: Signal[Undelivered] = Signal("caller_message_undelivered")

TEMPLATE_OF: dict[Occasion, str] = {
    Occasion.registered: "HOTLINE_REGISTERED",
    Occasion.extended: "HOTLINE_EXTENDED",
    Occasion.replied: "HOTLINE_REPLIED",
    Occasion.merged: "HOTLINE_MERGED",
}

OCCASION_LABELS = {"registered": "登记告知", "extended": "延期告知", "replied": "答复告知",
                   "merged": "并单告知"}

SUPPRESSED_REASONS = {sms.NumberKind.withheld: "来电号码隐藏或无效，无法短信告知",
                      sms.NumberKind.landline: "来电号码为固定电话，无法短信告知，请电话告知"}


def first_try(now: datetime, settings: Settings | None = None) -> datetime:
    """``now``, or the end of the quiet hours that hold at ``now`` (in UTC)."""
    s = settings or get_settings()
    start_s, end_s = s.sms_quiet_hours.split("-")
    end = sms.quiet_until(local(now), sms.parse_clock(start_s), sms.parse_clock(end_s))
    return now if end is None else end.astimezone(now.tzinfo)


def deadline_text(due: datetime) -> str:
    d = due.astimezone(SHANGHAI)
    return f"{d.year}年{d.month}月{d.day}日{d.hour:02d}:{d.minute:02d}"


Note = Callable[[str, dict[str, Any]], None]


def queue(session: Session, ticket: Ticket, occasion: Occasion, params: dict[str, str],
          now: datetime, *, follow: Note | None = None) -> int:
    """Queue one message to ``ticket``'s caller (or record why none can go); the row's id.

    ``follow`` appends the "not told" event after the act being performed on this ticket
    (``ActionDone.follow``), so the history reads in order; without it the event is appended now.
    """
    template = TEMPLATE_OF[occasion]
    clean = {k: sms.clip(v) for k, v in params.items()}
    missing = sms.template_params(template) - set(clean)
    assert not missing, f"{template} needs {missing}"  # a programming error, not input
    kind = sms.classify_number(ticket.caller_phone)
    row: dict[str, Any] = {
        "ticket_id": ticket.id, "occasion": occasion, "template_id": template, "params": clean,
        "out_id": uuid.uuid4().hex, "state": MessageState.pending, "reason": None,
        "attempts": 0, "next_attempt_at": None, "created_at": now}
    if kind is not sms.NumberKind.mobile:
        row.update(state=MessageState.suppressed, reason=kind.value)
        message_id = _insert(session, row)
        facts: dict[str, Any] = {"occasion": occasion.value, "number_kind": kind.value,
                                 "caller_message_id": message_id}
        if follow is not None:
            follow(SUPPRESSED_REASONS[kind], facts)
        else:
            history.note(session, ticket, EventKind.caller_not_notified, actor=None, now=now,
                         reason=SUPPRESSED_REASONS[kind], payload=facts)
        return message_id
    row["next_attempt_at"] = first_try(now)
    message_id = _insert(session, row)
    on_commit(session, lambda: message_due.send(occasion.value), key=("caller-sms",))
    return message_id


_MESSAGES = table_of(CallerMessage)
_INSERT = _MESSAGES.insert().returning(_MESSAGES.c.id)


def _insert(session: Session, row: dict[str, Any]) -> int:
    """Write ``row`` now, as one Core statement; its id.

    Why not an ORM object: nothing in the command reads the row back, and building a
    ``CallerMessage`` and flushing it was a fifth of a registration's Python work
    (bench/RESULTS.md, "Intake: history rows without the ORM").
    """
    return int(session.execute(_INSERT, row).scalar_one())


def progress_text(session: Session, ticket: Ticket, extra: str | None = None) -> str:
    """"东城区住建委办理中" + the handler's own words: the 阶段性工作进展 of CQ §13(三)."""
    unit = session.get(Unit, ticket.holder_unit_id) if ticket.holder_unit_id else None
    head = f"{unit.name if unit else '承办单位'}{STATUS_LABELS.get(ticket.status, '办理中')}"
    return f"{head}，{extra}" if extra else head


def merged_into(session: Session, ticket: Ticket) -> list[Ticket]:
    """The tickets merged into ``ticket`` (their callers are told and visited with it)."""
    return list(session.exec(select(Ticket).where(Ticket.merged_into_id == ticket.id)
                             .order_by(col(Ticket.id))).all())


def messages_of(session: Session, ticket_id: int) -> list[CallerMessage]:
    return list(session.exec(select(CallerMessage).where(CallerMessage.ticket_id == ticket_id)
                             .order_by(col(CallerMessage.id))).all())
