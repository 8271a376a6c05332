"""One pydantic model per workflow action: the body the API, the pages and the commands accept.

The API's request body is their discriminated union (``ActionPayload``); the pages generate
their forms from the same models, so both accept exactly the same things.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hotline.core.ids import DbId
from hotline.core.times import BoundedDatetime
from hotline.tickets.actions import Action
from hotline.tickets.models import Rating, VisitMethod

# CQ §9's codes are defined once (``vocabulary``); re-exported here for the forms and pages.
from vocabulary import NOT_ACCEPTED_LABELS as NOT_ACCEPTED_LABELS
from vocabulary import NotAcceptedReason as NotAcceptedReason


class Payload(BaseModel):
    """Common to every action's body: unknown fields refused, text stripped, optional version."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    version: int | None = Field(default=None, ge=1, description="乐观锁：客户端看到的版本号")


Text = Annotated[str, Field(min_length=1, max_length=4000)]
ShortText = Annotated[str, Field(min_length=1, max_length=500)]


class AnswerDirectly(Payload):
    action: Literal[Action.answer_directly] = Action.answer_directly
    answer: Text
    kb_entries: list[int] = Field(default_factory=list, max_length=20,
                                  description="引用的知识条目编号：须已发布且在有效期内")


class WarmTransfer(Payload):
    action: Literal[Action.warm_transfer] = Action.warm_transfer
    target: ShortText = Field(description="转接/三方通话的对象单位或热线")
    caller_consent: bool = Field(description="来电人同意三方通话或转接 (CQ §12(一))")
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _consented(self) -> WarmTransfer:
        if not self.caller_consent:
            raise ValueError("三方通话或转接须经来电人同意 (CQ §12(一))")
        return self




class NotAccept(Payload):
    action: Literal[Action.not_accept] = Action.not_accept
    reason_code: NotAcceptedReason
    reason: Text = Field(description="告知来电人的不予受理依据 (CQ §9)")
    referral: str | None = Field(default=None, max_length=200, description="可办理的单位")


class EmergencyHandover(Payload):
    action: Literal[Action.emergency_handover] = Action.emergency_handover
    service: Literal["110", "119", "120", "122"]
    reason: Text
    caller_connected: bool = Field(default=True, description="是否已转接来电人 (CQ §10)")


class BringInPeer(Payload):
    """A handling unit brings in 110/119/120/122 while it keeps working the ticket (CQ §10,
    SH 二(一)2): the matter turns out to be a police matter or an emergency on the spot."""

    action: Literal[Action.bring_in_peer] = Action.bring_in_peer
    service: Literal["110", "119", "120", "122"]
    reason: Text = Field(description="需要联动处置的情况")


class Dispatch(Payload):
    action: Literal[Action.dispatch] = Action.dispatch
    lead_unit_id: DbId | None = Field(
        default=None, description="牵头承办单位；不填则按智能派单建议（属地、属事、派单目录）"
    )
    co_unit_ids: list[DbId] = Field(default_factory=list, max_length=20)
    category: str | None = Field(default=None, max_length=200)
    due_at: BoundedDatetime | None = Field(default=None, description="交办时另有时限 (CQ §13(二))，带时区")
    due_working_days: int | None = Field(default=None, ge=1, le=120)
    legal_basis: str | None = Field(default=None, max_length=64, description="法定时限名称")
    note: str | None = Field(default=None, max_length=2000)
    emergency_override: str | None = Field(
        default=None, max_length=2000,
        description="系统判定为紧急事项（CQ §10）仍派发为工单的理由；记录在案并报告热线主管")

    @model_validator(mode="after")
    def _one_deadline(self) -> Dispatch:
        if self.due_at is not None and self.due_working_days is not None:
            raise ValueError("due_at 与 due_working_days 只能给一个")
        if self.lead_unit_id is not None and self.lead_unit_id in self.co_unit_ids:
            raise ValueError("牵头单位不能同时是协同单位")
        if len(set(self.co_unit_ids)) != len(self.co_unit_ids):
            raise ValueError("协同单位重复")
        return self


class Sign(Payload):
    action: Literal[Action.sign] = Action.sign


class Forward(Payload):
    action: Literal[Action.forward] = Action.forward
    to_unit_id: DbId
    note: str | None = Field(default=None, max_length=2000)


class Return(Payload):
    action: Literal[Action.return_] = Action.return_
    reason: Text = Field(description="退单理由 (CQ §13(一))")


class RejectReturn(Payload):
    action: Literal[Action.reject_return] = Action.reject_return
    reason: Text = Field(description="不当退单的理由 (CQ §15)")


class RequestExtension(Payload):
    action: Literal[Action.request_extension] = Action.request_extension
    reason: Text
    add_working_days: int | None = Field(default=None, ge=1, le=60)
    due_at: BoundedDatetime | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> RequestExtension:
        if (self.add_working_days is None) == (self.due_at is None):
            raise ValueError("add_working_days 与 due_at 必须且只能给一个")
        return self


class ApproveExtension(Payload):
    action: Literal[Action.approve_extension] = Action.approve_extension
    reason: str | None = Field(default=None, max_length=2000)


class DenyExtension(Payload):
    action: Literal[Action.deny_extension] = Action.deny_extension
    reason: Text


class CoInput(Payload):
    action: Literal[Action.co_input] = Action.co_input
    content: Text


class Reply(Payload):
    action: Literal[Action.reply] = Action.reply
    content: Text = Field(description="答复来电人的内容")
    contacted_caller: bool = True


MergedRating = Annotated[str, Field(
    pattern=r"^\d{8}-\d{6}=(satisfied|basically_satisfied|dissatisfied|unreached)$")]
"""``20261203-000002=satisfied``: one merged caller's rating (并单), form- and API-friendly."""


class Visit(Payload):
    action: Literal[Action.visit] = Action.visit
    rating: Rating
    comment: str | None = Field(default=None, max_length=2000)
    resolved: bool | None = Field(default=None, description="来电人认为问题是否已解决（解决率）")
    method: VisitMethod = Field(default=VisitMethod.phone, description="回访方式：电话、短信、网站、当面")
    # Whether it counts for satisfaction is not asked: it follows from the category (CQ §14).
    merged_ratings: list[MergedRating] = Field(
        default_factory=list, max_length=50,
        description="并单来电人的回访：工单编号=评价（satisfied / basically_satisfied / "
                    "dissatisfied / unreached 未接通），每个并入的来电人一项")


class Rework(Payload):
    action: Literal[Action.rework] = Action.rework
    reason: Text = Field(description="核实后确有疏漏或未落实事项 (CQ §14)")
    due_working_days: int | None = Field(default=None, ge=1, le=60)
    due_at: BoundedDatetime | None = None


class ExplainClose(Payload):
    action: Literal[Action.explain_close] = Action.explain_close
    explanation: Text = Field(description="超出法规政策或期望过高，已解释 (CQ §14)")


class Close(Payload):
    action: Literal[Action.close] = Action.close
    note: str | None = Field(default=None, max_length=2000)


class CloseWithoutVisit(Payload):
    action: Literal[Action.close_without_visit] = Action.close_without_visit
    reason: Text = Field(description="例如：三次回访未接通（须先记录回访未果）")


class Supervise(Payload):
    action: Literal[Action.supervise] = Action.supervise
    reason: Text
    due_working_days: int | None = Field(default=None, ge=1, le=30)


class AnswerSupervision(Payload):
    action: Literal[Action.answer_supervision] = Action.answer_supervision
    content: Text


class Merge(Payload):
    action: Literal[Action.merge] = Action.merge
    target_number: str = Field(min_length=8, max_length=20, description="合并到的工单编号")
    reason: str | None = Field(default=None, max_length=2000)


class Reclaim(Payload):
    action: Literal[Action.reclaim] = Action.reclaim
    reason: Text = Field(description="对方平台退回的理由（首接责任制）")


class Archive(Payload):
    action: Literal[Action.archive] = Action.archive


class VisitAttempt(Payload):
    """A return visit that did not reach the caller (CQ §14); enough of them allow
    ``close_without_visit``."""

    action: Literal[Action.visit_attempt] = Action.visit_attempt
    method: VisitMethod = VisitMethod.phone
    outcome: Literal["no_answer", "busy", "refused", "wrong_number", "unreachable"] = Field(
        default="no_answer", description="未接听、占线、拒绝回访、号码错误、无法联系")
    note: str | None = Field(default=None, max_length=2000)


class CoSign(Payload):
    action: Literal[Action.co_sign] = Action.co_sign


class SubmitReply(Payload):
    action: Literal[Action.submit_reply] = Action.submit_reply
    content: Text = Field(description="提交上级单位审核的答复内容 (CQ §6)")


class ReviewReply(Payload):
    action: Literal[Action.review_reply] = Action.review_reply
    approve: bool = Field(default=True, description="通过；不通过则退回承办单位修改（须说明理由）")
    comment: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _why_not(self) -> ReviewReply:
        if not self.approve and not self.comment:
            raise ValueError("退回修改须说明理由")
        return self


ActionPayload = Annotated[
    AnswerDirectly | WarmTransfer | NotAccept | EmergencyHandover | Dispatch | Sign | Forward
    | Return | RejectReturn | RequestExtension | ApproveExtension | DenyExtension | CoInput
    | Reply | Visit | Rework | ExplainClose | Close | CloseWithoutVisit | Supervise
    | AnswerSupervision | Merge | Reclaim | Archive | BringInPeer
    | VisitAttempt | CoSign | SubmitReply | ReviewReply,
    Field(discriminator="action"),
]
