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
from hotline.core.times import as_utc, utcnow
from hotline.kb.upkeep import unit_upkeep
from hotline.tickets import due_times, history
from hotline.tickets.actions import Action, EventKind
from hotline.tickets.models import (
    AssignmentRole,
    ExtensionRequest,
    ExtensionState,
    Rating,
    ReturnRecord,
    ReturnVisit,
    Ticket,
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
    #: CQ §13(一): returns sent after the window (2 wd from receipt).
    late_returns: int = 0
    #: CQ §24: deadlines that fell due in the period with nothing done by its end.
    unsigned_overdue: int = 0
    unanswered_overdue: int = 0
    kb_published: int = 0  # the unit's knowledge entries in force at the period's end (CQ §24)
    kb_stale: int = 0  # of which past valid_until or not reviewed for HOTLINE_KB_REVIEW_MONTHS

    @staticmethod
    def _rate(num: int, den: int) -> float | None:
        return round(num / den, 4) if den else None

    @property
    def on_time_sign_rate(self) -> float | None:
        return self._rate(self.signed_on_time, self.signed + self.unsigned_overdue)

    @property
    def on_time_close_rate(self) -> float | None:
        return self._rate(self.replied_on_time, self.replied + self.unanswered_overdue)

    @property
    def avg_working_days_to_close(self) -> float | None:
        return round(self.working_days_to_close_sum / self.replied, 2) if self.replied else None

    @property
    def return_rate(self) -> float | None:
        if self.returns and not self.received:
            return 1.0  # returned what it received earlier: all of this period's work
        rate = self._rate(self.returns, self.received)
        return None if rate is None else min(1.0, rate)

    @property
    def late_return_rate(self) -> float | None:
        return self._rate(self.late_returns, self.returns)

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
                 # A unit that sends everything back has done none of the work (CQ §24).
                 (None if self.return_rate is None else 1 - self.return_rate, 10),
                 (None if self.late_return_rate is None else 1 - self.late_return_rate, 5),
                 (self.kb_upkeep_rate, 10)]
        present = [(v, w) for v, w in parts if v is not None]
        if not present:
            return None
        return round(100 * sum(v * w for v, w in present) / sum(w for _, w in present), 1)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for name in ("on_time_sign_rate", "on_time_close_rate", "avg_working_days_to_close",
                     "return_rate", "improper_return_rate", "extension_rate", "satisfaction_rate",
                     "resolution_rate", "rework_rate", "late_return_rate", "kb_upkeep_rate", "score"):
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
    frozen_due = col(TicketEvent.payload)["due_at"].as_string()
    for action, total, timely in ((Action.sign, "signed", "signed_on_time"),
                                  (Action.reply, "replied", "replied_on_time")):
        base = (select(actor_unit, func.count()).where(action_col == action)
                .where(_in(at, start, end)).group_by(actor_unit))
        add(base.where(on_time.is_(True)), timely)
        # A late act whose deadline fell in an earlier period was counted there, as overdue and
        # undone; counting it again here would punish it twice.
        for uid, due_text in session.execute(
                select(actor_unit, frozen_due).where(action_col == action)
                .where(_in(at, start, end))):
            if (m := row(uid)) is not None and not _carried(due_text, start):
                setattr(m, total, getattr(m, total) + 1)
    add(select(actor_unit, func.sum(col(TicketEvent.payload)["working_days_taken"].as_integer()))
        .where(action_col == Action.reply).where(_in(at, start, end)).group_by(actor_unit),
        "working_days_to_close_sum")
    returner, returned_at = col(ReturnRecord.from_unit_id), col(ReturnRecord.at)
    add(select(returner, func.count()).where(_in(returned_at, start, end)).group_by(returner),
        "returns")
    add(select(returner, func.count()).where(_in(returned_at, start, end))
        .where(col(ReturnRecord.improper).is_(True)).group_by(returner), "improper_returns")
    add(select(returner, func.count()).where(_in(returned_at, start, end))
        .where(col(ReturnRecord.late).is_(True)).group_by(returner), "late_returns")
    for uid, field_name in overdue_undone(session, start, end):
        if (m := row(uid)) is not None:
            setattr(m, field_name, getattr(m, field_name) + 1)
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


def _carried(due_text: str | None, start: datetime) -> bool:
    if not due_text:
        return False
    return datetime.fromisoformat(due_text) < start


#: Who must act on a clock, from the act that (re)started it: the unit it went to.
_TO_UNIT = {"dispatch": "lead_unit_id", "forward": "to_unit_id", "return": "to_unit_id",
            "reject_return": "to_unit_id"}


def overdue_undone(session: Session, start: datetime, end: datetime) -> list[tuple[int, str]]:
    """(unit, "unsigned_overdue" | "unanswered_overdue") for each transfer or close deadline that
    fell due in ``[start, end)`` and was still not met when the period ended (or now).

    The ticket's history is replayed by ``sla`` up to that moment, so the answer is what the
    clocks said then; the unit is the one holding the ticket at that moment (the last dispatch,
    forward or return sent it there). Tickets whose stored deadlines all lie before ``start``
    cannot have one falling due in the period (a deadline only moves later), so they are skipped.
    """
    cutoff = min(end, utcnow())
    if cutoff <= start:
        return []
    candidates = session.exec(
        select(Ticket).where(col(Ticket.dispatched_at).is_not(None))
        .where(col(Ticket.dispatched_at) < cutoff)
        .where(or_(col(Ticket.transfer_due_at) >= start, col(Ticket.close_due_at) >= start))
    ).all()
    out: list[tuple[int, str]] = []
    histories = history.load_many(session, [t.id for t in candidates if t.id is not None])
    for ticket in candidates:
        events = [e for e in histories.get(ticket.id or 0, []) if as_utc(e.at) < cutoff]
        clocks = due_times.compute(ticket, events, cutoff)
        holder = None
        for e in events:
            key = _TO_UNIT.get(e.action)
            if key and (e.payload or {}).get(key):
                holder = int(e.payload[key])
        if holder is None:
            continue
        for name, field_name in (("transfer", "unsigned_overdue"), ("close", "unanswered_overdue")):
            c = clocks.get(name)
            if c is not None and c.open and start <= c.due < cutoff:
                out.append((holder, field_name))
    return out


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
