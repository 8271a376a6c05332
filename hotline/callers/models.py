"""Caller messages (短信告知): one row per message we mean to send a caller, written in the same
transaction as the ticket change that calls for it, so a caller is never silently left untold.

A row is a small outbox of its own (the 110 relay's discipline): ``pending`` until the gateway
accepts it (``sent``, with the gateway's message id), then ``delivered`` or ``failed`` by the
delivery receipt; ``dead`` when the gateway refused it or every try failed; ``suppressed`` when
no SMS can go — a withheld number or a landline — recorded as such, with the reason.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, String, Text
from sqlmodel import Field, SQLModel

from hotline.core.columns import EnumText, UTCDateTime


class MessageState(StrEnum):
    pending = "pending"  # waiting for its (next) try, or for quiet hours to end
    sent = "sent"  # the gateway accepted it: it gave a message id (caller_notified written)
    delivered = "delivered"  # the receipt says it reached the handset
    failed = "failed"  # the receipt says it did not (visible on the ticket)
    dead = "dead"  # refused by the gateway, or every try failed: supervisors were told
    suppressed = "suppressed"  # no SMS possible: withheld number or landline


STATE_LABELS = {
    "pending": "待发送", "sent": "已提交短信平台", "delivered": "已送达", "failed": "发送失败",
    "dead": "无法发送", "suppressed": "未发送",
}


class Occasion(StrEnum):
    """Why the caller is told (CQ §11 registration, §13(三) extension, §14 reply, 并单)."""

    registered = "registered"
    extended = "extended"
    replied = "replied"
    merged = "merged"


class CallerMessage(SQLModel, table=True):
    __tablename__ = "caller_messages"
    __table_args__ = (Index("ix_caller_messages_due", "state", "next_attempt_at"),)

    id: int = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    occasion: Occasion = Field(sa_column=Column(EnumText(Occasion, 12), nullable=False))
    template_id: str = Field(max_length=64)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    #: Our id, sent as the gateway's ``out_id`` / Idempotency-Key on every try.
    out_id: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    state: MessageState = Field(sa_column=Column(EnumText(MessageState, 12), nullable=False))
    #: Why no SMS went: ``withheld`` / ``landline`` (suppressed), or the gateway's refusal (dead).
    reason: str | None = Field(default=None, sa_column=Column(Text))
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    gateway_message_id: str | None = Field(default=None, max_length=64, index=True)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    receipt_status: str | None = Field(default=None, max_length=16)
    receipt_error: str | None = Field(default=None, max_length=240)
    receipt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
