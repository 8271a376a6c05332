"""Routing's memory: what was suggested at each dispatch and what was chosen (the learning loop),
and the admin-edited dispatch catalogue (派单目录) with its history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from hotline.core.columns import UTCDateTime


class DispatchRecord(SQLModel, table=True):
    """One per dispatch: the suggestion shown to the agent and the units actually chosen."""

    __tablename__ = "dispatch_records"

    id: int = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    decision: str | None = Field(default=None, max_length=20)  # the suggested intake decision
    suggested_lead_id: int | None = Field(default=None, foreign_key="units.id")
    suggested_unit_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    suggested_category: str | None = Field(default=None, max_length=200)
    chosen_lead_id: int = Field(foreign_key="units.id", index=True)
    chosen_co_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    chosen_category: str | None = Field(default=None, max_length=200)
    used_suggestion: bool = False  # dispatched without naming a unit
    #: The chosen lead sent it back (退单): counts against this routing.
    returned: bool = False
    reason: str | None = Field(default=None, sa_column=Column(Text))
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class CatalogueVersion(SQLModel, table=True):
    """An admin's edit of the dispatch catalogue (CSV text); the newest one is in force."""

    __tablename__ = "catalogue_versions"

    id: int = Field(default=None, primary_key=True)
    content: str = Field(sa_column=Column(Text, nullable=False))
    rules: int = 0
    note: str | None = Field(default=None, max_length=500)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(sa_type=UTCDateTime)


class CallerFlag(SQLModel, table=True):
    """CQ §26: a caller an agent reported as abusive or malicious, with reason and evidence.

    It warns the agent at intake once a supervisor approved it, until it expires; it never
    blocks a call (an emergency from a flagged number is handled like any other).
    """

    __tablename__ = "caller_flags"

    id: int = Field(default=None, primary_key=True)
    caller_phone: str = Field(max_length=32, index=True)
    reason: str = Field(max_length=32)  # CallerFlagReason
    evidence: str = Field(sa_column=Column(Text, nullable=False))
    ticket_numbers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=10)  # pending / approved / rejected / lifted
    flagged_by_id: int = Field(foreign_key="users.id")
    flagged_at: datetime = Field(sa_type=UTCDateTime)
    decided_by_id: int | None = Field(default=None, foreign_key="users.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision_note: str | None = Field(default=None, sa_column=Column(Text))
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CallerFlagEvent(SQLModel, table=True):
    """The audit of every flag and every decision on it (CQ §26, §22): append-only."""

    __tablename__ = "caller_flag_events"

    id: int = Field(default=None, primary_key=True)
    flag_id: int = Field(foreign_key="caller_flags.id", index=True)
    action: str = Field(max_length=16)  # flagged / approved / rejected / lifted / warned
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    note: str | None = Field(default=None, sa_column=Column(Text))
    at: datetime = Field(sa_type=UTCDateTime)
