"""Routing accuracy over a period, from the dispatch records (the learning loop's scoreboard)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from hotline.intake.models import DispatchRecord
from hotline.units.models import Unit


@dataclass
class RoutingReport:
    dispatches: int = 0
    with_suggestion: int = 0
    top1: int = 0
    top3: int = 0
    returned: int = 0
    per_unit: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def top1_rate(self) -> float | None:
        return round(self.top1 / self.with_suggestion, 4) if self.with_suggestion else None

    @property
    def top3_rate(self) -> float | None:
        return round(self.top3 / self.with_suggestion, 4) if self.with_suggestion else None

    def to_dict(self) -> dict[str, object]:
        return {"dispatches": self.dispatches, "with_suggestion": self.with_suggestion,
                "top1": self.top1, "top3": self.top3, "top1_rate": self.top1_rate,
                "top3_rate": self.top3_rate, "returned": self.returned, "per_unit": self.per_unit}


def routing_report(session: Session, start: datetime, end: datetime) -> RoutingReport:
    """top-1: the chosen lead was the suggested lead; top-3: among the first three suggestions;
    misrouting per unit: dispatches whose chosen lead sent the ticket back (退单)."""
    names = {u.id: u.name for u in session.exec(select(Unit))}
    report = RoutingReport()
    per: dict[str, dict[str, int]] = defaultdict(lambda: {"dispatched": 0, "returned": 0})
    for r in session.exec(select(DispatchRecord).where(col(DispatchRecord.at) >= start)
                          .where(col(DispatchRecord.at) < end)):
        report.dispatches += 1
        if r.suggested_lead_id is not None:
            report.with_suggestion += 1
            report.top1 += r.chosen_lead_id == r.suggested_lead_id
            report.top3 += r.chosen_lead_id in (r.suggested_unit_ids or [])[:3] \
                or r.chosen_lead_id == r.suggested_lead_id
        name = names.get(r.chosen_lead_id, str(r.chosen_lead_id))
        per[name]["dispatched"] += 1
        if r.returned:
            report.returned += 1
            per[name]["returned"] += 1
    report.per_unit = dict(sorted(per.items(), key=lambda kv: -kv[1]["returned"]))
    return report
