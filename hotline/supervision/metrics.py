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

from sqlalchemy import and_, exists, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from hotline.core.settings import get_settings
from hotline.core.times import utcnow
from hotline.kb.upkeep import unit_upkeep
from hotline.tickets.actions import Action, EventKind
from hotline.tickets.models import (
    AssignmentRole,
    ExtensionRequest,
    ExtensionState,
    Rating,
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
    kb_published: int = 0  # the unit's knowledge entries in force at the period's end (CQ §24)
    kb_stale: int = 0  # of which past valid_until or not reviewed for HOTLINE_KB_REVIEW_MONTHS

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
    def kb_upkeep_rate(self) -> float | None:
        """Share of the unit's published knowledge entries that are current (docs/METRICS.md)."""
        return self._rate(self.kb_published - self.kb_stale, self.kb_published)

    @property
    def score(self) -> float | None:
        """Composite evaluation score (docs/METRICS.md): weights over the rates that exist."""
        parts = [(self.on_time_close_rate, 30), (self.on_time_sign_rate, 15),
                 (self.satisfaction_rate, 30), (self.resolution_rate, 15),
                 (None if self.improper_return_rate is None else 1 - self.improper_return_rate, 5),
                 (None if not self.extensions else 1 - self.abnormal_extensions / self.extensions, 5),
                 (self.kb_upkeep_rate, 10)]
        present = [(v, w) for v, w in parts if v is not None]
        if not present:
            return None
        return round(100 * sum(v * w for v, w in present) / sum(w for _, w in present), 1)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for name in ("on_time_sign_rate", "on_time_close_rate", "avg_working_days_to_close",
                     "return_rate", "improper_return_rate", "extension_rate", "satisfaction_rate",
                     "resolution_rate", "rework_rate", "kb_upkeep_rate", "score"):
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
    units = {u.id: u for u in session.exec(select(Unit).where(col(Unit.kind) != UnitKind.hotline))}
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

    actor_unit, action_col, at = col(TicketEvent.actor_unit_id), col(TicketEvent.action), col(TicketEvent.at)
    on_time = col(TicketEvent.payload)["on_time"].as_boolean()
    add(select(col(TicketUnit.unit_id), func.count())
        .where(col(TicketUnit.role).in_([AssignmentRole.lead, AssignmentRole.handler]))
        .where(_in(col(TicketUnit.assigned_at), start, end)).group_by(col(TicketUnit.unit_id)),
        "received")
    for action, total, timely in ((Action.sign, "signed", "signed_on_time"),
                                  (Action.reply, "replied", "replied_on_time")):
        base = (select(actor_unit, func.count()).where(action_col == action)
                .where(_in(at, start, end)).group_by(actor_unit))
        add(base, total)
        add(base.where(on_time.is_(True)), timely)
    add(select(actor_unit, func.sum(col(TicketEvent.payload)["working_days_taken"].as_integer()))
        .where(action_col == Action.reply).where(_in(at, start, end)).group_by(actor_unit),
        "working_days_to_close_sum")
    returner, returned_at = col(ReturnRecord.from_unit_id), col(ReturnRecord.at)
    add(select(returner, func.count()).where(_in(returned_at, start, end)).group_by(returner),
        "returns")
    add(select(returner, func.count()).where(_in(returned_at, start, end))
        .where(col(ReturnRecord.improper).is_(True)).group_by(returner), "improper_returns")
    er = ExtensionRequest
    earlier = aliased(ExtensionRequest)
    asker, asked_at = col(er.unit_id), col(er.requested_at)
    add(select(asker, func.count()).where(_in(asked_at, start, end)).group_by(asker), "extensions")
    repeated = exists(select(col(earlier.id)).where(col(earlier.ticket_id) == col(er.ticket_id))
                      .where(col(earlier.unit_id) == asker).where(col(earlier.id) < col(er.id)))
    add(select(asker, func.count()).where(_in(asked_at, start, end))
        .where(or_(col(er.status) == ExtensionState.denied, repeated)).group_by(asker),
        "abnormal_extensions")
    visited, visited_at = col(ReturnVisit.unit_id), col(ReturnVisit.at)
    counted = (select(visited, func.count()).where(_in(visited_at, start, end))
               .where(col(ReturnVisit.counts_for_satisfaction)).group_by(visited))
    add(counted, "visits")
    add(counted.where(col(ReturnVisit.rating).in_([Rating.satisfied, Rating.basically_satisfied])),
        "satisfied")
    add(select(visited, func.count()).where(_in(visited_at, start, end))
        .where(col(ReturnVisit.resolved).is_not(None)).group_by(visited), "resolution_answers")
    add(select(visited, func.count()).where(_in(visited_at, start, end))
        .where(col(ReturnVisit.resolved).is_(True)).group_by(visited), "resolved")
    add(select(visited, func.count()).where(_in(visited_at, start, end))
        .where(col(ReturnVisit.verification) == "rework").group_by(visited), "reworks")
    for uid, upkeep in unit_upkeep(session, min(end, utcnow()), get_settings().kb_review_months).items():
        if (m := row(uid)) is not None:
            m.kb_published, m.kb_stale = upkeep.published, upkeep.stale
    return sorted(out.values(), key=lambda m: (-(m.score or 0), m.unit_name))


def hotline_metrics(session: Session, start: datetime, end: datetime) -> HotlineMetrics:
    counts: dict[str, int] = defaultdict(int)
    for action, n in session.exec(
        select(col(TicketEvent.action), func.count())
        .where(col(TicketEvent.action).in_([EventKind.register, Action.answer_directly]))
        .where(_in(col(TicketEvent.at), start, end)).group_by(col(TicketEvent.action))
    ):
        counts[action] = int(n)
    return HotlineMetrics(registered=counts[EventKind.register],
                          direct_answers=counts[Action.answer_directly])
