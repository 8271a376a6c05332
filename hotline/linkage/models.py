"""The 12345 ⇄ 110 (119/120/122/utility) linkage: outbox, deduplicated inbox, linked matters.

The outbox row is written in the same transaction as the ticket change, so a hand-over is never
lost; the inbox row is written in the same transaction as the ticket it creates, so a replayed
message never creates a second one (SH 二(二)1: acceptance feedback, closed loop, no loss).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from hotline.core.columns import UTCDateTime


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    peer: str = Field(max_length=16, index=True)
    message_id: str = Field(sa_column=Column(String(36), unique=True, nullable=False))
    kind: str = Field(max_length=20)
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id", index=True)
    body: str = Field(sa_column=Column(Text, nullable=False))  # the envelope, as sent every time
    state: str = Field(default="pending", max_length=10)  # pending / delivered / dead
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    last_http_status: int | None = None
    peer_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class InboxMessage(SQLModel, table=True):
    __tablename__ = "inbox_messages"

    id: int | None = Field(default=None, primary_key=True)
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

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    peer: str = Field(max_length=16)
    direction: str = Field(max_length=3)  # out: 12345 handed it over; in: the peer handed it to us
    our_ref: str = Field(max_length=64, index=True)
    peer_ref: str | None = Field(default=None, max_length=64, index=True)
    status: str = Field(default="queued", max_length=12)  # queued, then integrations.LinkStatus
    milestones: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    seen: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    out_seq: int = 0  # feedback we sent about an inbound matter
    rejected_reason: str | None = Field(default=None, sa_column=Column(Text))
    sent_at: datetime = Field(sa_type=UTCDateTime)
    acked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
