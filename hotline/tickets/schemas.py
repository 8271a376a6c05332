"""Request and response shapes of the API, beside (not inside) the table models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from hotline.core.phones import normalise_phone as normalise_phone
from hotline.intake.request_types import RequestType
from hotline.tickets.models import Channel
from hotline.tickets.payloads import (
    AnswerDirectly,
    Dispatch,
    EmergencyHandover,
    Merge,
    NotAccept,
    WarmTransfer,
)

#: The decisions an agent can make while registering a call (CQ §9, §10, §12), and 并单: the
#: call registered and merged into a ticket on the same matter, its caller following that one.
IntakeChoice = AnswerDirectly | WarmTransfer | NotAccept | EmergencyHandover | Dispatch | Merge
IntakeDecision = Annotated[IntakeChoice, Field(discriminator="action")]


class TicketCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    channel: Channel = Channel.phone
    caller_name: str | None = Field(default=None, max_length=64)
    # Declared before the number, so the number's validator sees it.
    caller_phone_withheld: bool = Field(
        default=False, description="来电人隐藏号码：不存号码，登记时给来电人一个查询码 (CQ §11)")
    caller_phone: str | None = Field(default=None, max_length=32, validate_default=True,
                                     description="来电号码；隐藏号码时不填并标记 withheld")
    request_type: RequestType
    category: str | None = Field(default=None, max_length=200, description="类别路径，如 城乡建设/物业管理")
    content: str = Field(min_length=1, description="诉求内容；长度上限见 HOTLINE_CONTENT_MAX_CHARS")
    address: str | None = Field(default=None, max_length=300)
    urgency: Literal["normal", "urgent", "very_urgent"] = "normal"
    decision: IntakeDecision | None = Field(
        default=None, description=("登记同时做出的处置决定（直接解答、转接、不予受理、应急移交、派发，"
                     "或并单：merge 并入 target_number 所指仍在办理的工单）")
    )

    @field_validator("caller_phone")
    @classmethod
    def _phone(cls, v: str | None, info: ValidationInfo) -> str | None:
        withheld = bool(info.data.get("caller_phone_withheld"))
        if withheld and v:
            raise ValueError("已标记隐藏号码，不应再填写来电号码")
        if not withheld and not v:
            raise ValueError("请填写来电号码；来电人隐藏号码时请标记 caller_phone_withheld")
        return normalise_phone(v) if v else None


class UnitRef(BaseModel):
    id: int
    name: str
    kind: str


class ClockPublic(BaseModel):
    name: str
    label: str
    started_at: datetime
    due: datetime
    at_risk_at: datetime
    stopped_at: datetime | None
    state: str
    warning: str
    remaining_working_days: int
    overdue_working_days: int
    elapsed_hours: float
    remaining_hours: float
    display: str = Field(description="剩余 2 个工作日 / 已超期 1 个工作日")
    provisional: bool
    warnings: list[str] = []


class EventPublic(BaseModel):
    seq: int
    action: str
    label: str
    from_status: str | None
    to_status: str | None
    actor: str | None
    actor_unit: str | None
    reason: str | None
    payload: dict[str, Any]
    at: datetime


class TicketSummary(BaseModel):
    number: str
    status: str
    status_label: str
    channel: str
    request_type: str
    category: str | None
    content: str
    address: str | None
    urgency: str
    caller_name: str | None
    caller_phone: str
    lead_unit: UnitRef | None
    holder_unit: UnitRef | None
    created_at: datetime
    dispatched_at: datetime | None
    close_due_at: datetime | None
    next_due_at: datetime | None
    warning: str
    sla_provisional: bool
    version: int
    caller_phone_withheld: bool = False
    #: For the agent to tell a caller whose number was withheld (CQ §11); hotline side only.
    lookup_code: str | None = None
    #: An extension request waits for a decision: lists show a badge (its clock may change).
    extension_pending: bool = False


class CallerWait(BaseModel):
    """The caller's whole wait, across every re-dispatch (CQ §13(一)(二); docs/DEADLINES.md).

    A re-dispatch gives the new unit fresh clocks; the caller's wait does not restart, so it is
    shown beside them: from registration to the reply (or now), with the first deadline the
    caller was given."""

    registered_at: datetime
    ended_at: datetime | None = Field(description="答复来电人的时间；仍在等待为空")
    working_days: int = Field(description="来电人已等待的工作日数（登记当日不计）")
    dispatches: int = Field(description="派发次数（含重新派发）")
    first_close_due_at: datetime | None = Field(description="首次派发时的办结时限")
    past_first_due: bool


class TicketDetail(TicketSummary):
    co_units: list[UnitRef]
    reply_content: str | None
    decision: dict[str, Any] | None
    merged_into: str | None
    #: Callers whose duplicate tickets were merged into this one: told and visited with it (并单).
    merged_from: list[str] = []
    rework_count: int
    caller_wait: CallerWait
    clocks: list[ClockPublic]
    events: list[EventPublic]
    extensions: list[dict[str, Any]]
    returns: list[dict[str, Any]]
    visits: list[dict[str, Any]]
    supervision_orders: list[dict[str, Any]]
    allowed_actions: list[str]


class TicketPage(BaseModel):
    items: list[TicketSummary]
    total: int
    page: int
    page_size: int


class ActionInfo(BaseModel):
    action: str
    label: str
    rule: str
    next_states: list[str]
    schema_: dict[str, Any] = Field(alias="schema")

    model_config = ConfigDict(populate_by_name=True)


class PublicProgress(BaseModel):
    """What a caller may learn by number + last 4 digits (CQ §11): nothing personal."""

    number: str
    status: str
    status_label: str
    request_type: str
    registered_at: datetime
    handling_unit: str | None
    due: datetime | None
    steps: list[dict[str, Any]]
    reply: str | None
    #: A merged caller's lookup follows this ticket (并单): its status, unit, deadline, reply.
    merged_into: str | None = None
