"""The 12345 ⇄ 110 (119/120/122/utility) linkage: outbox, deduplicated inbox, linked matters.

The outbox row is written in the same transaction as the ticket change, so a hand-over is never
lost; the inbox row is written in the same transaction as the ticket it creates, so a replayed
message never creates a second one (SH 二(二)1: acceptance feedback, closed loop, no loss).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from hotline.core.columns import EnumText, UTCDateTime


class OutboxState(StrEnum):
    pending = "pending"
    delivered = "delivered"
    dead = "dead"  # gave up after the peer's max attempts; supervisors were alerted


class Direction(StrEnum):
    out = "out"  # 12345 handed the matter over
    in_ = "in"  # the peer handed the matter to 12345


class MatterStatus(StrEnum):
    """A linked matter on the peer's side: ``queued`` until delivered, then
    ``integrations.LinkStatus`` (same values, same order)."""

    queued = "queued"
    sent = "sent"
    accepted = "accepted"
    dispatched = "dispatched"
    on_site = "on_site"
    result = "result"
    closed = "closed"
    rejected = "rejected"
    cancelled = "cancelled"  # we withdrew it (撤单, schema v2)


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_at"),)

    id: int = Field(default=None, primary_key=True)
    peer: str = Field(max_length=16, index=True)
    message_id: str = Field(sa_column=Column(String(36), unique=True, nullable=False))
    kind: str = Field(max_length=20)
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id", index=True)
    body: str = Field(sa_column=Column(Text, nullable=False))  # the envelope, as sent every time
    state: OutboxState = Field(default=OutboxState.pending,
                               sa_column=Column(EnumText(OutboxState, 10), nullable=False))
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    last_http_status: int | None = None
    peer_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class InboxMessage(SQLModel, table=True):
    __tablename__ = "inbox_messages"

    id: int = Field(default=None, primary_key=True)
    peer: str = Field(max_length=16)
    message_id: str = Field(sa_column=Column(String(36), unique=True, nullable=False))
    kind: str = Field(max_length=20)
    correlation_id: str = Field(max_length=64, index=True)
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id", index=True)
    ack: str = Field(sa_column=Column(Text, nullable=False))  # replayed for duplicates
    received_at: datetime = Field(sa_type=UTCDateTime)


class LinkedMatter(SQLModel, table=True):
    """One matter shared with a peer: its state on both sides (SH 二(二)2 跟踪督办)."""

    __tablename__ = "linked_matters"
    __table_args__ = (UniqueConstraint("ticket_id", "peer", "direction"),)

    id: int = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    peer: str = Field(max_length=16)
    direction: Direction = Field(sa_column=Column(EnumText(Direction, 3), nullable=False))
    our_ref: str = Field(max_length=64, index=True)
    peer_ref: str | None = Field(default=None, max_length=64, index=True)
    status: MatterStatus = Field(default=MatterStatus.queued,
                                 sa_column=Column(EnumText(MatterStatus, 12), nullable=False))
    milestones: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    seen: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    out_seq: int = 0  # feedback we sent about an inbound matter
    rejected_reason: str | None = Field(default=None, sa_column=Column(Text))
    sent_at: datetime = Field(sa_type=UTCDateTime)
    acked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class PeerOutage(SQLModel, table=True):
    """A peer we cannot deliver to: opened by the first failed delivery (supervisors alerted at
    once, not after the message dies), closed by the next success ("已恢复" notice)."""

    __tablename__ = "peer_outages"

    id: int = Field(default=None, primary_key=True)
    peer: str = Field(max_length=16, index=True)
    opened_at: datetime = Field(sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    failures: int = 1
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    last_failure_at: datetime = Field(sa_type=UTCDateTime)
