"""What each workflow action does to the ticket besides its change of state.

One handler per action, typed by its payload class and registered with ``@handles``; a test
checks that every ``Action`` has one. Handlers run after ``judge`` allowed the action; what
they still refuse is the payload's references (422): a unit that does not exist or is not below
the holder, a merge target that is closed, a date in the past. Side effects that belong to other
features (the 110 bridge, notifications, caller messages) are not here: they are receivers of
``hotline.tickets.signals.action_done``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlmodel import Session, col, func, select

import routing
import sla
from hotline.core.errors import Conflict, EmergencyNotDispatchable, Invalid
from hotline.core.settings import get_settings
from hotline.core.sla_setup import get_calendar, get_policy, legal_deadlines
from hotline.core.times import as_utc
from hotline.intake.learning import advice_for, mark_returned, record_dispatch, safety_for
from hotline.kb.upkeep import use_entries
from hotline.tickets import history
from hotline.tickets.actions import Action, EventKind
from hotline.tickets.models import (
    FINAL_STATES,
    RATING_LABELS,
    AssignmentRole,
    ExtensionRequest,
    ExtensionState,
    OrderState,
    Rating,
    ReplyReview,
    ReturnRecord,
    ReturnVisit,
    ReviewState,
    Status,
    SupervisionOrder,
    Ticket,
    TicketEvent,
    TicketUnit,
)
from hotline.tickets.numbering import normalise_number
from hotline.tickets.payloads import (
    AnswerDirectly,
    AnswerSupervision,
    ApproveExtension,
    Archive,
    BringInPeer,
    Close,
    CloseWithoutVisit,
    CoInput,
    CoSign,
    DenyExtension,
    Dispatch,
    EmergencyHandover,
    ExplainClose,
    Forward,
    Merge,
    NotAccept,
    Payload,
    Reclaim,
    RejectReturn,
    Reply,
    RequestExtension,
    Return,
    ReviewReply,
    Rework,
    Sign,
    SubmitReply,
    Supervise,
    Visit,
    VisitAttempt,
    WarmTransfer,
)
from hotline.tickets.reviews import co_inputs_since, reviewer_of
from hotline.tickets.visibility import can_see
from hotline.units.actor import Actor
from hotline.units.models import UnitKind
from hotline.units.tree import get_unit, hotline_unit, is_ancestor, require_units

ClockMap = dict[str, sla.ClockStatus]


@dataclass(frozen=True)
class Act:
    """One action being performed: who, on which ticket, when, in which transaction."""

    session: Session
    actor: Actor
    ticket: Ticket
    now: datetime


@dataclass
class Outcome:
    """What the act's history row records, and bookkeeping that needs the recomputed clocks."""

    reason: str | None = None
    record: dict[str, Any] = field(default_factory=dict)
    after_clocks: Callable[[ClockMap], None] | None = None


P = TypeVar("P", bound=Payload)
Handler = Callable[[Act, P], Outcome]
HANDLERS: dict[Action, Callable[[Act, Any], Outcome]] = {}


def handles(*models: type[P]) -> Callable[[Handler[P]], Handler[P]]:
    """Register the decorated function as the handler of these payloads' actions."""

    def register(fn: Handler[P]) -> Handler[P]:
        for model in models:
            action = model.model_fields["action"].default
            assert action not in HANDLERS, f"two handlers for {action}"
            HANDLERS[action] = fn
        return fn

    return register


def _close_at_intake(t: Ticket, now: datetime, decision: dict[str, Any]) -> None:
    t.decision = decision
    t.closed_at = now


T = TypeVar("T")


def _required(found: T | None, what: str) -> T:
    """A record the ticket's state promises (judge checked the state); its absence is a broken
    invariant, answered as a conflict rather than a crash."""
    if found is None:
        raise Conflict(f"工单记录不完整：缺少{what}，请联系管理员", title="工单数据不一致")
    return found


def _future(value: datetime, now: datetime, what: str) -> datetime:
    """A deadline a person named: after now, and within the configured horizon (a deadline
    years away is a typo or an attack, and near year 9999 the working-day arithmetic overflows)."""
    due = as_utc(value)
    if due <= now:
        raise Invalid(f"{what}必须晚于当前时间", title="时限不正确")
    horizon = get_settings().deadline_horizon_days
    if due > now + timedelta(days=horizon):
        raise Invalid(f"{what}不能晚于 {horizon} 天之后", title="时限不正确")
    return due


# ---------------------------------------------------------------------------------------------
# Intake decisions (CQ §9, §10, §12)
# ---------------------------------------------------------------------------------------------
@handles(AnswerDirectly)
def answer_directly(a: Act, p: AnswerDirectly) -> Outcome:
    use_entries(a.session, p.kb_entries, a.now)  # 422 unless published and valid; counts the use
    _close_at_intake(a.ticket, a.now, {"type": "answer", "kb_entries": p.kb_entries})
    a.ticket.reply_content = p.answer
    return Outcome(record={"kb_entries": p.kb_entries})


@handles(WarmTransfer)
def warm_transfer(a: Act, p: WarmTransfer) -> Outcome:
    _close_at_intake(a.ticket, a.now, {"type": "transfer", "target": p.target})
    return Outcome(p.note, {"target": p.target, "caller_consent": True})


@handles(NotAccept)
def not_accept(a: Act, p: NotAccept) -> Outcome:
    code = str(p.reason_code)
    _close_at_intake(a.ticket, a.now, {"type": "not_accepted", "reason_code": code,
                                       "referral": p.referral})
    return Outcome(p.reason, {"reason_code": code, "referral": p.referral})


@handles(EmergencyHandover)
def emergency_handover(a: Act, p: EmergencyHandover) -> Outcome:
    # CQ §10: hand over at once. The peer hand-over (outbox) and the report to the hotline's
    # supervisors are receivers of this action (linkage, supervision).
    _close_at_intake(a.ticket, a.now, {"type": "emergency", "service": p.service})
    return Outcome(p.reason, {"service": p.service, "caller_connected": p.caller_connected})


@handles(BringInPeer)
def bring_in_peer(a: Act, p: BringInPeer) -> Outcome:
    # The unit keeps working the ticket; the peer hand-over and the report to the supervisors
    # are receivers of this action (linkage, supervision), as for an emergency hand-over.
    return Outcome(p.reason, {"service": p.service, "unit_id": a.actor.unit.id})


@handles(Reclaim)
def reclaim(a: Act, p: Reclaim) -> Outcome:
    a.ticket.closed_at = None
    a.ticket.decision = {**(a.ticket.decision or {}), "reclaimed": True}
    return Outcome(p.reason)


# ---------------------------------------------------------------------------------------------
# Dispatch, forwarding, returns (CQ §6, §12(二), §13(一), §15)
# ---------------------------------------------------------------------------------------------
def _assign(s: Session, t: Ticket, unit_id: int, role: AssignmentRole, now: datetime) -> None:
    row = s.exec(select(TicketUnit).where(TicketUnit.ticket_id == t.id)
                 .where(TicketUnit.unit_id == unit_id).where(TicketUnit.role == role)).first()
    if row is None:
        s.add(TicketUnit(ticket_id=t.id, unit_id=unit_id, role=role, active=True, assigned_at=now))
    elif not row.active:
        row.active = True
        row.assigned_at = now
        s.add(row)


def _give_co_units_deadlines(s: Session, t: Ticket, co: list[int],
                             now: datetime) -> datetime | None:
    """CQ §13(二): each co-unit signs for its part and has its own deadline for input."""
    if not co:
        return None
    days = sla.Duration(get_settings().co_unit_working_days)
    due = sla.deadline_after(get_calendar(), now, days, get_policy().rule).due
    s.flush()
    for row in s.exec(select(TicketUnit).where(TicketUnit.ticket_id == t.id)
                      .where(TicketUnit.role == AssignmentRole.co)
                      .where(col(TicketUnit.unit_id).in_(co))):
        row.due_at, row.signed_at, row.assigned_at = due, None, now
        s.add(row)
    return as_utc(due)


def _withdraw(s: Session, t: Ticket, roles: list[AssignmentRole], unit_id: int | None = None) -> None:
    stmt = (select(TicketUnit).where(TicketUnit.ticket_id == t.id)
            .where(col(TicketUnit.role).in_(roles)))
    if unit_id is not None:
        stmt = stmt.where(TicketUnit.unit_id == unit_id)
    for row in s.exec(stmt):
        row.active = False
        s.add(row)


@handles(Dispatch)
def dispatch(a: Act, p: Dispatch) -> Outcome:
    s, t, now = a.session, a.ticket, a.now
    if p.category:
        t.category = p.category
    advice = advice_for(s, t.content, t.address, t.request_type, t.number)
    override = _emergency_guard(t, p, advice.safety if advice else safety_for(t.content, t.number))
    used = p.lead_unit_id is None
    lead, co = p.lead_unit_id, list(p.co_unit_ids)
    if lead is None:
        # Dispatch without a named unit takes routing's suggestion (属地、属事、派单目录).
        if advice is None or advice.lead_id is None:
            raise Invalid("无法自动确定承办单位，请指定牵头单位", title="需要指定承办单位")
        lead = advice.lead_id
        co = co or advice.co_ids
    units = require_units(s, [lead, *co])
    if any(u.kind == UnitKind.hotline for u in units.values()):
        raise Invalid("不能派发给热线中心本身", title="承办单位不正确")
    due_at = _future(p.due_at, now, "交办时限") if p.due_at is not None else None
    if p.legal_basis and p.legal_basis not in get_policy().legal:
        known = [row["name"] for row in legal_deadlines()]
        raise Invalid(f"未知的法定时限依据“{p.legal_basis}”；可选：{'、'.join(known) or '（无）'}"
                      f"（CQ §13(四)，见 /api/v1/legal-deadlines）",
                      title="法定时限依据不存在", known=known)
    # A re-dispatch replaces the earlier lead and co-units (CQ §12(二)).
    _withdraw(s, t, [AssignmentRole.lead, AssignmentRole.co])
    s.flush()
    _assign(s, t, lead, AssignmentRole.lead, now)
    for unit in co:
        _assign(s, t, unit, AssignmentRole.co, now)
    co_due = _give_co_units_deadlines(s, t, co, now)
    t.lead_unit_id = t.holder_unit_id = lead
    t.route = [hotline_unit(s).id, lead]
    t.dispatched_at = now
    t.custom_due_at = due_at
    t.legal_basis = p.legal_basis
    record_dispatch(s, ticket_id=t.id, advice=advice, chosen_lead=lead, chosen_co=co,
                    category=t.category, used=used, now=now)
    record: dict[str, Any] = {"lead_unit_id": lead, "co_unit_ids": co, "by_suggestion": used}
    if co_due is not None:
        record["co_due_at"] = co_due.isoformat()
    if due_at is not None:
        record["due_at"] = due_at.isoformat()
    if p.due_working_days is not None:
        record["due_working_days"] = p.due_working_days
    if p.legal_basis:
        record["legal_basis"] = p.legal_basis
    if p.category:
        record["category"] = p.category
    if override is not None:
        record["emergency_override"] = override
    return Outcome(p.note, record)


def _emergency_guard(t: Ticket, p: Dispatch, safety: routing.SafetyInput | None
                     ) -> dict[str, Any] | None:
    """CQ §10: an emergency is handed over at once, never made a work order — whichever path
    the dispatch came by (intake, the ticket page, the API, a peer's transfer). An agent who
    judges the verdict wrong overrides it with a reason; the override is recorded on the act
    and reported to the supervisors (``supervision.receivers``)."""
    if safety is None or safety.kind != "emergency":
        return None
    service = safety.service or "110"
    triggers = list(safety.triggers)
    why = f"（{'、'.join(triggers)}）" if triggers else ""
    reason = (p.emergency_override or "").strip()
    if not reason:
        raise EmergencyNotDispatchable(
            f"工单 {t.number} 涉及人身财产安全{why}，应立即移交 {service}（CQ §10）。"
            f"如确认不属紧急事项，请填写“紧急事项仍派发的理由”（emergency_override），该理由将报告热线主管。",
            handover={"action": "emergency_handover", "service": service,
                      "reason": f"涉及人身财产安全{why}，移交{service}"},
            triggers=triggers, override_field="emergency_override")
    return {"reason": reason, "service": service, "triggers": triggers}


@handles(Sign)
def sign(a: Act, p: Sign) -> Outcome:
    return Outcome(record={"unit_id": a.ticket.holder_unit_id})


@handles(Forward)
def forward(a: Act, p: Forward) -> Outcome:
    s, t = a.session, a.ticket
    target = require_units(s, [p.to_unit_id])[p.to_unit_id]
    assert t.holder_unit_id is not None  # judge: only the holder forwards
    holder = get_unit(s, t.holder_unit_id)
    if not is_ancestor(holder, target):
        raise Invalid(f"{target.name} 不是 {holder.name} 的下级单位，不能转派",
                      title="只能转派给下级单位")
    _assign(s, t, target.id, AssignmentRole.handler, a.now)
    t.route = [*t.route, target.id]
    t.holder_unit_id = target.id
    return Outcome(p.note, {"from_unit_id": holder.id, "to_unit_id": target.id})


@handles(Return)
def return_(a: Act, p: Return) -> Outcome:
    # CQ §13(一): "逐级向上提交" — one step up the chain the ticket came down. The route always
    # starts at the hotline and ends at the holder, who (judge) is not the hotline.
    s, t = a.session, a.ticket
    if len(t.route) < 2:
        raise Conflict("无法确定退回的上级单位")
    from_unit, to_unit = t.route[-1], t.route[-2]
    t.route = t.route[:-1]
    t.holder_unit_id = to_unit
    to_hotline = get_unit(s, to_unit).kind == UnitKind.hotline
    record = ReturnRecord(ticket_id=t.id, from_unit_id=from_unit, to_unit_id=to_unit,
                          reason=p.reason, at=a.now)
    s.add(record)
    mark_returned(s, t.id, from_unit)
    # The unit sent it back as not theirs: it stops seeing the caller's matter (CQ §22).
    _withdraw(s, t, [AssignmentRole.lead, AssignmentRole.handler], unit_id=from_unit)

    def judge_window(clocks: ClockMap) -> None:
        # CQ §13(一): the window runs from receipt, cumulative over the levels; a return after
        # it is late (red on the ticket, against the returning unit in the metrics).
        if (window := clocks.get("return")) is not None:
            record.late = window.due < a.now
            s.add(record)

    return Outcome(p.reason, {"from_unit_id": from_unit, "to_unit_id": to_unit,
                              "to_hotline": to_hotline}, after_clocks=judge_window)


@handles(RejectReturn)
def reject_return(a: Act, p: RejectReturn) -> Outcome:
    s, t = a.session, a.ticket
    # The return that brought the ticket to its holder (status "returned" guarantees one).
    record = _required(s.exec(select(ReturnRecord).where(ReturnRecord.ticket_id == t.id)
                              .where(ReturnRecord.to_unit_id == t.holder_unit_id)
                              .order_by(col(ReturnRecord.id).desc())).first(), "退单记录")
    record.improper = True
    record.judged_by_id = a.actor.id
    s.add(record)
    t.route = [*t.route, record.from_unit_id]
    t.holder_unit_id = record.from_unit_id
    back = AssignmentRole.lead if record.from_unit_id == t.lead_unit_id else AssignmentRole.handler
    _assign(s, t, record.from_unit_id, back, a.now)
    return Outcome(p.reason, {"return_id": record.id, "to_unit_id": record.from_unit_id})


# ---------------------------------------------------------------------------------------------
# Extensions (CQ §13(三))
# ---------------------------------------------------------------------------------------------
def _pending_extension(s: Session, t: Ticket) -> ExtensionRequest:
    """The open request (judge's guard made sure there is one)."""
    return _required(s.exec(select(ExtensionRequest).where(ExtensionRequest.ticket_id == t.id)
                            .where(ExtensionRequest.status == ExtensionState.pending)).first(),
                     "待审批的延期申请")


@handles(RequestExtension)
def request_extension(a: Act, p: RequestExtension) -> Outcome:
    t = a.ticket
    requested = _future(p.due_at, a.now, "申请的新时限") if p.due_at is not None else None
    if requested is not None and t.close_due_at is not None and requested <= t.close_due_at:
        raise Invalid("申请的新时限必须晚于当前办理时限", title="延期时限不正确")
    req = ExtensionRequest(ticket_id=t.id, unit_id=a.actor.unit.id, requested_by_id=a.actor.id,
                           reason=p.reason, add_working_days=p.add_working_days,
                           requested_due_at=requested, requested_at=a.now,
                           old_due_at=t.close_due_at)
    a.session.add(req)
    a.session.flush()
    record: dict[str, Any] = {"extension_id": req.id}
    if p.add_working_days:
        record["requested_working_days"] = p.add_working_days
    if requested is not None:
        record["requested_due_at"] = requested.isoformat()
    return Outcome(p.reason, record)


@handles(ApproveExtension)
def approve_extension(a: Act, p: ApproveExtension) -> Outcome:
    req = _pending_extension(a.session, a.ticket)
    req.status, req.decided_by_id, req.decided_at = ExtensionState.approved, a.actor.id, a.now
    req.decision_reason = p.reason
    a.session.add(req)
    record: dict[str, Any] = {"extension_id": req.id}
    if req.add_working_days:
        record["add_working_days"] = req.add_working_days
    if req.requested_due_at:
        record["due_at"] = req.requested_due_at.isoformat()

    def keep_new_due(clocks: ClockMap) -> None:
        if (close := clocks.get("close")) is not None:
            req.new_due_at = close.due
            a.session.add(req)

    return Outcome(p.reason, record, after_clocks=keep_new_due)


@handles(DenyExtension)
def deny_extension(a: Act, p: DenyExtension) -> Outcome:
    req = _pending_extension(a.session, a.ticket)
    req.status, req.decided_by_id, req.decided_at = ExtensionState.denied, a.actor.id, a.now
    req.decision_reason = p.reason
    a.session.add(req)
    return Outcome(p.reason, {"extension_id": req.id})


# ---------------------------------------------------------------------------------------------
# Handling, reply, return visit, closing (CQ §13(二), §14)
# ---------------------------------------------------------------------------------------------
@handles(CoInput)
def co_input(a: Act, p: CoInput) -> Outcome:
    return Outcome(record={"content": p.content, "unit_id": a.actor.unit.id})


@handles(CoSign)
def co_sign(a: Act, p: CoSign) -> Outcome:
    row = _required(a.session.exec(
        select(TicketUnit).where(TicketUnit.ticket_id == a.ticket.id)
        .where(TicketUnit.unit_id == a.actor.unit.id).where(TicketUnit.role == AssignmentRole.co)
    ).first(), "协办记录")
    row.signed_at = a.now
    a.session.add(row)
    record: dict[str, Any] = {"unit_id": row.unit_id}
    if row.due_at is not None:
        record["co_due_at"] = as_utc(row.due_at).isoformat()
    return Outcome(record=record)


@handles(Reply)
def reply(a: Act, p: Reply) -> Outcome:
    s, t = a.session, a.ticket
    record: dict[str, Any] = {"content": p.content, "contacted_caller": p.contacted_caller,
                              "unit_id": a.actor.unit.id}
    holder = get_unit(s, t.holder_unit_id) if t.holder_unit_id else None
    if reviewer_of(s, t, holder) is not None:
        # CQ §6(二): what reaches the caller is what the parent approved, word for word.
        review = _required(s.exec(select(ReplyReview).where(ReplyReview.ticket_id == t.id)
                                  .where(ReplyReview.unit_id == t.holder_unit_id)
                                  .where(ReplyReview.status == ReviewState.approved)
                                  .order_by(col(ReplyReview.id).desc())).first(), "审核通过的答复")
        if review.content != p.content:
            raise Invalid("答复内容须与上级单位审核通过的内容一致", title="答复未经审核")
        review.status = ReviewState.used
        s.add(review)
        record["review_id"] = review.id
    # CQ §13(二): the lead answers once for everyone; whose input is missing is on the record.
    co_rows = s.exec(select(TicketUnit).where(TicketUnit.ticket_id == t.id)
                     .where(TicketUnit.role == AssignmentRole.co)
                     .where(col(TicketUnit.active))).all()
    if co_rows:
        given = co_inputs_since(s, t.id, {r.unit_id: r.assigned_at for r in co_rows})
        names = {u.id: u.name for u in require_units(s, [r.unit_id for r in co_rows]).values()}
        record["co_inputs"] = sorted(given)
        record["missing_co_inputs"] = [{"unit_id": r.unit_id, "unit": names[r.unit_id],
                                        "due_at": as_utc(r.due_at).isoformat() if r.due_at else None}
                                       for r in co_rows if r.unit_id not in given]
    t.reply_content = p.content
    t.replied_at = a.now
    return Outcome(record=record)


@handles(SubmitReply)
def submit_reply(a: Act, p: SubmitReply) -> Outcome:
    s, t = a.session, a.ticket
    holder = get_unit(s, t.holder_unit_id) if t.holder_unit_id else None
    reviewer = _required(reviewer_of(s, t, holder), "审核单位")
    review = ReplyReview(ticket_id=t.id, unit_id=a.actor.unit.id, reviewer_unit_id=reviewer,
                         content=p.content, submitted_at=a.now)
    s.add(review)
    s.flush()
    return Outcome(record={"review_id": review.id, "reviewer_unit_id": reviewer,
                           "content": p.content})


@handles(ReviewReply)
def review_reply(a: Act, p: ReviewReply) -> Outcome:
    s, t = a.session, a.ticket
    review = _required(s.exec(select(ReplyReview).where(ReplyReview.ticket_id == t.id)
                              .where(ReplyReview.status == ReviewState.pending)
                              .order_by(col(ReplyReview.id).desc())).first(), "待审核的答复")
    review.status = ReviewState.approved if p.approve else ReviewState.rejected
    review.decided_by_id, review.decided_at, review.comment = a.actor.id, a.now, p.comment
    s.add(review)
    return Outcome(p.comment, {"review_id": review.id, "approved": p.approve})


def counts_for_satisfaction(category: str | None) -> tuple[bool, str | None]:
    """CQ §14: mediation and law-enforcement matters are not ranked by satisfaction. Decided by
    the ticket's category (``HOTLINE_SATISFACTION_EXCLUDED_KEYWORDS``), not by whoever visits."""
    words = [w.strip() for w in get_settings().satisfaction_excluded_keywords.split(",")]
    for word in words:
        if word and category and word in category:
            return False, word
    return True, None


@handles(Visit)
def visit(a: Act, p: Visit) -> Outcome:
    t = a.ticket
    rounds = int(a.session.exec(select(func.count()).select_from(ReturnVisit)
                                .where(ReturnVisit.ticket_id == t.id)).one()) + 1
    counts, matched = counts_for_satisfaction(t.category)
    a.session.add(ReturnVisit(ticket_id=t.id, round=rounds, rating=p.rating, comment=p.comment,
                              counts_for_satisfaction=counts, method=str(p.method),
                              resolved=p.resolved, unit_id=t.holder_unit_id,
                              visited_by_id=a.actor.id, at=a.now))
    record: dict[str, Any] = {"rating": str(p.rating), "round": rounds, "resolved": p.resolved,
                              "counts_for_satisfaction": counts, "method": str(p.method),
                              "unit_id": t.holder_unit_id, **_visit_merged(a, p, rounds, counts)}
    if matched:
        record["excluded_by_category"] = matched
    return Outcome(p.comment, record)


@handles(VisitAttempt)
def visit_attempt(a: Act, p: VisitAttempt) -> Outcome:
    return Outcome(p.note, {"method": str(p.method), "outcome": p.outcome})


def _visit_merged(a: Act, p: Visit, rounds: int, counts: bool) -> dict[str, Any]:
    """并单: every caller merged into this ticket is visited with it — rated (a visit of their
    own, for the unit that answered) or recorded as not reached. Nobody is left out silently."""
    s, t = a.session, a.ticket
    merged = {m.number: m for m in s.exec(select(Ticket).where(Ticket.merged_into_id == t.id))}
    given = dict(item.split("=", 1) for item in p.merged_ratings)
    if unknown := sorted(set(given) - set(merged)):
        raise Invalid(f"工单 {'、'.join(unknown)} 未并入 {t.number}", title="并单来电人不正确")
    if missing := sorted(set(merged) - set(given)):
        raise Invalid(f"并入本工单的来电人也须回访（或记为未接通）：{'、'.join(missing)}",
                      title="并单来电人未回访")
    for number, rating in sorted(given.items()):
        other = merged[number]
        if rating != "unreached":
            s.add(ReturnVisit(ticket_id=other.id, round=rounds, rating=Rating(rating),
                              counts_for_satisfaction=counts, method=str(p.method),
                              unit_id=t.holder_unit_id, visited_by_id=a.actor.id, at=a.now))
        history.note(s, other, EventKind.merged_visit, actor=a.actor, now=a.now,
                     reason="未接通" if rating == "unreached" else RATING_LABELS[rating],
                     payload={"rating": None if rating == "unreached" else rating,
                              "reached": rating != "unreached", "target_number": t.number})
    if not given:
        return {}
    return {"merged_visited": sorted(n for n, r in given.items() if r != "unreached"),
            "merged_unreached": sorted(n for n, r in given.items() if r == "unreached")}


def _last_visit(s: Session, t: Ticket) -> ReturnVisit:
    return _required(s.exec(select(ReturnVisit).where(ReturnVisit.ticket_id == t.id)
                             .order_by(col(ReturnVisit.round).desc())).first(), "回访记录")


@handles(Rework)
def rework(a: Act, p: Rework) -> Outcome:
    visit = _last_visit(a.session, a.ticket)
    visit.verification = "rework"
    a.session.add(visit)
    a.ticket.rework_count += 1
    record: dict[str, Any] = {"rework_count": a.ticket.rework_count}
    if p.due_working_days:
        record["due_working_days"] = p.due_working_days
    if p.due_at:
        record["due_at"] = _future(p.due_at, a.now, "重办时限").isoformat()
    return Outcome(p.reason, record)


@handles(ExplainClose)
def explain_close(a: Act, p: ExplainClose) -> Outcome:
    visit = _last_visit(a.session, a.ticket)
    visit.verification = "explained"
    a.session.add(visit)
    a.ticket.closed_at = a.now
    return Outcome(p.explanation)


@handles(Close)
def close(a: Act, p: Close) -> Outcome:
    a.ticket.closed_at = a.now
    return Outcome(p.note)


@handles(CloseWithoutVisit)
def close_without_visit(a: Act, p: CloseWithoutVisit) -> Outcome:
    a.ticket.closed_at = a.now
    attempts = a.session.exec(select(TicketEvent.seq).where(TicketEvent.ticket_id == a.ticket.id)
                              .where(TicketEvent.action == "visit_attempt")
                              .order_by(col(TicketEvent.seq))).all()
    return Outcome(p.reason, {"visit_attempt_seqs": list(attempts)})


# ---------------------------------------------------------------------------------------------
# Supervision orders (CQ §15), merging, archiving (CQ §16)
# ---------------------------------------------------------------------------------------------
@handles(Supervise)
def supervise(a: Act, p: Supervise) -> Outcome:
    policy = get_policy()
    duration = sla.Duration(p.due_working_days) if p.due_working_days else policy.supervision
    due = sla.deadline_after(get_calendar(), a.now, duration, policy.rule)
    order = SupervisionOrder(ticket_id=a.ticket.id, unit_id=a.ticket.holder_unit_id,
                             issued_by_id=a.actor.id, reason=p.reason, issued_at=a.now,
                             due_at=due.due)
    a.session.add(order)
    a.session.flush()
    return Outcome(p.reason, {"order_id": order.id, "due_at": as_utc(due.due).isoformat(),
                              "unit_id": a.ticket.holder_unit_id, "provisional": due.provisional})


@handles(AnswerSupervision)
def answer_supervision(a: Act, p: AnswerSupervision) -> Outcome:
    order = _required(a.session.exec(
        select(SupervisionOrder).where(SupervisionOrder.ticket_id == a.ticket.id)
        .where(SupervisionOrder.status == OrderState.open).order_by(col(SupervisionOrder.id))
    ).first(), "待答复的督办单")
    order.status, order.response, order.answered_at = OrderState.answered, p.content, a.now
    a.session.add(order)
    return Outcome(record={"order_id": order.id, "content": p.content})


@handles(Merge)
def merge(a: Act, p: Merge) -> Outcome:
    s, t = a.session, a.ticket
    number = normalise_number(p.target_number)
    target = s.exec(select(Ticket).where(Ticket.number == number)).first()
    # One the actor may not see answers as one that does not exist: numbers cannot be probed.
    if target is None or not can_see(s, a.actor, target):
        raise Invalid(f"目标工单 {number} 不存在", title="目标工单不存在")
    if target.id == t.id:
        raise Invalid("不能合并到自身", title="目标工单不正确")
    if target.status in FINAL_STATES or target.status == Status.archived:
        raise Invalid(f"目标工单 {target.number} 已结束，只能合并到仍在办理的工单",
                      title="目标工单不正确")
    t.merged_into_id = target.id
    history.note(s, target, EventKind.merge_in, actor=a.actor, now=a.now, reason=p.reason,
                 payload={"from_number": t.number})
    return Outcome(p.reason, {"target_number": target.number})


@handles(Archive)
def archive(a: Act, p: Archive) -> Outcome:
    return Outcome()


assert set(HANDLERS) == set(Action), f"actions without a handler: {set(Action) - set(HANDLERS)}"
