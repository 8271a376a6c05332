"""The 12345 workflow as one declarative table: (state, action) → next state, who, guards, fields.

This table is the single source of truth. The service performs only what it allows, the API's
``/transitions`` lists what it allows for the current user, the docs' diagram is generated from
it, and the property tests walk it. Articles of the Chongqing measures (CQ §n) are cited where a
rule lives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from hotline.core.ids import DbId
from hotline.units.models import Role


class Status(StrEnum):
    registered = "registered"
    answered = "answered"
    transferred = "transferred"
    not_accepted = "not_accepted"
    emergency = "emergency"
    dispatched = "dispatched"
    in_progress = "in_progress"
    returned = "returned"
    replied = "replied"
    verifying = "verifying"
    rework = "rework"
    visited = "visited"
    closed = "closed"
    merged = "merged"
    archived = "archived"


STATUS_LABELS: dict[str, str] = {
    "registered": "已登记",
    "answered": "已直接解答",
    "transferred": "已转接",
    "not_accepted": "不予受理",
    "emergency": "已移交应急",
    "dispatched": "待签收",
    "in_progress": "办理中",
    "returned": "退单待处理",
    "replied": "已答复待回访",
    "verifying": "差评核实中",
    "rework": "重办中",
    "visited": "已回访待办结",
    "closed": "已办结",
    "merged": "已合并",
    "archived": "已归档",
}

#: States in which a unit is working the ticket: its clocks run.
OPEN_STATES = frozenset({"dispatched", "in_progress", "returned", "rework"})
#: States from which nothing but archiving happens.
FINAL_STATES = frozenset({"answered", "transferred", "not_accepted", "emergency", "closed", "merged"})

HOTLINE_ROLES = frozenset({Role.agent, Role.supervisor, Role.admin})
UNIT_ROLES = frozenset({Role.unit_handler, Role.unit_manager})


# ---------------------------------------------------------------------------------------------
# Payloads: one model per action. The API's request body is their discriminated union.
# ---------------------------------------------------------------------------------------------
class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    version: int | None = Field(default=None, ge=1, description="乐观锁：客户端看到的版本号")


Text = Annotated[str, Field(min_length=1, max_length=4000)]
ShortText = Annotated[str, Field(min_length=1, max_length=500)]


class AnswerDirectly(_Payload):
    action: Literal["answer_directly"] = "answer_directly"
    answer: Text
    kb_entries: list[str] = Field(default_factory=list, max_length=20)


class WarmTransfer(_Payload):
    action: Literal["warm_transfer"] = "warm_transfer"
    target: ShortText = Field(description="转接/三方通话的对象单位或热线")
    caller_consent: bool = Field(description="来电人同意三方通话或转接 (CQ §12(一))")
    note: str | None = Field(default=None, max_length=2000)


class NotAcceptedReason(StrEnum):
    """CQ §9: matters the hotline does not accept."""

    litigation = "litigation"  # 诉讼
    arbitration = "arbitration"  # 仲裁
    discipline = "discipline"  # 纪检监察
    reconsideration = "reconsideration"  # 行政复议
    info_disclosure = "info_disclosure"  # 政府信息公开
    petition = "petition"  # 已进入信访渠道
    state_secret = "state_secret"  # 国家秘密
    commercial_secret = "commercial_secret"  # 商业秘密
    privacy = "privacy"  # 个人隐私
    public_order = "public_order"  # 违反公序良俗
    other_law = "other_law"  # 法律法规规章规定不予受理的其他事项


NOT_ACCEPTED_LABELS = {
    "litigation": "应通过诉讼程序解决", "arbitration": "应通过仲裁程序解决",
    "discipline": "应通过纪检监察程序解决", "reconsideration": "应通过行政复议程序解决",
    "info_disclosure": "应通过政府信息公开程序解决", "petition": "已进入信访渠道",
    "state_secret": "涉及国家秘密", "commercial_secret": "涉及商业秘密",
    "privacy": "涉及个人隐私", "public_order": "违反社会公序良俗",
    "other_law": "法律法规规章规定不予受理",
}


class NotAccept(_Payload):
    action: Literal["not_accept"] = "not_accept"
    reason_code: NotAcceptedReason
    reason: Text = Field(description="告知来电人的不予受理依据 (CQ §9)")
    referral: str | None = Field(default=None, max_length=200, description="可办理的单位")


class EmergencyHandover(_Payload):
    action: Literal["emergency_handover"] = "emergency_handover"
    service: Literal["110", "119", "120", "122"]
    reason: Text
    caller_connected: bool = Field(default=True, description="是否已转接来电人 (CQ §10)")


class Dispatch(_Payload):
    action: Literal["dispatch"] = "dispatch"
    lead_unit_id: DbId | None = Field(
        default=None, description="牵头承办单位；不填则按智能派单建议（属地、属事、派单目录）"
    )
    co_unit_ids: list[DbId] = Field(default_factory=list, max_length=20)
    category: str | None = Field(default=None, max_length=200)
    due_at: AwareDatetime | None = Field(default=None, description="交办时另有时限 (CQ §13(二))，带时区")
    due_working_days: int | None = Field(default=None, ge=1, le=120)
    legal_basis: str | None = Field(default=None, max_length=64, description="法定时限名称")
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _one_deadline(self) -> Dispatch:
        if self.due_at is not None and self.due_working_days is not None:
            raise ValueError("due_at 与 due_working_days 只能给一个")
        if self.lead_unit_id is not None and self.lead_unit_id in self.co_unit_ids:
            raise ValueError("牵头单位不能同时是协同单位")
        if len(set(self.co_unit_ids)) != len(self.co_unit_ids):
            raise ValueError("协同单位重复")
        return self


class Sign(_Payload):
    action: Literal["sign"] = "sign"


class Forward(_Payload):
    action: Literal["forward"] = "forward"
    to_unit_id: DbId
    note: str | None = Field(default=None, max_length=2000)


class Return(_Payload):
    action: Literal["return"] = "return"
    reason: Text = Field(description="退单理由 (CQ §13(一))")


class RejectReturn(_Payload):
    action: Literal["reject_return"] = "reject_return"
    reason: Text = Field(description="不当退单的理由 (CQ §15)")


class RequestExtension(_Payload):
    action: Literal["request_extension"] = "request_extension"
    reason: Text
    add_working_days: int | None = Field(default=None, ge=1, le=60)
    due_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> RequestExtension:
        if (self.add_working_days is None) == (self.due_at is None):
            raise ValueError("add_working_days 与 due_at 必须且只能给一个")
        return self


class ApproveExtension(_Payload):
    action: Literal["approve_extension"] = "approve_extension"
    reason: str | None = Field(default=None, max_length=2000)


class DenyExtension(_Payload):
    action: Literal["deny_extension"] = "deny_extension"
    reason: Text


class CoInput(_Payload):
    action: Literal["co_input"] = "co_input"
    content: Text


class Reply(_Payload):
    action: Literal["reply"] = "reply"
    content: Text = Field(description="答复来电人的内容")
    contacted_caller: bool = True


class Rating(StrEnum):
    satisfied = "satisfied"
    basically_satisfied = "basically_satisfied"
    dissatisfied = "dissatisfied"


RATING_LABELS = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}


class Visit(_Payload):
    action: Literal["visit"] = "visit"
    rating: Rating
    comment: str | None = Field(default=None, max_length=2000)
    resolved: bool | None = Field(default=None, description="来电人认为问题是否已解决（解决率）")
    counts_for_satisfaction: bool = Field(
        default=True, description="行政调解类、执法办案类事项不参与满意率 (CQ §14)"
    )


class Rework(_Payload):
    action: Literal["rework"] = "rework"
    reason: Text = Field(description="核实后确有疏漏或未落实事项 (CQ §14)")
    due_working_days: int | None = Field(default=None, ge=1, le=60)
    due_at: AwareDatetime | None = None


class ExplainClose(_Payload):
    action: Literal["explain_close"] = "explain_close"
    explanation: Text = Field(description="超出法规政策或期望过高，已解释 (CQ §14)")


class Close(_Payload):
    action: Literal["close"] = "close"
    note: str | None = Field(default=None, max_length=2000)


class CloseWithoutVisit(_Payload):
    action: Literal["close_without_visit"] = "close_without_visit"
    reason: Text = Field(description="例如：三次回访未接通")


class Supervise(_Payload):
    action: Literal["supervise"] = "supervise"
    reason: Text
    due_working_days: int | None = Field(default=None, ge=1, le=30)


class AnswerSupervision(_Payload):
    action: Literal["answer_supervision"] = "answer_supervision"
    content: Text


class Merge(_Payload):
    action: Literal["merge"] = "merge"
    target_number: str = Field(min_length=8, max_length=20, description="合并到的工单编号")
    reason: str | None = Field(default=None, max_length=2000)


class Reclaim(_Payload):
    action: Literal["reclaim"] = "reclaim"
    reason: Text = Field(description="对方平台退回的理由（首接责任制）")


class Archive(_Payload):
    action: Literal["archive"] = "archive"


ActionPayload = Annotated[
    AnswerDirectly | WarmTransfer | NotAccept | EmergencyHandover | Dispatch | Sign | Forward
    | Return | RejectReturn | RequestExtension | ApproveExtension | DenyExtension | CoInput
    | Reply | Visit | Rework | ExplainClose | Close | CloseWithoutVisit | Supervise
    | AnswerSupervision | Merge | Reclaim | Archive,
    Field(discriminator="action"),
]


# ---------------------------------------------------------------------------------------------
# Facts a guard may look at; the service loads them once per request.
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Facts:
    status: str
    actor_role: str
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


Scope = Literal["any", "hotline", "holder", "co_unit", "extension_approver", "return_holder"]


SCOPE_MESSAGES: dict[str, str] = {
    "any": "无权执行“{label}”",
    "hotline": "只有热线中心可以执行“{label}”",
    "holder": "只有当前承办该工单的单位可以执行“{label}”",
    "co_unit": "只有协同承办单位可以执行“{label}”",
    "return_holder": "只有退单退回到的上级单位（或热线）可以执行“{label}”",
    "extension_approver": "延期须由申请单位的上一级单位或热线督办审批（CQ §13(三)），不能执行“{label}”",
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


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str | None  # None: the state does not change
    roles: frozenset[str]
    scope: Scope
    payload: type[_Payload]
    guards: tuple[Guard, ...] = ()
    #: For actions whose next state depends on a payload field (visit → rating).
    branch_on: str | None = None
    branches: Mapping[str, str] = field(default_factory=dict)
    rule: str = ""

    def next_state(self, current: str, payload: _Payload) -> str:
        if self.branch_on:
            value = getattr(payload, self.branch_on)
            return self.branches[str(value)]
        return self.target or current

    def targets(self) -> set[str]:
        if self.branch_on:
            return set(self.branches.values())
        return {self.target} if self.target else set(self.sources)


_holder_not_hotline = Guard(lambda f: not f.holder_is_hotline, "退回热线的工单由热线重新派发")
_pending_ext = Guard(lambda f: f.pending_extension_unit_id is not None, "没有待审批的延期申请")
_no_pending_ext = Guard(lambda f: f.pending_extension_unit_id is None, "已有待审批的延期申请")
_before_deadline = Guard(lambda f: not f.close_overdue, "延期申请须在办理时限届满前提出 (CQ §13(三))")
_open_supervision = Guard(lambda f: f.open_supervision, "没有待答复的督办单")

S = Status
_DISPATCH_SOURCES = frozenset({S.registered, S.returned})
_WORKING = frozenset({S.in_progress, S.rework})
_MERGEABLE = frozenset({S.registered, S.dispatched, S.in_progress, S.returned, S.rework})
_SUPERVISABLE = frozenset({S.dispatched, S.in_progress, S.returned, S.rework, S.replied})

TRANSITIONS: tuple[Transition, ...] = (
    Transition("answer_directly", "直接解答", frozenset({S.registered}), S.answered,
               HOTLINE_ROLES, "hotline", AnswerDirectly, rule="CQ §12(一)"),
    Transition("warm_transfer", "三方通话/转接", frozenset({S.registered}), S.transferred,
               HOTLINE_ROLES, "hotline", WarmTransfer, rule="CQ §12(一)"),
    Transition("not_accept", "不予受理", frozenset({S.registered}), S.not_accepted,
               HOTLINE_ROLES, "hotline", NotAccept, rule="CQ §9"),
    Transition("emergency_handover", "移交110/119/120/122", frozenset({S.registered}),
               S.emergency, HOTLINE_ROLES, "hotline", EmergencyHandover, rule="CQ §10"),
    Transition("dispatch", "派发工单", _DISPATCH_SOURCES, S.dispatched, HOTLINE_ROLES, "hotline",
               Dispatch, guards=(Guard(lambda f: f.status == S.registered or f.holder_is_hotline,
                                       "工单尚在下级单位，热线不能直接派发"),),
               rule="CQ §12(二), §13(一)"),
    Transition("sign", "签收", frozenset({S.dispatched}), S.in_progress, UNIT_ROLES, "holder",
               Sign, rule="CQ §13(一)"),
    Transition("forward", "转派下级", frozenset({S.dispatched, S.in_progress, S.returned}),
               S.dispatched, UNIT_ROLES, "holder", Forward, guards=(_holder_not_hotline,),
               rule="CQ §6, §13(一)"),
    Transition("return", "退单", frozenset({S.dispatched, S.in_progress, S.returned}),
               S.returned, UNIT_ROLES, "holder", Return, guards=(_holder_not_hotline,),
               rule="CQ §13(一)"),
    Transition("reject_return", "退单不予认可", frozenset({S.returned}), S.dispatched,
               frozenset({Role.unit_manager, *HOTLINE_ROLES}), "return_holder", RejectReturn,
               rule="CQ §15 不当退单"),
    Transition("request_extension", "申请延期", _WORKING, None, UNIT_ROLES, "holder",
               RequestExtension, guards=(_no_pending_ext, _before_deadline),
               rule="CQ §13(三)"),
    Transition("approve_extension", "同意延期", _WORKING, None,
               frozenset({Role.unit_manager, Role.supervisor, Role.admin}),
               "extension_approver", ApproveExtension, guards=(_pending_ext,),
               rule="CQ §13(三)"),
    Transition("deny_extension", "不同意延期", _WORKING, None,
               frozenset({Role.unit_manager, Role.supervisor, Role.admin}),
               "extension_approver", DenyExtension, guards=(_pending_ext,), rule="CQ §13(三)"),
    Transition("co_input", "协办意见", _WORKING, None, UNIT_ROLES, "co_unit", CoInput,
               rule="CQ §13(二) 牵头单位汇总"),
    Transition("reply", "办结答复", _WORKING, S.replied, UNIT_ROLES, "holder", Reply,
               rule="CQ §13 谁具体承办、谁直接答复"),
    Transition("visit", "回访评价", frozenset({S.replied}), None, HOTLINE_ROLES, "hotline", Visit,
               branch_on="rating",
               branches={"satisfied": S.visited, "basically_satisfied": S.visited,
                         "dissatisfied": S.verifying}, rule="CQ §14"),
    Transition("rework", "重办", frozenset({S.verifying}), S.rework,
               frozenset({Role.supervisor, Role.admin}), "hotline", Rework, rule="CQ §14"),
    Transition("explain_close", "解释后办结", frozenset({S.verifying}), S.closed,
               frozenset({Role.supervisor, Role.admin}), "hotline", ExplainClose, rule="CQ §14"),
    Transition("close", "办结归口", frozenset({S.visited}), S.closed, HOTLINE_ROLES, "hotline",
               Close, rule="CQ §5 闭环"),
    Transition("close_without_visit", "未回访办结", frozenset({S.replied}), S.closed,
               frozenset({Role.supervisor, Role.admin}), "hotline", CloseWithoutVisit,
               rule="CQ §14"),
    Transition("supervise", "督办", _SUPERVISABLE, None, frozenset({Role.supervisor, Role.admin}),
               "hotline", Supervise, rule="CQ §15"),
    Transition("answer_supervision", "督办回复", _SUPERVISABLE, None, UNIT_ROLES, "holder",
               AnswerSupervision, guards=(_open_supervision,), rule="CQ §15"),
    Transition("merge", "合并重复工单", _MERGEABLE, S.merged, HOTLINE_ROLES, "hotline", Merge,
               rule="重复来电合并"),
    Transition("reclaim", "退回热线重新处置", frozenset({S.emergency}), S.registered, HOTLINE_ROLES,
               "hotline", Reclaim, rule="SH 首接责任制：对方退回，首接方继续处置"),
    Transition("archive", "归档", frozenset(FINAL_STATES), S.archived,
               frozenset({Role.supervisor, Role.admin}), "hotline", Archive, rule="CQ §16"),
)

BY_ACTION: dict[str, Transition] = {t.action: t for t in TRANSITIONS}
ACTION_LABELS: dict[str, str] = {t.action: t.label for t in TRANSITIONS} | {
    "register": "登记", "caller_notified": "告知来电人", "clocks": "时限重算",
}


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


def judge(action: str, facts: Facts) -> Verdict:
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
