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
