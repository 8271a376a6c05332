"""The SLA scan: at risk → 催办, overdue → 督办, still overdue → the next level, 3 reworks → 升级督办.

Idempotent by construction (CQ §15): the first statement inserts into the escalation ledger
only what is not there yet (unique ticket × stage × deadline instance); everything that follows —
supervision orders, history events, notifications — is derived from the rows *this* scan
inserted, in the same transaction. A scan run twice finds nothing new; a scan killed half way
rolls back and the next one does the whole of it, once.

The thresholds (at-risk time, due time, escalation time) are computed by ``sla`` whenever a
command changes the ticket and stored on it, so the scan itself is set-based SQL over indexed
columns: the incremental scan touches only tickets whose ``scan_next_at`` has passed; the full
scan re-checks every open ticket that is at risk or worse.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    and_,
    case,
    cast,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

import sla
from hotline.core.columns import table_of
from hotline.core.settings import get_settings
from hotline.core.sla_setup import get_calendar, get_policy
from hotline.core.times import local
from hotline.notifications import notify
from hotline.supervision.models import STAGE_LABELS, Escalation, Stage
from hotline.tickets import history
from hotline.tickets.due_times import CLOCK_LABELS
from hotline.tickets.models import OPEN_STATES, OrderState, SupervisionOrder, Ticket
from hotline.units.models import Role, Unit, UnitKind

T = table_of(Ticket)
E = table_of(Escalation)

#: Fault injection for the "worker killed mid-scan" test: seconds to sleep inside the
#: transaction, after the ledger insert and before the commit. Never set in production.
_FAULT_PAUSE_ENV = "HOTLINE_FAULT_SCAN_PAUSE"


@dataclass
class ScanResult:
    scan_id: str
    candidates: int = 0
    fired: dict[str, int] = field(default_factory=dict)
    notifications: int = 0

    @property
    def total(self) -> int:
        return sum(self.fired.values())


def _epoch(column: Any, dialect: str) -> ColumnElement[int]:
    """Seconds since 1970 of a stored time: the deadline instance's key in the ledger."""
    if dialect == "postgresql":
        return cast(func.floor(func.extract("epoch", column)), BigInteger)
    return cast(func.strftime("%s", column), Integer)


def scan(session: Session, now: datetime, *, full: bool = False) -> ScanResult:
    """Fire what has come due; the caller commits (one transaction per scan)."""
    dialect = session.get_bind().dialect.name
    settings = get_settings()
    result = ScanResult(scan_id=uuid.uuid4().hex)
    rework_n = settings.rework_escalation_count
    open_ = T.c.status.in_(sorted(OPEN_STATES))
    if full:
        due_now = or_(T.c.next_at_risk_at <= now, T.c.rework_count >= rework_n)
    else:
        due_now = T.c.scan_next_at <= now
    cand = select(T.c.id, T.c.holder_unit_id, T.c.next_clock, T.c.next_due_at, T.c.next_at_risk_at,
                  T.c.next_escalate_at, T.c.rework_count).where(open_).where(due_now).subquery("c")
    due_cycle = _epoch(cand.c.next_due_at, dialect)

    def stage_rows(stage: Stage, cond: ColumnElement[bool], cycle: ColumnElement[int]) -> Any:
        return select(cand.c.id, literal(stage.value), cycle, cand.c.holder_unit_id,
                      cand.c.next_clock, cand.c.next_due_at, literal(result.scan_id),
                      literal(now, type_=E.c.created_at.type)).where(cond)

    source = union_all(
        stage_rows(Stage.reminder, and_(cand.c.next_at_risk_at <= now, cand.c.next_due_at > now),
                   due_cycle),
        stage_rows(Stage.supervision, cand.c.next_due_at <= now, due_cycle),
        stage_rows(Stage.escalation, and_(cand.c.next_due_at <= now,
                                          cand.c.next_escalate_at <= now), due_cycle),
        stage_rows(Stage.rework, cand.c.rework_count >= rework_n,
                   cast(cand.c.rework_count, BigInteger)),
    )
    columns = ["ticket_id", "stage", "cycle", "unit_id", "clock", "due_at", "scan_id", "created_at"]
    if dialect == "postgresql":
        session.execute(pg_insert(E).from_select(columns, source).on_conflict_do_nothing(
            index_elements=["ticket_id", "stage", "cycle"]))
    else:
        session.execute(insert(E).from_select(columns, source).prefix_with("OR IGNORE"))
    result.candidates = int(session.execute(
        select(func.count()).select_from(T).where(open_).where(due_now)).scalar_one())
    # The incremental scan's bookkeeping: when to look at each touched ticket again.
    session.execute(
        update(T).where(open_).where(due_now).values(scan_next_at=case(
            (T.c.next_at_risk_at > now, T.c.next_at_risk_at),
            (T.c.next_due_at > now, T.c.next_due_at),
            (T.c.next_escalate_at > now, T.c.next_escalate_at),
            else_=None,
        )).execution_options(synchronize_session=False)
    )
    fresh = session.execute(
        select(E.c.id, E.c.ticket_id, E.c.stage, E.c.unit_id, E.c.clock, E.c.due_at, T.c.number,
               T.c.status).join(T, T.c.id == E.c.ticket_id)
        .where(E.c.scan_id == result.scan_id).order_by(E.c.ticket_id, E.c.id)
    ).all()
    pause = float(os.environ.get(_FAULT_PAUSE_ENV, "0") or 0)
    if pause:
        time.sleep(pause)
    for row in fresh:
        result.fired[row.stage] = result.fired.get(row.stage, 0) + 1
    if fresh:
        _follow_up(session, fresh, now, result)
    return result


REASONS = {
    "reminder": "即将超期，请抓紧办理（系统催办）",
    "supervision": "已超过办理时限，系统生成督办单（CQ §15）",
    "escalation": "超期后仍未办结，升级督办至上一级（CQ §15）",
    "rework": "多次重办仍未解决，升级督办（CQ §14、§15）",
}


def _follow_up(session: Session, fresh: Sequence[Any], now: datetime, result: ScanResult) -> None:
    """Supervision orders, history events and notifications for the newly fired stages."""
    policy = get_policy()
    order_due = sla.deadline_after(get_calendar(), now, policy.supervision, policy.rule).due
    units = {u.id: u for u in session.execute(select(Unit)).scalars()}
    hotline = next(u for u in units.values() if u.kind == UnitKind.hotline)
    orders, events, notes = [], [], []
    for r in fresh:
        stage = Stage(r.stage)
        label = STAGE_LABELS[stage]
        due_text = local(r.due_at).strftime("%Y-%m-%d %H:%M") if r.due_at else ""
        clock = CLOCK_LABELS.get(r.clock or "", "办理时限")
        if stage != Stage.reminder:
            orders.append({"ticket_id": r.ticket_id, "unit_id": r.unit_id, "issued_by_id": None,
                           "level": 1 if stage == Stage.supervision else 2,
                           "reason": REASONS[stage], "issued_at": now, "due_at": order_due,
                           "status": OrderState.open, "response": None, "answered_at": None})
        events.append({"ticket_id": r.ticket_id, "action": f"auto_{stage.value}",
                       "from_status": r.status, "to_status": r.status, "actor_id": None,
                       "actor_unit_id": None, "reason": REASONS[stage],
                       "payload": {"escalation_id": r.id, "stage": stage.value, "clock": r.clock,
                                   "due_at": r.due_at.isoformat() if r.due_at else None,
                                   "scan_id": result.scan_id},
                       "at": now})
        verb = "将于" if stage == Stage.reminder else "已于"
        notes += notify.rows(recipients(stage, r.unit_id, units, hotline.id), kind=stage.value,
                             title=f"【{label}】工单 {r.number} {clock}{verb}{due_text}到期",
                             body=f"{REASONS[stage]}。工单编号：{r.number}。", now=now,
                             ticket_id=r.ticket_id, escalation_id=r.id)
    if orders:
        session.execute(table_of(SupervisionOrder).insert(), orders)
    history.insert_many(session, events)
    result.notifications = notify.insert(session, notes)


def next_level(unit_id: int | None, units: dict[int, Unit], hotline_id: int) -> int | None:
    """The leader one level up: for a street or community, its district government; for a
    district or a city department, the hotline's own leadership (None → supervisors only)."""
    if unit_id is None or unit_id not in units:
        return None
    ids = [int(x) for x in units[unit_id].path.strip("/").split("/")]
    # path = [hotline, level-1 unit (district / city dept), …]
    if len(ids) >= 3:
        return ids[1]
    return None


def recipients(stage: str, unit_id: int | None, units: dict[int, Unit],
               hotline_id: int) -> list[tuple[int, str]]:
    """Who is told: the unit, its managers, the next level's managers, the hotline supervisors."""
    out: list[tuple[int, str]] = []
    if unit_id is not None:
        if stage in (Stage.reminder, Stage.supervision):
            out.append((unit_id, ""))  # everyone in the unit, its managers included (once)
        else:
            out.append((unit_id, Role.unit_manager.value))
    if stage in (Stage.escalation, Stage.rework):
        upper = next_level(unit_id, units, hotline_id)
        if upper is not None and upper != unit_id:
            out.append((upper, Role.unit_manager.value))
    if stage != Stage.reminder:
        out.append((hotline_id, Role.supervisor.value))
    return list(dict.fromkeys(out))
