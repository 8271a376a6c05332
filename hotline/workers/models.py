"""What the background jobs did last: the readiness probe's "scan last run" and the metrics'
durations come from here, whichever process (worker, embedded timer) ran the job."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from hotline.core.columns import UTCDateTime


class JobRun(SQLModel, table=True):
    __tablename__ = "job_runs"

    name: str = Field(primary_key=True, max_length=40)
    last_started_at: datetime = Field(sa_type=UTCDateTime)
    last_finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_ok_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_seconds: float = 0.0
    last_outcome: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    last_error: str | None = Field(default=None, max_length=500)
    runs: int = 0
    failures: int = 0
