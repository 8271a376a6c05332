"""The 12345 workflow as one declarative table: (state, action) → next state, who, guards, facts.

This table is the single source of truth. The commands perform only what it allows; the API's
``/transitions`` lists what it allows for the current user; the pages draw their buttons from
it; the docs' diagram is generated from it; the property tests walk it. Everything else the
system needs to know about an action is a keyword field of its entry here (what it means to the
clocks, whether pending requests lapse, whether the caller sees it, whether its button asks for
care) or a side table that a test checks against this one (the handlers, the 110 feedback).
Articles of the Chongqing measures (CQ §n) are cited where a rule lives.

``judge`` decides whether an actor may take an action now (refusals: 403 role/scope, 409
state/guard). What a handler still checks is the payload's references — a unit that exists and
lies below the holder, a merge target that is still open, a date in the future — and a failure
there is the caller's input error (422), not a decision about the actor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from hotline.tickets.actions import EVENT_LABELS, Action
from hotline.tickets.models import FINAL_STATES, OPEN_STATES, STATUS_LABELS, Status
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
from hotline.units.models import Role
from sla.events import EventKind as ClockEvent

__all__ = ["FINAL_STATES", "OPEN_STATES", "STATUS_LABELS", "Action", "Status"]

HOTLINE_ROLES = frozenset({Role.agent, Role.supervisor, Role.admin})
UNIT_ROLES = frozenset({Role.unit_handler, Role.unit_manager})


# ---------------------------------------------------------------------------------------------
# Facts a guard may look at; the service loads them once per request.
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Facts:
    status: Status
    actor_role: Role
    actor_unit_id: int
    actor_unit_is_hotline: bool
    #: strict ancestors of the actor's unit are irrelevant; we need the actor unit's subtree test:
    actor_is_ancestor_of: Callable[[int], bool]
    holder_unit_id: int | None
    holder_is_hotline: bool
    co_unit_ids: frozenset[int] = frozenset()
    pending_extension_unit_id: int | None = None
    open_supervision: bool = False
    close_overdue: bool = False
    # i14b facts.
    actor_unit_kind: str = ""
    #: CQ §13(二): co-units that have neither given input nor reached their deadline.
    co_units_waiting: frozenset[int] = frozenset()
    co_units_unsigned: frozenset[int] = frozenset()
    #: CQ §6: the unit above the holder reviews its replies; the state of the latest draft.
    reviewer_unit_id: int | None = None
    review_state: str | None = None
    #: CQ §14: failed return-visit attempts since the reply, and how many closing without needs.
    failed_visit_attempts: int = 0
    visit_attempts_needed: int = 0


Scope = Literal["any", "hotline", "holder", "co_unit", "extension_approver", "return_holder",
                "supervising_unit", "reviewer"]
#: CQ §12(二)1: besides the hotline, district governments and city departments supervise the
#: tickets in their own subtree.
SUPERVISING_KINDS = frozenset({"district_gov", "city_dept"})


SCOPE_MESSAGES: dict[str, str] = {
    "any": "无权执行“{label}”",
    "hotline": "只有热线中心可以执行“{label}”",
    "holder": "只有当前承办该工单的单位可以执行“{label}”",
    "co_unit": "只有协同承办单位可以执行“{label}”",
    "return_holder": "只有退单退回到的上级单位（或热线）可以执行“{label}”",
    "extension_approver": "延期须由申请单位的上一级单位或热线督办审批（CQ §13(三)），不能执行“{label}”",
    "supervising_unit": "只有热线督办或承办单位所属的区县政府、市级部门可以执行“{label}”（CQ §12(二)1）",
    "reviewer": "只有负责审核答复的上级单位可以执行“{label}”（CQ §6）",
}


def _scope_ok(scope: Scope, f: Facts) -> bool:
    if scope == "any":
        return True
    if scope == "hotline":
        return f.actor_unit_is_hotline
    if scope == "holder":
        return f.holder_unit_id is not None and f.actor_unit_id == f.holder_unit_id
    if scope == "co_unit":
        return f.actor_unit_id in f.co_unit_ids
    if scope == "return_holder":
        # Whoever a return came back to decides on it: the parent unit, or the hotline.
        if f.holder_is_hotline:
            return f.actor_unit_is_hotline
        return f.actor_unit_id == f.holder_unit_id
    if scope == "supervising_unit":
        if f.actor_unit_is_hotline:
            return True
        holder = f.holder_unit_id
        return (f.actor_unit_kind in SUPERVISING_KINDS and holder is not None
                and holder != f.actor_unit_id and f.actor_is_ancestor_of(holder))
    if scope == "reviewer":
        return f.reviewer_unit_id is not None and f.actor_unit_id == f.reviewer_unit_id
    if scope == "extension_approver":
        # CQ §13(三): the upper-level unit approves; the hotline's supervisors may too.
        if f.actor_role in (Role.supervisor, Role.admin):
            return True
        unit = f.pending_extension_unit_id
        if unit is None:
            return True  # nothing to approve: the guard says so (409), not a scope refusal
        return unit != f.actor_unit_id and f.actor_is_ancestor_of(unit)
    raise AssertionError(scope)


@dataclass(frozen=True)
class Guard:
    """A precondition with the message shown when it fails."""

    check: Callable[[Facts], bool]
    message: str


#: The clock whose state at the moment of the act is frozen on its event, for the unit metrics
#: (docs/METRICS.md): was the transfer met at signing, the close met at the reply, the return
#: window kept at the return?
FrozenClock = Literal["transfer", "close", "return"]
#: What becomes of open supervision orders when the ticket moves on this way.
OrderOutcome = Literal["resolved", "void"]


@dataclass(frozen=True)
class Transition:
    action: Action
    label: str
    sources: frozenset[Status]
    target: Status | None  # None: the state does not change
    roles: frozenset[Role]
    scope: Scope
    payload: type[Payload]
    guards: tuple[Guard, ...] = ()
    #: For actions whose next state depends on a payload field (visit → rating).
    branch_on: str | None = None
    branches: Mapping[str, Status] = field(default_factory=dict)
    rule: str = ""
    #: What the act means to the ticket's clocks: the ``sla`` timeline event it becomes
    #: (None: the clocks ignore it).
    clock: ClockEvent | None = None
    #: The clock frozen onto the act's event for the metrics.
    freezes: FrozenClock | None = None
    #: A pending extension request lapses: it was asked about a situation that is over.
    lapses_extensions: bool = False
    #: Open supervision orders settle this way.
    settles_orders: OrderOutcome | None = None
    #: Shown to the caller in the public progress lookup (CQ §11).
    public: bool = False
    #: Its button asks for care: it ends or sends back the ticket, or overrides a unit.
    caution: bool = False

    def next_state(self, current: Status, payload: Payload) -> Status:
        if self.branch_on:
            value = getattr(payload, self.branch_on)
            return self.branches[str(value)]
        return self.target or current

    def targets(self) -> set[Status]:
        if self.branch_on:
            return set(self.branches.values())
        return {self.target} if self.target else set(self.sources)


_holder_not_hotline = Guard(lambda f: not f.holder_is_hotline, "退回热线的工单由热线重新派发")
_pending_ext = Guard(lambda f: f.pending_extension_unit_id is not None, "没有待审批的延期申请")
_no_pending_ext = Guard(lambda f: f.pending_extension_unit_id is None, "已有待审批的延期申请")
_before_deadline = Guard(lambda f: not f.close_overdue, "延期申请须在办理时限届满前提出 (CQ §13(三))")
_open_supervision = Guard(lambda f: f.open_supervision, "没有待答复的督办单")
# One open 督办单 per ticket (and so per holding unit): a second before the first is answered adds
# noise, not pressure — pressing harder is the scan's escalation (升级).
_no_open_supervision = Guard(lambda f: not f.open_supervision, "该工单已有待答复的督办单，请待承办单位答复")
_co_inputs_in = Guard(lambda f: not f.co_units_waiting,
                      "协同单位尚未反馈意见且协办时限未到，牵头单位汇总各方意见后统一答复 (CQ §13(二))")
_review_passed = Guard(lambda f: f.reviewer_unit_id is None or f.review_state == "approved",
                       "本单位的答复须经上级单位审核通过后才能答复来电人 (CQ §6)")
_review_applies = Guard(lambda f: f.reviewer_unit_id is not None, "本单位的答复无需上级审核，可直接答复")
_review_pending = Guard(lambda f: f.review_state == "pending", "没有待审核的答复")
_no_review_pending = Guard(lambda f: f.review_state != "pending", "已有待审核的答复")
_co_unsigned = Guard(lambda f: f.actor_unit_id in f.co_units_unsigned, "本单位已签收协办任务")
_co_signed = Guard(lambda f: f.actor_unit_id not in f.co_units_unsigned,
                   "请先签收协办任务再反馈意见 (CQ §13(二))")
_attempts_recorded = Guard(lambda f: f.failed_visit_attempts >= f.visit_attempts_needed,
                           "未回访办结须先记录足够次数的回访未果（如三次电话未接通）(CQ §14)")

S = Status
_DISPATCH_SOURCES = frozenset({S.registered, S.returned})
_WORKING = frozenset({S.in_progress, S.rework})
_MERGEABLE = frozenset({S.registered, S.dispatched, S.in_progress, S.returned, S.rework})
_SUPERVISABLE = frozenset({S.dispatched, S.in_progress, S.returned, S.rework, S.replied})

A = Action
TRANSITIONS: tuple[Transition, ...] = (
    Transition(A.answer_directly, "直接解答", frozenset({S.registered}), S.answered,
               HOTLINE_ROLES, "hotline", AnswerDirectly, rule="CQ §12(一)", public=True),
    Transition(A.warm_transfer, "三方通话/转接", frozenset({S.registered}), S.transferred,
               HOTLINE_ROLES, "hotline", WarmTransfer, rule="CQ §12(一)", public=True),
    Transition(A.not_accept, "不予受理", frozenset({S.registered}), S.not_accepted,
               HOTLINE_ROLES, "hotline", NotAccept, rule="CQ §9", public=True, caution=True),
    Transition(A.emergency_handover, "移交110/119/120/122", frozenset({S.registered}),
               S.emergency, HOTLINE_ROLES, "hotline", EmergencyHandover, rule="CQ §10",
               public=True),
    Transition(A.dispatch, "派发工单", _DISPATCH_SOURCES, S.dispatched, HOTLINE_ROLES, "hotline",
               Dispatch, guards=(Guard(lambda f: f.status == S.registered or f.holder_is_hotline,
                                       "工单尚在下级单位，热线不能直接派发"),),
               rule="CQ §12(二), §13(一)", clock="dispatched", lapses_extensions=True,
               settles_orders="void", public=True),
    Transition(A.sign, "签收", frozenset({S.dispatched}), S.in_progress, UNIT_ROLES, "holder",
               Sign, rule="CQ §13(一)", clock="signed", freezes="transfer", public=True),
    Transition(A.forward, "转派下级", frozenset({S.dispatched, S.in_progress, S.returned}),
               S.dispatched, UNIT_ROLES, "holder", Forward, guards=(_holder_not_hotline,),
               rule="CQ §6, §13(一)", clock="forwarded", lapses_extensions=True),
    Transition(A.return_, "退单", frozenset({S.dispatched, S.in_progress, S.returned}),
               S.returned, UNIT_ROLES, "holder", Return, guards=(_holder_not_hotline,),
               rule="CQ §13(一)", clock="returned", freezes="return", lapses_extensions=True,
               caution=True),
    Transition(A.reject_return, "退单不予认可", frozenset({S.returned}), S.dispatched,
               frozenset({Role.unit_manager, *HOTLINE_ROLES}), "return_holder", RejectReturn,
               rule="CQ §15 不当退单", clock="forwarded"),
    Transition(A.request_extension, "申请延期", _WORKING, None, UNIT_ROLES, "holder",
               RequestExtension, guards=(_no_pending_ext, _before_deadline),
               rule="CQ §13(三)"),
    Transition(A.approve_extension, "同意延期", _WORKING, None,
               frozenset({Role.unit_manager, Role.supervisor, Role.admin}),
               "extension_approver", ApproveExtension, guards=(_pending_ext,),
               rule="CQ §13(三)", clock="extended", public=True),
    Transition(A.deny_extension, "不同意延期", _WORKING, None,
               frozenset({Role.unit_manager, Role.supervisor, Role.admin}),
               "extension_approver", DenyExtension, guards=(_pending_ext,), rule="CQ §13(三)",
               caution=True),
    Transition(A.co_input, "协办意见", _WORKING, None, UNIT_ROLES, "co_unit", CoInput,
               guards=(_co_signed,), rule="CQ §13(二) 牵头单位汇总"),
    Transition(A.reply, "办结答复", _WORKING, S.replied, UNIT_ROLES, "holder", Reply,
               guards=(_co_inputs_in, _review_passed),
               rule="CQ §13 谁具体承办、谁直接答复", clock="replied", freezes="close",
               lapses_extensions=True, settles_orders="resolved", public=True),
    Transition(A.visit, "回访评价", frozenset({S.replied}), None, HOTLINE_ROLES, "hotline", Visit,
               branch_on="rating",
               branches={"satisfied": S.visited, "basically_satisfied": S.visited,
                         "dissatisfied": S.verifying}, rule="CQ §14"),
    Transition(A.rework, "重办", frozenset({S.verifying}), S.rework,
               frozenset({Role.supervisor, Role.admin}), "hotline", Rework, rule="CQ §14",
               clock="reopened", public=True, caution=True),
    Transition(A.explain_close, "解释后办结", frozenset({S.verifying}), S.closed,
               frozenset({Role.supervisor, Role.admin}), "hotline", ExplainClose, rule="CQ §14",
               clock="closed", lapses_extensions=True, settles_orders="resolved", public=True),
    Transition(A.close, "办结归口", frozenset({S.visited}), S.closed, HOTLINE_ROLES, "hotline",
               Close, rule="CQ §5 闭环", clock="closed", lapses_extensions=True,
               settles_orders="resolved", public=True),
    Transition(A.close_without_visit, "未回访办结", frozenset({S.replied}), S.closed,
               frozenset({Role.supervisor, Role.admin}), "hotline", CloseWithoutVisit,
               guards=(_attempts_recorded,), rule="CQ §14", clock="closed", lapses_extensions=True,
               settles_orders="resolved", public=True, caution=True),
    Transition(A.supervise, "督办", _SUPERVISABLE, None,
               frozenset({Role.supervisor, Role.admin, Role.unit_manager}), "supervising_unit",
               Supervise, guards=(_no_open_supervision,), rule="CQ §15, §12(二)1"),
    Transition(A.answer_supervision, "督办回复", _SUPERVISABLE, None, UNIT_ROLES, "holder",
               AnswerSupervision, guards=(_open_supervision,), rule="CQ §15"),
    Transition(A.merge, "合并重复工单", _MERGEABLE, S.merged, HOTLINE_ROLES, "hotline", Merge,
               rule="重复来电合并", clock="merged", lapses_extensions=True, settles_orders="void",
               public=True, caution=True),
    Transition(A.reclaim, "退回热线重新处置", frozenset({S.emergency}), S.registered, HOTLINE_ROLES,
               "hotline", Reclaim, rule="SH 首接责任制：对方退回，首接方继续处置"),
    Transition(A.archive, "归档", frozenset(FINAL_STATES), S.archived,
               frozenset({Role.supervisor, Role.admin}), "hotline", Archive, rule="CQ §16"),
    # The unit keeps the ticket; the bridge hands the matter to the peer and supervision reports
    # it (receivers), as for an emergency hand-over at intake.
    Transition(A.bring_in_peer, "联动110/119/120/122", _WORKING | {S.dispatched}, None,
               UNIT_ROLES, "holder", BringInPeer, rule="CQ §10, SH 二(一)2", caution=True),
    # i14b
    Transition(A.visit_attempt, "回访未果", frozenset({S.replied}), None, HOTLINE_ROLES, "hotline",
               VisitAttempt, rule="CQ §14"),
    Transition(A.co_sign, "签收协办", _WORKING | {S.dispatched}, None, UNIT_ROLES, "co_unit",
               CoSign, guards=(_co_unsigned,), rule="CQ §13(二)"),
    Transition(A.submit_reply, "提交答复审核", _WORKING, None, UNIT_ROLES, "holder", SubmitReply,
               guards=(_review_applies, _no_review_pending, _co_inputs_in), rule="CQ §6(二)"),
    Transition(A.review_reply, "审核答复", _WORKING, None, frozenset({Role.unit_manager}),
               "reviewer", ReviewReply, guards=(_review_pending,), rule="CQ §6(二)"),
)
assert {t.action for t in TRANSITIONS} == set(Action), "every Action has exactly one table entry"

BY_ACTION: dict[str, Transition] = {t.action: t for t in TRANSITIONS}
#: Every kind of history row, labelled: the actions' labels and the system events'.
ACTION_LABELS: dict[str, str] = {t.action.value: t.label for t in TRANSITIONS} | EVENT_LABELS


class Refusal(StrEnum):
    unknown = "unknown"
    state = "state"
    role = "role"
    scope = "scope"
    guard = "guard"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    refusal: Refusal | None = None
    message: str = ""


def judge(action: Action | str, facts: Facts) -> Verdict:
    """May this actor take this action now? The one place that answers it."""
    t = BY_ACTION.get(action)
    if t is None:
        return Verdict(False, Refusal.unknown, f"未知操作：{action}")
    if facts.status not in t.sources:
        label = STATUS_LABELS.get(facts.status, facts.status)
        return Verdict(False, Refusal.state, f"工单当前状态为“{label}”，不能执行“{t.label}”")
    if facts.actor_role not in t.roles:
        return Verdict(False, Refusal.role, f"您的角色不能执行“{t.label}”")
    if not _scope_ok(t.scope, facts):
        return Verdict(False, Refusal.scope, SCOPE_MESSAGES[t.scope].format(label=t.label))
    for guard in t.guards:
        if not guard.check(facts):
            return Verdict(False, Refusal.guard, guard.message)
    return Verdict(True)


def allowed_actions(facts: Facts) -> list[Transition]:
    return [t for t in TRANSITIONS if judge(t.action, facts).allowed]


def mermaid() -> str:
    """The state diagram for docs/WORKFLOW.md, generated from the table."""
    lines = ["stateDiagram-v2", "    [*] --> registered: 登记"]
    for t in TRANSITIONS:
        for src in sorted(t.sources):
            for dst in sorted(t.targets()) if (t.target or t.branch_on) else [src]:
                lines.append(f"    {src} --> {dst}: {t.label}")
    lines.append("    archived --> [*]")
    return "\n".join(lines)
