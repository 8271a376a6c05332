"""Joint linkage figures (SH 三(三): "在响应速度、办结效率……等方面设定考核指标").

Pure: the application queries its outbox/inbox tables and passes plain records in; the same
function then serves the supervisor page, the monthly report and the tests.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from integrations.status import FINAL, LinkStatus

Direction = Literal["out", "in"]
"""``out``: 12345 handed the matter to the peer; ``in``: the peer handed it to 12345."""


@dataclass(frozen=True)
class LinkRecord:
    """One linked matter, as the application stores it."""

    peer: str
    direction: Direction
    sent_at: datetime
    status: LinkStatus
    accepted_at: datetime | None = None
    closed_at: datetime | None = None

    @classmethod
    def from_mapping(cls, row: Mapping[str, Any]) -> LinkRecord:
        """From a database row or dict; the status may be a plain string."""
        return cls(
            peer=str(row["peer"]),
            direction=row["direction"],
            sent_at=row["sent_at"],
            status=LinkStatus(row["status"]),
            accepted_at=row.get("accepted_at"),
            closed_at=row.get("closed_at"),
        )


@dataclass(frozen=True)
class LinkageFigures:
    transfers_out: int
    transfers_in: int
    acknowledged: int
    ack_latency_p50: timedelta | None
    ack_latency_p90: timedelta | None
    loops_closed: int  # closed or rejected: the sender knows the outcome
    rejected: int
    loops_open: int
    closed_rate: float | None  # loops_closed / all; None when there is nothing to count


def percentile(values: list[timedelta], p: float) -> timedelta | None:
    """Nearest-rank percentile: always one of the observed values, no interpolation."""
    if not values:
        return None
    if not 0 < p <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {p}")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def linkage_figures(records: Iterable[LinkRecord | Mapping[str, Any]]) -> LinkageFigures:
    """Transfers each way, acknowledgement latency (sent → accepted) and closed loops."""
    rows = [r if isinstance(r, LinkRecord) else LinkRecord.from_mapping(r) for r in records]
    latencies = [
        r.accepted_at - r.sent_at
        for r in rows
        if r.accepted_at is not None and r.accepted_at >= r.sent_at  # clock skew: leave it out
    ]
    closed = sum(r.status in FINAL for r in rows)
    return LinkageFigures(
        transfers_out=sum(r.direction == "out" for r in rows),
        transfers_in=sum(r.direction == "in" for r in rows),
        acknowledged=sum(r.accepted_at is not None for r in rows),
        ack_latency_p50=percentile(latencies, 50),
        ack_latency_p90=percentile(latencies, 90),
        loops_closed=closed,
        rejected=sum(r.status is LinkStatus.rejected for r in rows),
        loops_open=len(rows) - closed,
        closed_rate=closed / len(rows) if rows else None,
    )


def linkage_figures_by_peer(
    records: Iterable[LinkRecord | Mapping[str, Any]],
) -> dict[str, LinkageFigures]:
    """The same figures per peer code (110, 119, 95598 …), peers sorted by code."""
    rows = [r if isinstance(r, LinkRecord) else LinkRecord.from_mapping(r) for r in records]
    peers = sorted({r.peer for r in rows})
    return {p: linkage_figures([r for r in rows if r.peer == p]) for p in peers}
