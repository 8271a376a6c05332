"""Reading tickets back: the detail, the lists and their filters, the caller's progress view."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, func, select
from sqlmodel.sql.expression import SelectOfScalar

import sla
from hotline.core.errors import Invalid, NotFound
from hotline.core.sla_setup import get_calendar
from hotline.core.times import SHANGHAI, local, utcnow
from hotline.tickets import due_times, history
from hotline.tickets.actions import EventKind
from hotline.tickets.commands import facts_for, load_ticket, visible_ticket
from hotline.tickets.due_times import CLOCK_LABELS
from hotline.tickets.models import (
    PUBLIC_STATUS_LABELS,
    AssignmentRole,
    ExtensionRequest,
    ExtensionState,
    ReturnRecord,
    ReturnVisit,
    SupervisionOrder,
    Ticket,
    TicketEvent,
    TicketUnit,
)
from hotline.tickets.schemas import (
    CallerWait,
    ClockPublic,
    EventPublic,
    PublicProgress,
    TicketDetail,
    TicketSummary,
    UnitRef,
)
from hotline.tickets.visibility import (
    log_contact_access,
    mask_name,
    mask_phone,
    sees_contact,
    subtree_filter,
    visibility_filter,
)
from hotline.tickets.workflow import ACTION_LABELS, BY_ACTION, STATUS_LABELS, Status, allowed_actions
from hotline.units.actor import Actor
from hotline.units.models import Unit, User
from hotline.units.tree import UnitCache


# ---------------------------------------------------------------------------------------------
# Shaping
# ---------------------------------------------------------------------------------------------
def _unit_ref(unit: Unit | None) -> UnitRef | None:
    return UnitRef(id=unit.id, name=unit.name, kind=unit.kind) if unit else None


def _working_hours(delta_seconds: float) -> float:
    return round(delta_seconds / 3600, 2)


def clock_public(c: sla.ClockStatus) -> ClockPublic:
    if c.state in ("met",):
        display = "按时完成"
    elif c.state == "cancelled":
        display = "已停止"
    elif c.warning == "overdue" or c.state == "breached":
        display = f"已超期 {c.overdue_working_days} 个工作日" if c.open else "超期完成"
    else:
        display = f"剩余 {c.remaining_working_days} 个工作日"
    return ClockPublic(
        name=c.name, label=CLOCK_LABELS.get(c.name, c.name), started_at=c.started_at, due=c.due,
        at_risk_at=c.at_risk_at, stopped_at=c.stopped_at, state=c.state, warning=c.warning,
        remaining_working_days=c.remaining_working_days,
        overdue_working_days=c.overdue_working_days,
        elapsed_hours=_working_hours(c.elapsed.total_seconds()),
        remaining_hours=_working_hours(c.remaining.total_seconds()),
        display=display, provisional=c.provisional, warnings=list(c.warnings),
    )


def summary(
    ticket: Ticket, actor: Actor, units: UnitCache, now: datetime
) -> TicketSummary:
    contact = sees_contact(actor, ticket)
    return TicketSummary(
        number=ticket.number, status=ticket.status,
        status_label=STATUS_LABELS.get(ticket.status, ticket.status), channel=ticket.channel,
        request_type=ticket.request_type, category=ticket.category, content=ticket.content,
        address=ticket.address, urgency=ticket.urgency,
        caller_name=ticket.caller_name if contact else mask_name(ticket.caller_name),
        caller_phone=ticket.caller_phone if contact else mask_phone(ticket.caller_phone),
        lead_unit=_unit_ref(units.get(ticket.lead_unit_id)),
        holder_unit=_unit_ref(units.get(ticket.holder_unit_id)),
        created_at=ticket.created_at, dispatched_at=ticket.dispatched_at,
        close_due_at=ticket.close_due_at, next_due_at=ticket.next_due_at,
        warning=due_times.warning_level(ticket, now), sla_provisional=ticket.sla_provisional,
        version=ticket.version, caller_phone_withheld=not ticket.caller_phone,
        lookup_code=ticket.lookup_code if actor.hotline_side else None,
    )


def ticket_summary(
    session: Session, actor: Actor, ticket: Ticket, now: datetime | None = None
) -> TicketSummary:
    return summary(ticket, actor, UnitCache(session), now or utcnow())


TicketRecord = type[ExtensionRequest] | type[ReturnRecord] | type[ReturnVisit] | type[SupervisionOrder]


def _rows(session: Session, model: TicketRecord, ticket_id: int) -> list[dict[str, Any]]:
    rows = session.exec(select(model).where(col(model.ticket_id) == ticket_id)
                        .order_by(col(model.id))).all()
    return [r.model_dump(mode="json") for r in rows]


def ticket_detail(
    session: Session, actor: Actor, number: str, now: datetime | None = None, *,
    just_acted: bool = False,
) -> TicketDetail:
    """The ticket as the actor may see it. ``just_acted``: the answer to the actor's own command,
    shown once even when the command took the ticket out of their view (a return)."""
    now = now or utcnow()
    ticket = load_ticket(session, number) if just_acted else visible_ticket(session, actor, number)
    units = UnitCache(session)
    events = history.load(session, ticket.id)
    clock_map = due_times.compute(ticket, events, now)
    users = {u.id: u for u in session.exec(
        select(User).where(col(User.id).in_({e.actor_id for e in events if e.actor_id}))
    ).all()}
    co_units = session.exec(
        select(Unit).join(TicketUnit, col(TicketUnit.unit_id) == col(Unit.id))
        .where(TicketUnit.ticket_id == ticket.id).where(TicketUnit.role == AssignmentRole.co)
        .where(col(TicketUnit.active))
    ).all()
    merged_into = session.get(Ticket, ticket.merged_into_id) if ticket.merged_into_id else None
    if sees_contact(actor, ticket):
        log_contact_access(session, actor, [ticket.id], "view", now)
    base = summary(ticket, actor, units, now)
    allowed = [t.action.value for t in allowed_actions(facts_for(session, actor, ticket, now))]
    return TicketDetail(
        **base.model_dump(),
        co_units=[UnitRef(id=u.id, name=u.name, kind=u.kind) for u in co_units],
        reply_content=ticket.reply_content, decision=ticket.decision,
        merged_into=merged_into.number if merged_into else None,
        merged_from=list(session.exec(select(Ticket.number).where(Ticket.merged_into_id == ticket.id)
                                      .order_by(col(Ticket.id))).all()),
        rework_count=ticket.rework_count,
        caller_wait=caller_wait(ticket, events, now),
        clocks=[clock_public(c) for c in clock_map.values()],
        events=[
            EventPublic(
                seq=e.seq, action=e.action, label=ACTION_LABELS.get(e.action, e.action),
                from_status=e.from_status, to_status=e.to_status,
                # The names as they were when the act was done (rows before 0005: today's).
                actor=e.actor_name or (users[e.actor_id].full_name if e.actor_id in users else None),
                actor_unit=e.actor_unit_name or (u.name if (u := units.get(e.actor_unit_id)) else None),
                reason=e.reason, payload=e.payload, at=e.at,
            )
            for e in events
        ],
        extensions=_rows(session, ExtensionRequest, ticket.id),
        returns=_rows(session, ReturnRecord, ticket.id),
        visits=_rows(session, ReturnVisit, ticket.id),
        supervision_orders=_rows(session, SupervisionOrder, ticket.id),
        allowed_actions=allowed,
    )


def caller_wait(ticket: Ticket, events: list[TicketEvent], now: datetime) -> CallerWait:
    """The caller's total wait: never reset by a re-dispatch, whatever the units' clocks do."""
    dispatches = [i for i, e in enumerate(events) if e.action == "dispatch"]
    first_due = None
    if dispatches:
        first = due_times.compute(ticket, events[: dispatches[0] + 1], now).get("close")
        first_due = first.due if first else None
    answered = ticket.status in (Status.replied, Status.visited)
    ended = ticket.closed_at or (ticket.replied_at if answered else None)
    end = ended or now
    days = get_calendar().working_days_between(local(ticket.created_at).date(), local(end).date())
    return CallerWait(registered_at=ticket.created_at, ended_at=ended, working_days=max(0, days),
                      dispatches=len(dispatches), first_close_due_at=first_due,
                      past_first_due=first_due is not None and end > first_due)


# ---------------------------------------------------------------------------------------------
# Lists
# ---------------------------------------------------------------------------------------------
@dataclass
class TicketFilter:
    status: list[str] | None = None
    unit_id: int | None = None
    warning: str | None = None  # normal / at_risk / overdue
    overdue: bool | None = None
    request_type: str | None = None
    category: str | None = None
    q: str | None = None
    caller_phone: str | None = None  # exact, normalised: "该号码全部来电" (logged, CQ §22)
    created_from: datetime | None = None
    created_to: datetime | None = None
    min_overdue_days: int | None = None


def filtered(session: Session, actor: Actor, flt: TicketFilter, now: datetime) -> SelectOfScalar[Ticket]:
    """The tickets this actor may see that match the filter (shared by lists, board, exports)."""
    stmt = select(Ticket)
    # Overdue / at-risk lists are ~1 % of the table: probe each of their tickets for the scope
    # rather than hash the scope's assignments (``visibility.subtree_filter``).
    narrow = flt.overdue is True or flt.warning in ("overdue", "at_risk", "attention")
    cond = visibility_filter(session, actor, probe=narrow)
    if cond is not None:
        stmt = stmt.where(cond)
    if flt.status:
        stmt = stmt.where(col(Ticket.status).in_(flt.status))
    if flt.unit_id is not None:
        unit = session.get(Unit, flt.unit_id)
        if unit is None:
            raise Invalid(f"单位 {flt.unit_id} 不存在", title="单位不存在")
        stmt = stmt.where(subtree_filter(session, unit.path, probe=narrow))
    if flt.overdue is True or flt.warning == "overdue":
        stmt = stmt.where(col(Ticket.next_due_at) < now)
    elif flt.warning == "at_risk":
        stmt = stmt.where(col(Ticket.next_at_risk_at) <= now).where(col(Ticket.next_due_at) >= now)
    elif flt.warning == "attention":  # at risk or overdue: the supervisors' board
        stmt = stmt.where(col(Ticket.next_at_risk_at) <= now)
    elif flt.warning == "normal" or flt.overdue is False:
        stmt = stmt.where(or_(col(Ticket.next_due_at).is_(None), col(Ticket.next_due_at) >= now))
        if flt.warning == "normal":
            stmt = stmt.where(
                or_(col(Ticket.next_at_risk_at).is_(None), col(Ticket.next_at_risk_at) > now)
            )
    if flt.min_overdue_days:
        # Overdue by ≥ N working days ⇔ due on or before the Nth working day before today.
        today = local(now).date()
        cutoff = get_calendar().subtract_working_days(today, flt.min_overdue_days)
        stmt = stmt.where(col(Ticket.next_due_at) < datetime.combine(
            cutoff + timedelta(days=1), time(), SHANGHAI))
    if flt.request_type:
        stmt = stmt.where(Ticket.request_type == flt.request_type)
    if flt.category:
        stmt = stmt.where(col(Ticket.category).startswith(flt.category))
    if flt.q:
        like = f"%{flt.q}%"
        stmt = stmt.where(or_(col(Ticket.content).like(like), col(Ticket.address).like(like),
                              col(Ticket.number).like(like), col(Ticket.caller_name) == flt.q))
    if flt.caller_phone:
        stmt = stmt.where(col(Ticket.caller_phone) == flt.caller_phone)
    if flt.created_from:
        stmt = stmt.where(col(Ticket.created_at) >= flt.created_from)
    if flt.created_to:
        stmt = stmt.where(col(Ticket.created_at) < flt.created_to)
    return stmt


def urgency_order(flt: TicketFilter) -> list[Any]:
    """Most overdue first, then the soonest due; otherwise newest first."""
    if flt.overdue or flt.warning in ("overdue", "at_risk", "attention") or flt.min_overdue_days:
        return [col(Ticket.next_due_at).asc(), col(Ticket.id)]
    return [col(Ticket.id).desc()]


def mark_pending_extensions(session: Session, items: list[TicketSummary],
                            ids: list[int]) -> list[TicketSummary]:
    """Set ``extension_pending`` on the rows whose extension request awaits a decision (one query
    for the page)."""
    if ids:
        waiting = set(session.exec(select(ExtensionRequest.ticket_id).where(
            col(ExtensionRequest.ticket_id).in_(ids),
            ExtensionRequest.status == ExtensionState.pending)).all())
        for item, tid in zip(items, ids, strict=True):
            item.extension_pending = tid in waiting
    return items


def list_tickets(
    session: Session, actor: Actor, flt: TicketFilter, *, page: int = 1, page_size: int = 50,
    now: datetime | None = None,
) -> tuple[list[TicketSummary], int]:
    now = now or utcnow()
    stmt = filtered(session, actor, flt, now)
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(stmt.order_by(*urgency_order(flt)).offset((page - 1) * page_size)
                        .limit(page_size)).all()
    units = UnitCache(session)
    units.prefetch(u for t in rows for u in (t.lead_unit_id, t.holder_unit_id))
    items = mark_pending_extensions(session, [summary(t, actor, units, now) for t in rows],
                                    [t.id for t in rows])
    # CQ §22: every view of a caller's unmasked contact is traceable, in lists too.
    log_contact_access(session, actor, [t.id for t in rows if sees_contact(actor, t)], "list", now)
    return items, int(total)


# ---------------------------------------------------------------------------------------------
# The caller's view (CQ §11)
# ---------------------------------------------------------------------------------------------
#: System events a caller sees besides the public actions (the table's ``public`` field).
PUBLIC_EVENTS = frozenset({EventKind.register, EventKind.caller_notified})


def is_public(kind: str) -> bool:
    transition = BY_ACTION.get(kind)
    return transition.public if transition is not None else kind in PUBLIC_EVENTS


def _proves_caller(ticket: Ticket, phone_last4: str | None, code: str | None) -> bool:
    """The last four digits of the number, or (number withheld, CQ §11) the lookup code."""
    if code:
        return ticket.lookup_code is not None and hmac.compare_digest(
            ticket.lookup_code, code.strip().upper())
    return (phone_last4 is not None and len(phone_last4) == 4 and bool(ticket.caller_phone)
            and ticket.caller_phone.endswith(phone_last4))


def public_progress(session: Session, number: str, phone_last4: str | None,
                    code: str | None = None) -> PublicProgress:
    try:
        ticket = load_ticket(session, number)
    except NotFound:
        ticket = None
    # Same answer for "no such ticket" and "wrong digits": numbers cannot be probed.
    if ticket is None or not _proves_caller(ticket, phone_last4, code):
        raise NotFound("未找到与该编号和手机号后四位（或查询码）匹配的工单", title="工单不存在")
    own = ticket
    # 并单: a merged caller follows the ticket their matter is handled in (up a chain of merges).
    followed: list[Ticket] = [ticket]
    while ticket.merged_into_id is not None and len(followed) <= 10:
        target = session.get(Ticket, ticket.merged_into_id)
        if target is None or target in followed:
            break
        ticket = target
        followed.append(ticket)
    holder = session.get(Unit, ticket.holder_unit_id) if ticket.holder_unit_id else None
    events = sorted(((e, t) for t in followed for e in history.load(session, t.id)
                     if is_public(e.action)), key=lambda pair: pair[0].at)
    steps = [
        {"action": e.action, "label": ACTION_LABELS.get(e.action, e.action), "at": e.at,
         "status_label": PUBLIC_STATUS_LABELS.get(e.to_status or "", ""), "ticket": t.number}
        for e, t in events
    ]
    reply = ticket.reply_content if ticket.status in (
        Status.replied, Status.visited, Status.closed, Status.archived, Status.answered,
        Status.verifying, Status.rework) else None
    return PublicProgress(
        number=own.number, status=ticket.status,
        status_label=PUBLIC_STATUS_LABELS.get(ticket.status, ""),
        request_type=own.request_type, registered_at=own.created_at,
        handling_unit=holder.name if holder else None, due=ticket.close_due_at,
        steps=steps, reply=reply, merged_into=ticket.number if ticket is not own else None,
    )
