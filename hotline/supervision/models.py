"""What the clocks do on their own: escalations, notifications, daily unit figures, anomalies.

The escalation ledger is the scan's memory: one row per (ticket, stage, deadline instance),
unique, so a scan that runs twice — or is killed and run again — fires nothing twice.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Date, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from hotline.core.columns import EnumText, UTCDateTime


class Stage(StrEnum):
    reminder = "reminder"  # 催办: at risk (黄灯)
    supervision = "supervision"  # 督办: overdue (红灯)
    escalation = "escalation"  # 升级督办: still overdue after the escalation delay
    rework = "rework"  # 重办 3 次及以上: escalated supervision


STAGE_LABELS = {"reminder": "催办", "supervision": "督办", "escalation": "升级督办",
                "rework": "多次重办督办"}


class Escalation(SQLModel, table=True):
    __tablename__ = "escalations"
    __table_args__ = (UniqueConstraint("ticket_id", "stage", "cycle"),)

    id: int = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    stage: Stage = Field(sa_column=Column(EnumText(Stage, 16), nullable=False))
    #: The deadline instance: epoch seconds of the due time (a new due is a new cycle), or the
    #: rework count for the rework stage.
    cycle: int = Field(sa_column=Column(BigInteger, nullable=False))
    unit_id: int | None = Field(default=None, foreign_key="units.id", index=True)
    clock: str | None = Field(default=None, max_length=16)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    scan_id: str = Field(max_length=36, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)


class UnitDailyStat(SQLModel, table=True):
    """Per unit and local day: backlog and overdue counts, for the 'unit falls behind' alert."""

    __tablename__ = "unit_daily_stats"
    __table_args__ = (UniqueConstraint("unit_id", "day"),)

    id: int = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="units.id", index=True)
    day: date = Field(sa_column=Column(Date, nullable=False))
    backlog: int = 0
    overdue: int = 0


class AnomalyAlert(SQLModel, table=True):
    """A surge of one category in one street, or a unit whose backlog/overdue count jumps (CQ §20)."""

    __tablename__ = "anomaly_alerts"
    __table_args__ = (UniqueConstraint("kind", "key", "day"),)

    id: int = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # surge / backlog / overdue
    key: str = Field(max_length=200)
    day: date = Field(sa_column=Column(Date, nullable=False))
    unit_id: int | None = Field(default=None, foreign_key="units.id")
    category: str | None = Field(default=None, max_length=200)
    observed: float
    baseline: float
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime)


class BoardSnapshot(SQLModel, table=True):
    """A figure the board shows, as last computed (``supervision/snapshots.py``): the monthly
    evaluation (``report:2026-11``) and the hotspots (``hotspots:day``), which cost seconds to
    compute on a big city and would otherwise be recomputed on every view."""

    __tablename__ = "board_snapshots"

    key: str = Field(sa_column=Column(String(64), primary_key=True))
    computed_at: datetime = Field(sa_type=UTCDateTime)
    payload: Any = Field(default=None, sa_column=Column(JSON, nullable=False))
