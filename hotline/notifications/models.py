"""The in-app inbox of notifications; the same rows are the webhook channel's outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from hotline.core.columns import UTCDateTime


class Notification(SQLModel, table=True):
    """The in-app inbox; also the outbox of the webhook channel (webhook_state)."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("escalation_id", "unit_id", "role"),
        Index("ix_notifications_inbox", "unit_id", "role", "created_at"),
        Index("ix_notifications_webhook", "webhook_state", "webhook_next_at"),
    )

    id: int = Field(default=None, primary_key=True)
    escalation_id: int | None = Field(default=None, foreign_key="escalations.id")
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id", index=True)
    #: Addressed to a unit, optionally only to one role in it (e.g. its managers).
    unit_id: int = Field(foreign_key="units.id")
    role: str = Field(default="", max_length=20)  # "" = everyone in the unit
    kind: str = Field(max_length=16)
    title: str = Field(max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    webhook_state: str | None = Field(default=None, max_length=10)  # pending/delivered/dead
    webhook_attempts: int = 0
    webhook_next_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
