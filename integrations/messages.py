"""The messages 12345 exchanges with 110 and the other peer hotlines (SH 二(二)1).

SH 二(二)1 asks for "规范工单和警单标准、受理反馈项目等数据格式" — agreed formats for tickets
(工单), police orders (警单) and acceptance feedback — so that 工单警单双向流转 and
受理反馈闭环运行 (the sender learns what became of a matter). Every message travels in one
``Envelope``; its ``message_id`` is the idempotency key a receiver deduplicates on, and its
``kind`` decides which payload model is allowed.

Validation is strict on purpose: an unknown field, a naive datetime or a malformed phone from
a peer is a contract break to be refused at the door (and logged), not guessed at later.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails, InitErrorDetails

SCHEMA_VERSION: Literal[2] = 2
"""The newest version this library speaks; receivers refuse versions they do not know.

Versions only ever *add* optional fields and new kinds (see ``since`` on each field and
``KIND_SINCE``), so a receiver accepts every version in ``SUPPORTED_VERSIONS``, and a sender
writes to each peer at the version the peer declares (``PeerConfig.schema_version``), leaving out
what that version does not know (``Envelope.for_version``)."""

SchemaVersion = Literal[1, 2]
SUPPORTED_VERSIONS: tuple[int, ...] = (1, 2)
SINCE_KEY = "x-since-version"
"""JSON Schema keyword on a property: the schema version that introduced the field."""


def since(version: int) -> dict[str, Any]:
    """``Field(json_schema_extra=since(2))``: this field exists from schema version 2 on."""
    return {SINCE_KEY: version}


class MessageKind(StrEnum):
    """What an envelope carries; decides the payload model."""

    police_order = "police_order"  # 警单: a 110 alarm record handed to another platform
    ticket_transfer = "ticket_transfer"  # 工单: a 12345 (or utility hotline) ticket handed over
    accepted = "accepted"  # 受理: the receiver took it, with its own id
    dispatched = "dispatched"  # 派警 / 派单: sent to a unit
    on_site = "on_site"  # 到场: first response on site
    result = "result"  # 处置结果
    closed = "closed"  # 办结 / 结警
    rejected = "rejected"  # 非本平台受理范围: not ours, with a reason
    # --- since schema version 2 ---
    visit_result = "visit_result"  # 回访结果: what the caller said at the return visit
    urge = "urge"  # 催办 / 督办: the sender presses the receiver on a matter it handed over
    cancel = "cancel"  # 撤单: the sender withdraws a matter it handed over
    supplement = "supplement"  # 补充信息: more about a matter already handed over


TRANSFER_KINDS = frozenset({MessageKind.police_order, MessageKind.ticket_transfer})
STATUS_KINDS = frozenset({MessageKind.accepted, MessageKind.dispatched, MessageKind.on_site,
                          MessageKind.result, MessageKind.closed, MessageKind.rejected})
"""Feedback that moves a linked matter's status (``status.apply_feedback``)."""
FEEDBACK_KINDS = STATUS_KINDS | {MessageKind.visit_result}
"""From the receiver of a transfer back to its sender; ``ref`` names the sender's matter."""
FOLLOW_UP_KINDS = frozenset({MessageKind.urge, MessageKind.cancel, MessageKind.supplement})
"""From the sender of a transfer to its receiver, about that matter: the envelope's
``correlation_id`` is the same as the transfer's."""

KIND_SINCE: dict[MessageKind, int] = {
    **{k: 1 for k in TRANSFER_KINDS | STATUS_KINDS},
    **{k: 2 for k in FOLLOW_UP_KINDS | {MessageKind.visit_result}},
}
"""The schema version that introduced each kind; an older peer is never sent a newer kind."""

# --- reusable field types -------------------------------------------------------------------

PeerCode = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z_-]{2,32}$")]
"""A platform's code: ``12345``, ``110``, ``119``, ``120``, ``122``, ``95598``, ``gas``…"""

Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9-]{2,19}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
ExternalId = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9A-Za-z][0-9A-Za-z_.:/-]{0,63}$")
]
"""An id on some platform's side (ticket number ``20250615-000123``, alarm number ``J310115…``)."""

RequestType = Literal["咨询", "求助", "投诉", "举报", "建议", "表扬"]
"""The six request types of 12345 intake (CQ §11); kept in Chinese because both sides use them."""

Code = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9A-Za-z][0-9A-Za-z_.-]{0,31}$")]
"""A code from some shared code table (unit code, officer number, closure code …)."""
DistrictCode = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
"""行政区划代码 of a district / county (GB/T 2260, 6 digits)."""
StreetCode = Annotated[str, StringConstraints(pattern=r"^\d{9}(\d{3})?$")]
"""乡镇街道代码 (9 digits, or the 12-digit statistical code)."""

Channel = Literal["phone", "web", "app", "wechat", "110", "national", "other"]
Urgency = Literal["normal", "urgent", "very_urgent"]
Satisfaction = Literal["satisfied", "basically_satisfied", "dissatisfied"]
"""回访评价: 满意 / 基本满意 / 不满意."""
UrgeLevel = Literal["催办", "督办"]


class _Strict(BaseModel):
    """Shared config: unknown fields are a contract break; values are immutable once parsed."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class _Located(_Strict):
    """An address with an optional point; a point needs both coordinates or neither."""

    latitude: float | None = Field(default=None, ge=-90, le=90, description="纬度 (WGS-84)")
    longitude: float | None = Field(default=None, ge=-180, le=180, description="经度 (WGS-84)")

    @model_validator(mode="after")
    def _both_or_neither(self) -> Self:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude must be given together")
        return self


# --- transfers ------------------------------------------------------------------------------


class _Transfer(_Located):
    """Fields both transfer kinds carry since version 2."""

    received_by: Name | None = Field(default=None, description="接警员 / 受理人 (name or staff number)",
                                     json_schema_extra=since(2))
    incident_time: AwareDatetime | None = Field(default=None, description="案发时间, where known",
                                                json_schema_extra=since(2))


class PoliceOrder(_Transfer):
    """警单: a 110 alarm record, with the fields a 110 接处警 system keeps for every call.

    110 sends one to 12345 when a call is a non-police matter (SH 二(一)2 "市110平台接到明确属于
    12345受理范围的……非紧急求助事项，应及时转交市12345平台受理").
    """

    alarm_number: ExternalId = Field(description="接警单号")
    call_time: AwareDatetime = Field(description="报警时间")
    caller_name: Name | None = Field(default=None, description="报警人姓名 (may be anonymous)")
    caller_phone: Phone = Field(description="报警电话")
    address: ShortText = Field(description="案发地址")
    content: Text = Field(description="报警内容")
    category_code: Annotated[str, StringConstraints(pattern=r"^\d{6}$")] = Field(
        description="警情类别代码 (6 digits)"
    )
    level: int = Field(ge=1, le=4, description="警情级别: 1 most serious … 4 least")
    jurisdiction_code: Annotated[str, StringConstraints(pattern=r"^\d{12}$")] = Field(
        description="管辖单位代码 (12-digit public-security organ code)"
    )
    request_type: RequestType | None = Field(default=None, description="诉求类型 (12345's six types)",
                                             json_schema_extra=since(2))


class TicketTransfer(_Transfer):
    """工单 handed to a peer: a 12345 ticket in 110's scope (SH 二(一)2 "应及时转交市110平台第一时间
    派警处置"), or a matter another hotline hands to 12345."""

    ticket_number: ExternalId = Field(description="工单编号 on the sender's side")
    channel: Channel = Field(description="how the sender received it")
    request_type: RequestType
    category: ShortText
    content: Text
    address: ShortText | None = None
    caller_name: Name | None = None
    caller_phone: Phone
    registered_at: AwareDatetime = Field(description="登记时间 on the sender's side")
    transfer_reason: ShortText = Field(description="转办原因: why the receiver should handle it")
    urgency: Urgency = Field(default="normal", description="the sender's urgency")
    district_code: DistrictCode | None = Field(default=None, description="区县行政区划代码",
                                               json_schema_extra=since(2))
    street_code: StreetCode | None = Field(default=None, description="乡镇街道代码",
                                           json_schema_extra=since(2))
    category_code: Code | None = Field(default=None, description="共用分类代码 (the agreed category table)",
                                       json_schema_extra=since(2))
    deadline: AwareDatetime | None = Field(default=None, description="12345 办理时限 (due date)",
                                           json_schema_extra=since(2))


# --- feedback (受理反馈, SH 二(二)1 "受理反馈闭环运行") --------------------------------------------


class _Feedback(_Strict):
    """Common to every status callback.

    ``ref`` names the matter on the *receiver's* side of this feedback (the correlation id of
    the transfer it answers) so the receiver finds its ticket without a lookup table; ``seq``
    grows by one per callback about one matter so that out-of-order arrivals can be ordered.
    """

    ref: ExternalId = Field(description="the id the original sender gave the matter")
    seq: int = Field(ge=1, description="callback sequence number per matter, from 1")
    occurred_at: AwareDatetime
    note: Text | None = None
    officer: Name | None = Field(default=None, description="处警民警 / 承办人",
                                 json_schema_extra=since(2))
    officer_code: Code | None = Field(default=None, description="警号 / 承办人工号",
                                      json_schema_extra=since(2))
    unit_code: Code | None = Field(default=None, description="处警 / 承办单位代码",
                                   json_schema_extra=since(2))
    case_number: ExternalId | None = Field(default=None, description="案件编号",
                                           json_schema_extra=since(2))


class Accepted(_Feedback):
    peer_id: ExternalId = Field(description="the id the accepting side gave the matter (接警单号 …)")


class Dispatched(_Feedback):
    unit: ShortText = Field(description="the unit sent (派出所 / 承办单位)")


class OnSite(_Feedback):
    unit: ShortText = Field(description="the unit that arrived first")


class Result(_Feedback):
    result: Text = Field(description="处置结果")
    result_category: ShortText | None = Field(default=None, description="处置结果类别",
                                              json_schema_extra=since(2))


class Closed(_Feedback):
    result_category: ShortText | None = Field(default=None, description="处置结果类别",
                                              json_schema_extra=since(2))
    closure_code: Code | None = Field(default=None, description="结案 / 结警代码",
                                      json_schema_extra=since(2))


class Rejected(_Feedback):
    reason: Text = Field(description="why it is not ours")
    suggested_handler: ShortText | None = Field(
        default=None, description="who should handle it, where known (SH 二(一)2 合理引导)"
    )


class VisitResult(_Feedback):
    """回访结果 (v2): what the caller told the receiver's return visit, back to the sender."""

    satisfaction: Satisfaction = Field(
        description="回访评价: satisfied 满意 / basically_satisfied 基本满意 / dissatisfied 不满意")
    solved: bool | None = Field(default=None, description="来电人认为问题是否已解决")
    comment: Text | None = Field(default=None, description="回访意见")


# --- follow-ups: the sender of a transfer about that matter (v2) ----------------------------


class _FollowUp(_Strict):
    """Common to the messages a transfer's sender sends later about the same matter.

    The envelope's ``correlation_id`` is the transfer's (the sender's id); ``peer_ref`` repeats
    the receiver's own id from its ack where known, so either side can find the matter.
    """

    peer_ref: ExternalId | None = Field(default=None, description="the receiver's id for the matter")
    seq: int = Field(ge=1, description="follow-up sequence number per matter, from 1")
    occurred_at: AwareDatetime
    note: Text | None = None


class Urge(_FollowUp):
    """催办 / 督办: the matter is overdue or at risk on the receiver's side."""

    urge_level: UrgeLevel = Field(description="催办 (press) or 督办 (formal supervision)")
    reason: Text = Field(description="why: overdue, caller called again …")
    due_at: AwareDatetime | None = Field(default=None, description="answer expected by")


class Cancel(_FollowUp):
    """撤单: the sender withdraws the matter (e.g. it took it back to handle itself)."""

    reason: Text = Field(description="撤单原因")


class Supplement(_FollowUp):
    """补充信息: more the sender learnt about the matter after handing it over."""

    content: Text = Field(description="补充内容")
    address: ShortText | None = Field(default=None, description="更正或补充的地址")
    caller_phone: Phone | None = Field(default=None, description="补充的联系电话")


Payload = (PoliceOrder | TicketTransfer | Accepted | Dispatched | OnSite | Result | Closed | Rejected
           | VisitResult | Urge | Cancel | Supplement)

PAYLOAD_MODELS: dict[MessageKind, type[BaseModel]] = {
    MessageKind.police_order: PoliceOrder,
    MessageKind.ticket_transfer: TicketTransfer,
    MessageKind.accepted: Accepted,
    MessageKind.dispatched: Dispatched,
    MessageKind.on_site: OnSite,
    MessageKind.result: Result,
    MessageKind.closed: Closed,
    MessageKind.rejected: Rejected,
    MessageKind.visit_result: VisitResult,
    MessageKind.urge: Urge,
    MessageKind.cancel: Cancel,
    MessageKind.supplement: Supplement,
}


FIELD_LABELS: dict[str, str] = {
    # transfers
    "alarm_number": "接警单号", "call_time": "报警时间", "caller_name": "报警/来电人姓名",
    "caller_phone": "报警/来电电话", "address": "地址", "content": "内容",
    "category_code": "分类代码", "level": "警情级别", "jurisdiction_code": "管辖单位代码",
    "latitude": "纬度", "longitude": "经度", "ticket_number": "工单编号", "channel": "受理渠道",
    "request_type": "诉求类型", "category": "分类", "registered_at": "登记时间",
    "transfer_reason": "转办原因", "urgency": "紧急程度", "received_by": "接警员/受理人",
    "incident_time": "案发时间", "district_code": "区县代码", "street_code": "街道代码",
    "deadline": "办理时限",
    # feedback
    "ref": "对应事项", "seq": "序号", "occurred_at": "发生时间", "note": "备注",
    "peer_id": "对方编号", "unit": "单位", "result": "处置结果", "reason": "原因",
    "suggested_handler": "建议承办方", "officer": "处警民警/承办人", "officer_code": "警号/工号",
    "unit_code": "单位代码", "case_number": "案件编号", "result_category": "处置结果类别",
    "closure_code": "结案/结警代码", "satisfaction": "回访评价", "solved": "是否解决",
    "comment": "回访意见",
    # follow-ups
    "peer_ref": "对方编号", "urge_level": "催办/督办", "due_at": "要求答复时间",
}
"""Chinese names of the payload fields, for showing a peer's record on a ticket (a test keeps it
complete)."""

KIND_LABELS: dict[MessageKind, str] = {
    MessageKind.police_order: "警单", MessageKind.ticket_transfer: "工单",
    MessageKind.accepted: "受理", MessageKind.dispatched: "派警/派单", MessageKind.on_site: "到场",
    MessageKind.result: "处置结果", MessageKind.closed: "办结/结警", MessageKind.rejected: "退回",
    MessageKind.visit_result: "回访结果", MessageKind.urge: "催办/督办", MessageKind.cancel: "撤单",
    MessageKind.supplement: "补充信息",
}


def field_since(model: type[BaseModel], name: str) -> int:
    """The schema version that introduced ``name`` on ``model`` (1 unless marked ``since``)."""
    extra = model.model_fields[name].json_schema_extra
    return int(extra.get(SINCE_KEY, 1)) if isinstance(extra, dict) else 1  # type: ignore[arg-type]


def fields_since(model: type[BaseModel], version: int) -> frozenset[str]:
    """The fields of ``model`` a peer at ``version`` knows."""
    return frozenset(n for n in model.model_fields if field_since(model, n) <= version)


class VersionError(ValueError):
    """A message that a peer at the given schema version cannot receive (a newer kind)."""


def _under_payload(error: ErrorDetails) -> InitErrorDetails:
    """A payload model's validation error, re-rooted under the envelope's ``payload`` field."""
    details = InitErrorDetails(type=error["type"], loc=("payload", *error["loc"]), input=error["input"])
    if "ctx" in error:
        details["ctx"] = error["ctx"]
    return details


class Envelope(_Strict):
    """One message between two platforms.

    ``correlation_id`` is the matter's id on the *sender's* side (our ticket number when we
    send, the 接警单号 when 110 sends), so every message about one matter can be traced
    (SH 二(二)2 "可查、可看、可追溯").
    """

    schema_version: SchemaVersion = SCHEMA_VERSION
    message_id: uuid.UUID = Field(description="unique per message; the idempotency key")
    kind: MessageKind
    sender: PeerCode
    sent_at: AwareDatetime
    correlation_id: ExternalId
    payload: Payload

    @model_validator(mode="before")
    @classmethod
    def _payload_by_kind(cls, data: Any) -> Any:
        """Validate the payload with the model its kind names, so errors point at the right
        fields instead of listing eight failed union members."""
        if not isinstance(data, dict):
            return data
        kind, payload = data.get("kind"), data.get("payload")
        try:
            model = PAYLOAD_MODELS[MessageKind(str(kind))]
        except (ValueError, TypeError):
            return data  # the kind field's own error will report it
        if isinstance(payload, dict):
            try:
                data = {**data, "payload": model.model_validate(payload)}
            except ValidationError as exc:
                raise ValidationError.from_exception_data(
                    cls.__name__,
                    [_under_payload(e) for e in exc.errors(include_url=False)],
                ) from None
        elif isinstance(payload, BaseModel) and not isinstance(payload, model):
            got, need = type(payload).__name__, model.__name__
            raise ValueError(f"payload is a {got}, kind {MessageKind(str(kind)).value!r} needs {need}")
        return data

    @model_validator(mode="after")
    def _known_at_version(self) -> Self:
        """A v1 envelope carries v1 kinds and fields only: a sender that says "1" and sends
        more has broken the contract it declared."""
        if KIND_SINCE[self.kind] > self.schema_version:
            raise ValueError(f"kind {self.kind.value!r} needs schema_version {KIND_SINCE[self.kind]}, "
                             f"got {self.schema_version}")
        model = type(self.payload)
        newer = sorted(n for n in self.payload.model_fields_set
                       if field_since(model, n) > self.schema_version
                       and getattr(self.payload, n) is not None)
        if newer:
            raise ValueError(f"payload fields {newer} need a newer schema_version than "
                             f"{self.schema_version}")
        return self

    def document(self, version: int | None = None) -> dict[str, Any]:
        """This envelope as JSON for a peer at ``version`` (default: its own): fields that
        version does not know left out altogether (a strict v1 receiver refuses even a ``null``
        in an unknown field); raises ``VersionError`` when the kind itself is newer.

        The ``message_id`` stays the same, so a peer upgraded between two tries still
        deduplicates."""
        version = self.schema_version if version is None else version
        if version not in SUPPORTED_VERSIONS:
            raise VersionError(f"schema_version {version} is not one of {SUPPORTED_VERSIONS}")
        if KIND_SINCE[self.kind] > version:
            raise VersionError(f"kind {self.kind.value!r} needs schema_version "
                               f"{KIND_SINCE[self.kind]}; the peer speaks {version}")
        doc = self.model_dump(mode="json")
        keep = fields_since(type(self.payload), version)
        doc["payload"] = {k: v for k, v in doc["payload"].items() if k in keep}
        doc["schema_version"] = min(version, self.schema_version)
        return doc

    def for_version(self, version: int) -> Envelope:
        """This envelope as a peer at ``version`` receives it (see ``document``), parsed back."""
        return parse_envelope(self.document(version))

    @classmethod
    def new(
        cls,
        kind: MessageKind | str,
        *,
        sender: str,
        correlation_id: str,
        payload: BaseModel | dict[str, Any],
        sent_at: datetime | None = None,
        message_id: uuid.UUID | None = None,
        schema_version: int = SCHEMA_VERSION,
    ) -> Envelope:
        """Build an envelope with a fresh id and the current UTC time unless given, at the newest
        schema version unless told; raises ``MessageError`` like ``parse_envelope`` does."""
        return parse_envelope(
            {
                "schema_version": schema_version,
                "message_id": message_id or uuid.uuid4(),
                "kind": MessageKind(kind),
                "sender": sender,
                "sent_at": sent_at or datetime.now(UTC),
                "correlation_id": correlation_id,
                "payload": payload,
            }
        )


class Ack(_Strict):
    """The synchronous answer to a delivered envelope: the receiver's own id for the matter.

    A duplicate delivery gets the very same ack again (with the ``Idempotent-Replayed: true``
    header), so a sender that lost the first answer still learns the peer's id.
    """

    schema_version: SchemaVersion = SCHEMA_VERSION
    message_id: uuid.UUID = Field(description="the envelope this answers")
    peer_id: ExternalId | None = Field(default=None, description="the receiver's id for the matter")
    received_at: AwareDatetime


class MessageError(ValueError):
    """A message that does not meet the contract; ``errors`` lists each problem readably."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def describe_errors(exc: ValidationError) -> list[str]:
    """One readable ``field.path: message`` line per problem (no pydantic URLs or reprs)."""
    out = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-"))
        out.append(f"{where or '(message)'}: {err['msg']}")
    return out


def parse_envelope(data: bytes | str | dict[str, Any]) -> Envelope:
    """Parse an envelope from JSON or a dict; raise ``MessageError`` with one line per problem."""
    try:
        if isinstance(data, dict):
            return Envelope.model_validate(data)
        return Envelope.model_validate_json(data)
    except ValidationError as exc:
        raise MessageError(describe_errors(exc)) from exc
