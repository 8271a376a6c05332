"""Performs one workflow action on one ticket, in one transaction, as ``workflow`` allows.

Every command: load and lock-check the ticket → judge the action against the table → apply
its effect → append one event (CQ §16) → recompute the clocks with ``sla``. A lost race on the
version column surfaces as ``VersionConflict`` (409), never as a half-applied change.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, func, select

import sla
from hotline.core.errors import Conflict, Forbidden, Invalid, NotFound, VersionConflict
from hotline.core.settings import get_settings
from hotline.core.sla_setup import get_calendar, get_policy
from hotline.core.times import as_utc, utcnow
from hotline.intake import learning as dispatch_records
from hotline.linkage import bridge as linkage
from hotline.supervision.models import Notification
from hotline.tickets import due_times as clocks
from hotline.tickets.models import (
    AssignmentRole,
    ExtensionRequest,
    ReturnRecord,
    ReturnVisit,
    SupervisionOrder,
    Ticket,
    TicketEvent,
    TicketUnit,
)
from hotline.tickets.visibility import can_see
from hotline.tickets.workflow import (
    BY_ACTION,
    FINAL_STATES,
    ActionPayload,
    Facts,
    Refusal,
    Status,
    judge,
)
from hotline.units.actor import Actor
from hotline.units.models import Unit, UnitKind
from hotline.units.tree import get_unit, hotline_unit, is_ancestor, require_units


def load_ticket(session: Session, number: str) -> Ticket:
    ticket = session.exec(select(Ticket).where(Ticket.number == number)).first()
    if ticket is None:
        raise NotFound(f"工单 {number} 不存在", title="工单不存在")
    return ticket


def visible_ticket(session: Session, actor: Actor, number: str) -> Ticket:
    ticket = load_ticket(session, number)
    if not can_see(session, actor, ticket):
        raise NotFound(f"工单 {number} 不存在", title="工单不存在")
    return ticket


def facts_for(session: Session, actor: Actor, ticket: Ticket, now: datetime) -> Facts:
    holder = session.get(Unit, ticket.holder_unit_id) if ticket.holder_unit_id else None
    co_ids = frozenset(
        session.exec(
            select(TicketUnit.unit_id)
            .where(TicketUnit.ticket_id == ticket.id)
            .where(TicketUnit.role == AssignmentRole.co)
            .where(col(TicketUnit.active))
        ).all()
    )
    pending = session.exec(
        select(ExtensionRequest.unit_id)
        .where(ExtensionRequest.ticket_id == ticket.id)
        .where(ExtensionRequest.status == "pending")
    ).first()
    open_order = session.exec(
        select(SupervisionOrder.id)
        .where(SupervisionOrder.ticket_id == ticket.id)
        .where(SupervisionOrder.status == "open")
    ).first()
    actor_unit = actor.unit

    def is_ancestor_of(unit_id: int) -> bool:
        unit = session.get(Unit, unit_id)
        return unit is not None and is_ancestor(actor_unit, unit)

    return Facts(
        status=ticket.status,
        actor_role=actor.role,
        actor_unit_id=actor_unit.id,  # type: ignore[arg-type]
        actor_unit_is_hotline=actor_unit.kind == UnitKind.hotline,
        actor_is_ancestor_of=is_ancestor_of,
        holder_unit_id=ticket.holder_unit_id,
        holder_is_hotline=holder is not None and holder.kind == UnitKind.hotline,
        co_unit_ids=co_ids,
        pending_extension_unit_id=pending,
        open_supervision=open_order is not None,
        close_overdue=ticket.close_due_at is not None and ticket.close_due_at < now,
    )


def append_event(
    session: Session, ticket: Ticket, *, action: str, actor: Actor | None, now: datetime,
    from_status: str | None, to_status: str | None, reason: str | None = None,
    payload: dict[str, Any] | None = None, seq: int | None = None,
) -> TicketEvent:
    """Append one history row; ``seq`` may be given when known (1 for a new ticket)."""
    if seq is None:
        seq = int(session.exec(
            select(func.coalesce(func.max(TicketEvent.seq), 0))
            .where(TicketEvent.ticket_id == ticket.id)
        ).one()) + 1
    event = TicketEvent(
        ticket_id=ticket.id,  # type: ignore[arg-type]
        seq=seq,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor_id=actor.id if actor else None,
        actor_unit_id=actor.unit.id if actor else None,
        reason=reason,
        payload=payload or {},
        at=now,
    )
    session.add(event)
    session.flush()
    return event


# ---------------------------------------------------------------------------------------------
# Effects: what each action does besides the status change. Each returns (reason, payload) for
# the event row. They run after ``judge`` said yes.
# ---------------------------------------------------------------------------------------------
Effect = Callable[[Session, Actor, Ticket, Any, datetime], tuple[str | None, dict[str, Any]]]


def _close_at_intake(ticket: Ticket, now: datetime, decision: dict[str, Any]) -> None:
    ticket.decision = decision
    ticket.closed_at = now


def _answer_directly(s: Session, a: Actor, t: Ticket, p: Any, now: datetime):  # type: ignore[no-untyped-def]
    _close_at_intake(t, now, {"type": "answer", "kb_entries": p.kb_entries})
    t.reply_content = p.answer
    return None, {"kb_entries": p.kb_entries}


def _warm_transfer(s: Session, a: Actor, t: Ticket, p: Any, now: datetime):  # type: ignore[no-untyped-def]
    if not p.caller_consent:
        raise Invalid("三方通话或转接须经来电人同意 (CQ §12(一))", title="来电人未同意转接")
    _close_at_intake(t, now, {"type": "transfer", "target": p.target})
    return p.note, {"target": p.target, "caller_consent": True}


def _not_accept(s: Session, a: Actor, t: Ticket, p: Any, now: datetime):  # type: ignore[no-untyped-def]
    decision = {"type": "not_accepted", "reason_code": str(p.reason_code), "referral": p.referral}
    _close_at_intake(t, now, decision)
    return p.reason, {"reason_code": str(p.reason_code), "referral": p.referral}


def _emergency(s: Session, a: Actor, t: Ticket, p: Any, now: datetime):  # type: ignore[no-untyped-def]
    # CQ §10: hand over at once and report to the hotline's supervisors (the event is the report;
    # the supervision board lists every emergency hand-over). SH: the matter goes to the peer
    # platform through the outbox, in this same transaction.
    _close_at_intake(t, now, {"type": "emergency", "service": p.service})
    sent = linkage.hand_over(s, t, p.service, p.reason, now)
    hotline = hotline_unit(s)
    s.add(Notification(ticket_id=t.id, unit_id=hotline.id, role="supervisor", kind="emergency",  # type: ignore[arg-type]
                       title=f"【应急移交】工单 {t.number} 已移交 {p.service}",
                       body=f"{a.user.full_name}：{p.reason}（CQ §10 向热线主管报告）", created_at=now))
    return p.reason, {"service": p.service, "caller_connected": p.caller_connected,
                      "reported_to_supervisors": True, "queued_to_peer": sent}


def _reclaim(s: Session, a: Actor, t: Ticket, p: Any, now: datetime):  # type: ignore[no-untyped-def]
    t.closed_at = None
    t.decision = {**(t.decision or {}), "reclaimed": True}
    return p.reason, {}


def _set_assignment(s: Session, t: Ticket, unit_id: int, role: str, now: datetime) -> None:
    row = s.exec(
        select(TicketUnit).where(TicketUnit.ticket_id == t.id)
        .where(TicketUnit.unit_id == unit_id).where(TicketUnit.role == role)
    ).first()
    if row is None:
        s.add(TicketUnit(ticket_id=t.id, unit_id=unit_id, role=role, active=True,  # type: ignore[arg-type]
                         assigned_at=now))
    elif not row.active:
        row.active = True
        row.assigned_at = now
        s.add(row)


def _dispatch(s: Session, a: Actor, t: Ticket, p: Any, now: datetime):  # type: ignore[no-untyped-def]
    if p.category:
        t.category = p.category
    suggestion = dispatch_records.suggestion_for(s, t)
    used = p.lead_unit_id is None
    if used:
        # Dispatch without a named unit takes routing's suggestion (属地、属事、派单目录).
        lead, co = dispatch_records.suggested_units(s, suggestion)
        if lead is None:
            raise Invalid("无法自动确定承办单位，请指定牵头单位", title="需要指定承办单位")
        p.lead_unit_id = lead
        if not p.co_unit_ids:
            p.co_unit_ids = co
    units = require_units(s, [p.lead_unit_id, *p.co_unit_ids])
    if any(u.kind == UnitKind.hotline for u in units.values()):
        raise Invalid("不能派发给热线中心本身", title="承办单位不正确")
    if p.due_at is not None and as_utc(p.due_at) <= now:
        raise Invalid("交办时限必须晚于当前时间", title="时限不正确")
    hotline = hotline_unit(s)
    # A re-dispatch replaces the earlier lead and co-units (CQ §12(二)).
    for row in s.exec(select(TicketUnit).where(TicketUnit.ticket_id == t.id)
                      .where(col(TicketUnit.role).in_([AssignmentRole.lead, AssignmentRole.co]))):
        row.active = False
        s.add(row)
    s.flush()
    _set_assignment(s, t, p.lead_unit_id, AssignmentRole.lead, now)
    for co in p.co_unit_ids:
        _set_assignment(s, t, co, AssignmentRole.co, now)
    t.lead_unit_id = p.lead_unit_id
    t.holder_unit_id = p.lead_unit_id
    t.route = [hotline.id, p.lead_unit_id]  # type: ignore[list-item]
    t.dispatched_at = now
    dispatch_records.record_dispatch(s, t, suggestion, p.lead_unit_id, list(p.co_unit_ids), used, now)
    t.custom_due_at = as_utc(p.due_at) if p.due_at else None
    t.legal_basis = p.legal_basis
    payload: dict[str, Any] = {"lead_unit_id": p.lead_unit_id, "co_unit_ids": p.co_unit_ids,
                               "by_suggestion": used}
    if p.due_at is not None:
        payload["due_at"] = as_utc(p.due_at).isoformat()
    if p.due_working_days is not None:
        payload["due_working_days"] = p.due_working_days
    if p.legal_basis:
        payload["legal_basis"] = p.legal_basis
    if p.category:
        payload["category"] = p.category
    return p.note, payload


def _sign(s: Session, a: Actor, t: Ticket, p: Any, now: datetime):  # type: ignore[no-untyped-def]
    return None, {"unit_id": t.holder_unit_id}


def _forward(s: Session, a: Actor, t: Ticket, p: Any, now: datetime):  # type: ignore[no-untyped-def]
    target = require_units(s, [p.to_unit_id])[p.to_unit_id]
    holder = get_unit(s, t.holder_unit_id)  # type: ignore[arg-type]
    if not is_ancestor(holder, target):
        raise Invalid(f"{target.name} 不是 {holder.name} 的下级单位，不能转派",
                      title="只能转派给下级单位")
    _set_assignment(s, t, target.id, AssignmentRole.handler, now)  # type: ignore[arg-type]
    t.route = [*t.route, target.id]  # type: ignore[list-item]
    t.holder_unit_id = target.id
    return p.note, {"from_unit_id": holder.id, "to_unit_id": target.id}


def _return(s: Session, a: Actor, t: Ticket, p: Any, now: datetime):  # type: ignore[no-untyped-def]
    # CQ §13(一): "逐级向上提交" — one step up the chain the ticket came down.
    route = list(t.route)
    if len(route) < 2:
        raise Conflict("无法确定退回的上级单位")
    from_unit, to_unit = route[-1], route[-2]
    t.route = route[:-1]
    t.holder_unit_id = to_unit
    to_hotline = get_unit(s, to_unit).kind == UnitKind.hotline
    s.add(ReturnRecord(ticket_id=t.id, from_unit_id=from_unit, to_unit_id=to_unit,  # type: ignore[arg-type]
                       reason=p.reason, at=now))
    dispatch_records.mark_returned(s, t, from_unit)
    # The unit sent it back as not theirs: it stops seeing the caller's matter (CQ §22).
    for row in s.exec(select(TicketUnit).where(TicketUnit.ticket_id == t.id)
                      .where(TicketUnit.unit_id == from_unit)
                      .where(col(TicketUnit.role).in_([AssignmentRole.lead, AssignmentRole.handler]))):
        row.active = False
        s.add(row)
    return p.reason, {"from_unit_id": from_unit, "to_unit_id": to_unit, "to_hotline": to_hotline}


def _reject_return(s: Session, a: Actor, t: Ticket, p: Any, now: datetime):  # type: ignore[no-untyped-def]
    record = s.exec(
        select(ReturnRecord).where(ReturnRecord.ticket_id == t.id)
        .where(ReturnRecord.to_unit_id == t.holder_unit_id)
        .order_by(col(ReturnRecord.id).desc())
    ).first()
    if record is None:
        raise Conflict("没有可驳回的退单记录")
    record.improper = True
    record.judged_by_id = a.id
    s.add(record)
    t.route = [*t.route, record.from_unit_id]
    t.holder_unit_id = record.from_unit_id
    back = AssignmentRole.lead if record.from_unit_id == t.lead_unit_id else AssignmentRole.handler
    _set_assignment(s, t, record.from_unit_id, back, now)
    return p.reason, {"return_id": record.id, "to_unit_id": record.from_unit_id}


def _request_extension(s: Session, a: Actor, t: Ticket, p: Any, now: datetime):  # type: ignore[no-untyped-def]
    if p.due_at is not None and t.close_due_at is not None and as_utc(p.due_at) <= t.close_due_at:
        raise Invalid("申请的新时限必须晚于当前办理时限", title="延期时限不正确")
    req = ExtensionRequest(
        ticket_id=t.id, unit_id=a.unit.id, requested_by_id=a.id, reason=p.reason,  # type: ignore[arg-type]
        add_working_days=p.add_working_days,
        requested_due_at=as_utc(p.due_at) if p.due_at else None,
        requested_at=now, old_due_at=t.close_due_at,
    )
    s.add(req)
    s.flush()
    payload: dict[str, Any] = {"extension_id": req.id}
    if p.add_working_days:
        payload["requested_working_days"] = p.add_working_days
    if p.due_at:
        payload["requested_due_at"] = as_utc(p.due_at).isoformat()
    return p.reason, payload


def _pending_extension(s: Session, t: Ticket) -> ExtensionRequest:
    req = s.exec(select(ExtensionRequest).where(ExtensionRequest.ticket_id == t.id)
                 .where(ExtensionRequest.status == "pending")).first()
    if req is None:
        raise Conflict("没有待审批的延期申请")
    return req


def _approve_extension(s: Session, a: Actor, t: Ticket, p: Any, now: datetime):  # type: ignore[no-untyped-def]
    req = _pending_extension(s, t)
    req.status, req.decided_by_id, req.decided_at = "approved", a.id, now
    req.decision_reason = p.reason
    s.add(req)
    payload: dict[str, Any] = {"extension_id": req.id}
    if req.add_working_days:
        payload["add_working_days"] = req.add_working_days
    if req.requested_due_at:
        payload["due_at"] = req.requested_due_at.isoformat()
    return p.reason, payload


def _deny_extension(s: Session, a: Actor, t: Ticket, p: Any, now: datetime):  # type: ignore[no-untyped-def]
    req = _pending_extension(s, t)
    req.status, req.decided_by_id, req.decided_at = "denied", a.id, now
    req.decision_reason = p.reason
    s.add(req)
    return p.reason, {"extension_id": req.id}


def _co_input(s: Session, a: Actor, t: Ticket, p: Any, now: datetime):  # type: ignore[no-untyped-def]
    return None, {"content": p.content, "unit_id": a.unit.id}


def _reply(s: Session, a: Actor, t: Ticket, p: Any, now: datetime):  # type: ignore[no-untyped-def]
    t.reply_content = p.content
    t.replied_at = now
    return None, {"content": p.content, "contacted_caller": p.contacted_caller,
                  "unit_id": a.unit.id}


def _visit(s: Session, a: Actor, t: Ticket, p: Any, now: datetime):  # type: ignore[no-untyped-def]
    rounds = s.exec(select(func.count()).select_from(ReturnVisit)
                    .where(ReturnVisit.ticket_id == t.id)).one()
    s.add(ReturnVisit(ticket_id=t.id, round=int(rounds) + 1, rating=str(p.rating),  # type: ignore[arg-type]
                      comment=p.comment, counts_for_satisfaction=p.counts_for_satisfaction,
                      resolved=p.resolved, unit_id=t.holder_unit_id, visited_by_id=a.id, at=now))
    return p.comment, {"rating": str(p.rating), "round": int(rounds) + 1, "resolved": p.resolved,
                       "counts_for_satisfaction": p.counts_for_satisfaction,
                       "unit_id": t.holder_unit_id}


def _last_visit(s: Session, t: Ticket) -> ReturnVisit:
    visit = s.exec(select(ReturnVisit).where(ReturnVisit.ticket_id == t.id)
                   .order_by(col(ReturnVisit.round).desc())).first()
    if visit is None:
        raise Conflict("没有回访记录")
    return visit


def _rework(s: Session, a: Actor, t: Ticket, p: Any, now: datetime):  # type: ignore[no-untyped-def]
    visit = _last_visit(s, t)
    visit.verification = "rework"
    s.add(visit)
    t.rework_count += 1
    payload: dict[str, Any] = {"rework_count": t.rework_count}
    if p.due_working_days:
        payload["due_working_days"] = p.due_working_days
    if p.due_at:
        if as_utc(p.due_at) <= now:
            raise Invalid("重办时限必须晚于当前时间", title="时限不正确")
        payload["due_at"] = as_utc(p.due_at).isoformat()
    return p.reason, payload


def _explain_close(s: Session, a: Actor, t: Ticket, p: Any, now: datetime):  # type: ignore[no-untyped-def]
    visit = _last_visit(s, t)
    visit.verification = "explained"
    s.add(visit)
    t.closed_at = now
    return p.explanation, {}


def _close(s: Session, a: Actor, t: Ticket, p: Any, now: datetime):  # type: ignore[no-untyped-def]
    t.closed_at = now
    return getattr(p, "note", None) or getattr(p, "reason", None), {}


def _supervise(s: Session, a: Actor, t: Ticket, p: Any, now: datetime):  # type: ignore[no-untyped-def]
    policy = get_policy()
    duration = sla.Duration(p.due_working_days) if p.due_working_days else policy.supervision
    due = sla.deadline_after(get_calendar(), now, duration, policy.rule)
    order = SupervisionOrder(ticket_id=t.id, unit_id=t.holder_unit_id, issued_by_id=a.id,  # type: ignore[arg-type]
                             reason=p.reason, issued_at=now, due_at=due.due)
    s.add(order)
    s.flush()
    return p.reason, {"order_id": order.id, "due_at": as_utc(due.due).isoformat(),
                      "unit_id": t.holder_unit_id, "provisional": due.provisional}


def _answer_supervision(s: Session, a: Actor, t: Ticket, p: Any, now: datetime):  # type: ignore[no-untyped-def]
    order = s.exec(select(SupervisionOrder).where(SupervisionOrder.ticket_id == t.id)
                   .where(SupervisionOrder.status == "open")
                   .order_by(col(SupervisionOrder.id))).first()
    if order is None:
        raise Conflict("没有待答复的督办单")
    order.status, order.response, order.answered_at = "answered", p.content, now
    s.add(order)
    return None, {"order_id": order.id, "content": p.content}


def _merge(s: Session, a: Actor, t: Ticket, p: Any, now: datetime):  # type: ignore[no-untyped-def]
    target = s.exec(select(Ticket).where(Ticket.number == p.target_number)).first()
    if target is None:
        raise Invalid(f"目标工单 {p.target_number} 不存在", title="目标工单不存在")
    if target.id == t.id:
        raise Invalid("不能合并到自身", title="目标工单不正确")
    if target.status in FINAL_STATES or target.status == Status.archived:
        raise Invalid(f"目标工单 {target.number} 已结束（{target.status}），只能合并到仍在办理的工单",
                      title="目标工单不正确")
    t.merged_into_id = target.id
    append_event(s, target, action="merge_in", actor=a, now=now, from_status=target.status,
                 to_status=target.status, reason=p.reason, payload={"from_number": t.number})
    return p.reason, {"target_number": target.number}


def _nothing(s: Session, a: Actor, t: Ticket, p: Any, now: datetime):  # type: ignore[no-untyped-def]
    return None, {}


EFFECTS: dict[str, Effect] = {
    "answer_directly": _answer_directly, "warm_transfer": _warm_transfer,
    "not_accept": _not_accept, "emergency_handover": _emergency, "dispatch": _dispatch,
    "sign": _sign, "forward": _forward, "return": _return, "reject_return": _reject_return,
    "request_extension": _request_extension, "approve_extension": _approve_extension,
    "deny_extension": _deny_extension, "co_input": _co_input, "reply": _reply,
    "visit": _visit, "rework": _rework, "explain_close": _explain_close, "close": _close,
    "close_without_visit": _close, "supervise": _supervise,
    "answer_supervision": _answer_supervision, "merge": _merge, "reclaim": _reclaim,
    "archive": _nothing,
}
assert set(EFFECTS) == set(BY_ACTION), "every workflow action needs an effect"


# When the ticket moves on, requests addressed to its old situation lapse: an extension asked
# before a reply/forward/return is moot (and must not block the next one, nor move a later
# deadline), and a supervision order is settled once the ticket is answered or goes elsewhere.
_EXTENSIONS_LAPSE = {"reply", "forward", "return", "dispatch", "merge", "close",
                     "close_without_visit", "explain_close"}
_ORDERS_SETTLE = {"reply": "resolved", "close": "resolved", "close_without_visit": "resolved",
                  "explain_close": "resolved", "dispatch": "void", "merge": "void"}


def _settle_records(s: Session, t: Ticket, action: str, now: datetime) -> None:
    if action in _EXTENSIONS_LAPSE:
        for req in s.exec(select(ExtensionRequest).where(ExtensionRequest.ticket_id == t.id)
                          .where(ExtensionRequest.status == "pending")):
            req.status, req.decided_at = "lapsed", now
            req.decision_reason = f"工单已{action}，申请自动失效"
            s.add(req)
    if action in _ORDERS_SETTLE:
        for order in s.exec(select(SupervisionOrder).where(SupervisionOrder.ticket_id == t.id)
                            .where(SupervisionOrder.status == "open")):
            order.status = _ORDERS_SETTLE[action]
            order.answered_at = order.answered_at or now
            s.add(order)


def _refuse(verdict_refusal: Refusal | None, message: str) -> Exception:
    if verdict_refusal in (Refusal.role, Refusal.scope):
        return Forbidden(message)
    if verdict_refusal == Refusal.unknown:
        return Invalid(message)
    return Conflict(message)


def apply(
    session: Session, actor: Actor, ticket: Ticket, payload: ActionPayload,
    now: datetime | None = None,
) -> Ticket:
    """Judge and perform one action; the caller owns the transaction (commit/rollback)."""
    now = now or utcnow()
    if payload.version is not None and payload.version != ticket.version:
        raise VersionConflict(
            f"工单 {ticket.number} 已更新到版本 {ticket.version}（您看到的是 {payload.version}）",
            current_version=ticket.version,
        )
    facts = facts_for(session, actor, ticket, now)
    verdict = judge(payload.action, facts)
    if not verdict.allowed:
        raise _refuse(verdict.refusal, verdict.message)
    number = ticket.number  # the row is expired once a flush fails; keep what the message needs
    try:
        _perform(session, actor, ticket, payload, now)
    except StaleDataError as exc:
        raise VersionConflict(f"工单 {number} 已被他人修改，请刷新后重试") from exc
    except IntegrityError as exc:
        # Two writers appended to one history at once: the unique (ticket, seq) caught it.
        raise VersionConflict(f"工单 {number} 已被他人修改，请刷新后重试") from exc
    return ticket


def _perform(
    session: Session, actor: Actor, ticket: Ticket, payload: ActionPayload, now: datetime
) -> None:
    transition = BY_ACTION[payload.action]
    before = ticket.status
    ticket.version += 1
    reason, event_payload = EFFECTS[payload.action](session, actor, ticket, payload, now)
    after = transition.next_state(before, payload)
    ticket.status = after
    ticket.updated_at = now
    history = clocks.load_events(session, ticket.id)  # type: ignore[arg-type]
    event = TicketEvent(ticket_id=ticket.id, seq=(history[-1].seq if history else 0) + 1,  # type: ignore[arg-type]
                        action=payload.action, from_status=before, to_status=after,
                        actor_id=actor.id, actor_unit_id=actor.unit.id, reason=reason,
                        payload=event_payload, at=now)
    clock_map = clocks.refresh(ticket, [*history, event], now)
    if payload.action == "rework" and ticket.rework_count >= get_settings().rework_escalation_count:
        ticket.scan_next_at = now  # the next scan escalates the supervision (CQ §14, §15)
    # Facts frozen at the moment of the act, for the unit metrics (docs/METRICS.md).
    event.payload = {**event_payload, **clocks.act_facts(payload.action, clock_map, now)}
    session.add(event)
    session.flush()
    _settle_records(session, ticket, payload.action, now)
    linkage.after_action(session, ticket, payload.action, now)
    if payload.action == "approve_extension":
        # CQ §13(三): the caller is told the progress and the new deadline.
        close = clock_map.get("close")
        new_due = close.due.isoformat() if close else None
        ext_id = event_payload["extension_id"]
        req = session.get(ExtensionRequest, ext_id)
        if req is not None and close is not None:
            req.new_due_at = close.due
            session.add(req)
        append_event(session, ticket, action="caller_notified", actor=actor, now=now,
                     from_status=after, to_status=after, reason="延期情况告知来电人",
                     payload={"new_due_at": new_due, "extension_id": ext_id},
                     seq=event.seq + 1)
    session.add(ticket)
    session.flush()
