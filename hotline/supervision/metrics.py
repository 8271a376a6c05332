"""Unit performance per period, computed in SQL from the record (CQ §24; formulas: docs/METRICS.md).

Every figure is attributed to the unit that performed the act (the signing unit, the replying
unit, the returning unit…), and uses facts frozen on the act's event at the time (was the
clock met? how many working days did it take?) so later recalculation cannot rewrite history.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from hotline.tickets.models import (
    AssignmentRole,
    ExtensionRequest,
    ReturnRecord,
    ReturnVisit,
    TicketEvent,
    TicketUnit,
)
from hotline.units.models import Unit, UnitKind


@dataclass
class UnitMetrics:
    unit_id: int
    unit_name: str
    received: int = 0
    signed: int = 0
    signed_on_time: int = 0
    replied: int = 0
    replied_on_time: int = 0
    working_days_to_close_sum: int = 0
    returns: int = 0
    improper_returns: int = 0
    extensions: int = 0
    abnormal_extensions: int = 0
    visits: int = 0
    satisfied: int = 0
    resolution_answers: int = 0
    resolved: int = 0
    reworks: int = 0

    @staticmethod
    def _rate(num: int, den: int) -> float | None:
        return round(num / den, 4) if den else None

    @property
    def on_time_sign_rate(self) -> float | None:
        return self._rate(self.signed_on_time, self.signed)

    @property
    def on_time_close_rate(self) -> float | None:
        return self._rate(self.replied_on_time, self.replied)

    @property
    def avg_working_days_to_close(self) -> float | None:
        return round(self.working_days_to_close_sum / self.replied, 2) if self.replied else None

    @property
    def return_rate(self) -> float | None:
        return self._rate(self.returns, self.received)

    @property
    def improper_return_rate(self) -> float | None:
        return self._rate(self.improper_returns, self.returns)

    @property
    def extension_rate(self) -> float | None:
        return self._rate(self.extensions, self.received)

    @property
    def satisfaction_rate(self) -> float | None:
        return self._rate(self.satisfied, self.visits)

    @property
    def resolution_rate(self) -> float | None:
        return self._rate(self.resolved, self.resolution_answers)

    @property
    def rework_rate(self) -> float | None:
        return self._rate(self.reworks, self.replied)

    @property
    def score(self) -> float | None:
        """Composite evaluation score (docs/METRICS.md): weights over the rates that exist."""
        parts = [(self.on_time_close_rate, 30), (self.on_time_sign_rate, 15),
                 (self.satisfaction_rate, 30), (self.resolution_rate, 15),
                 (None if self.improper_return_rate is None else 1 - self.improper_return_rate, 5),
                 (None if not self.extensions else 1 - self.abnormal_extensions / self.extensions, 5)]
        present = [(v, w) for v, w in parts if v is not None]
        if not present:
            return None
        return round(100 * sum(v * w for v, w in present) / sum(w for _, w in present), 1)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for name in ("on_time_sign_rate", "on_time_close_rate", "avg_working_days_to_close",
                     "return_rate", "improper_return_rate", "extension_rate", "satisfaction_rate",
                     "resolution_rate", "rework_rate", "score"):
            d[name] = getattr(self, name)
        return d


@dataclass
class HotlineMetrics:
    registered: int
    direct_answers: int

    @property
    def direct_answer_rate(self) -> float | None:
        return round(self.direct_answers / self.registered, 4) if self.registered else None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "direct_answer_rate": self.direct_answer_rate}


def _in(column: Any, start: datetime, end: datetime) -> Any:
    return and_(column >= start, column < end)


def unit_metrics(session: Session, start: datetime, end: datetime,
                 unit_ids: list[int] | None = None) -> list[UnitMetrics]:
    units = {u.id: u for u in session.execute(select(Unit).where(Unit.kind != UnitKind.hotline)).scalars()}
    out: dict[int, UnitMetrics] = {}

    def row(uid: int | None) -> UnitMetrics | None:
        if uid is None or uid not in units or (unit_ids is not None and uid not in unit_ids):
            return None
        if uid not in out:
            out[uid] = UnitMetrics(uid, units[uid].name)
        return out[uid]

    def add(stmt: Any, field: str) -> None:
        for uid, n in session.execute(stmt):
            if (m := row(uid)) is not None:
                setattr(m, field, getattr(m, field) + int(n or 0))

    ev = TicketEvent
    on_time = col(ev.payload)["on_time"].as_boolean()
    add(select(TicketUnit.unit_id, func.count())
        .where(col(TicketUnit.role).in_([AssignmentRole.lead, AssignmentRole.handler]))
        .where(_in(TicketUnit.assigned_at, start, end)).group_by(TicketUnit.unit_id), "received")
    for action, total, timely in (("sign", "signed", "signed_on_time"),
                                  ("reply", "replied", "replied_on_time")):
        base = select(ev.actor_unit_id, func.count()).where(ev.action == action).where(
            _in(ev.at, start, end)).group_by(ev.actor_unit_id)
        add(base, total)
        add(base.where(on_time.is_(True)), timely)
    add(select(ev.actor_unit_id,
               func.sum(col(ev.payload)["working_days_taken"].as_integer()))
        .where(ev.action == "reply").where(_in(ev.at, start, end)).group_by(ev.actor_unit_id),
        "working_days_to_close_sum")
    rr = ReturnRecord
    add(select(rr.from_unit_id, func.count()).where(_in(rr.at, start, end))
        .group_by(rr.from_unit_id), "returns")
    add(select(rr.from_unit_id, func.count()).where(_in(rr.at, start, end))
        .where(col(rr.improper).is_(True)).group_by(rr.from_unit_id), "improper_returns")
    er = ExtensionRequest
    earlier = aliased(ExtensionRequest)
    add(select(er.unit_id, func.count()).where(_in(er.requested_at, start, end))
        .group_by(er.unit_id), "extensions")
    repeated = exists(select(earlier.id).where(earlier.ticket_id == er.ticket_id)
                      .where(earlier.unit_id == er.unit_id).where(earlier.id < er.id))
    add(select(er.unit_id, func.count()).where(_in(er.requested_at, start, end))
        .where(or_(er.status == "denied", repeated)).group_by(er.unit_id), "abnormal_extensions")
    rv = ReturnVisit
    counted = select(rv.unit_id, func.count()).where(_in(rv.at, start, end)).where(
        col(rv.counts_for_satisfaction)).group_by(rv.unit_id)
    add(counted, "visits")
    add(counted.where(col(rv.rating).in_(["satisfied", "basically_satisfied"])), "satisfied")
    add(select(rv.unit_id, func.count()).where(_in(rv.at, start, end))
        .where(col(rv.resolved).is_not(None)).group_by(rv.unit_id), "resolution_answers")
    add(select(rv.unit_id, func.count()).where(_in(rv.at, start, end))
        .where(col(rv.resolved).is_(True)).group_by(rv.unit_id), "resolved")
    add(select(rv.unit_id, func.count()).where(_in(rv.at, start, end))
        .where(rv.verification == "rework").group_by(rv.unit_id), "reworks")
    return sorted(out.values(), key=lambda m: (-(m.score or 0), m.unit_name))


def hotline_metrics(session: Session, start: datetime, end: datetime) -> HotlineMetrics:
    counts: dict[str, int] = defaultdict(int)
    for action, n in session.execute(
        select(TicketEvent.action, func.count())
        .where(col(TicketEvent.action).in_(["register", "answer_directly"]))
        .where(_in(TicketEvent.at, start, end)).group_by(TicketEvent.action)
    ):
        counts[action] = int(n)
    return HotlineMetrics(registered=counts["register"], direct_answers=counts["answer_directly"])
