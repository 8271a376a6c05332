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

SCHEMA_VERSION: Literal[1] = 1
"""Bumped on any incompatible change; receivers refuse versions they do not know."""


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


TRANSFER_KINDS = frozenset({MessageKind.police_order, MessageKind.ticket_transfer})
FEEDBACK_KINDS = frozenset(MessageKind) - TRANSFER_KINDS

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

Channel = Literal["phone", "web", "app", "wechat", "110", "national", "other"]
Urgency = Literal["normal", "urgent", "very_urgent"]


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


class PoliceOrder(_Located):
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


class TicketTransfer(_Located):
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


class Accepted(_Feedback):
    peer_id: ExternalId = Field(description="the id the accepting side gave the matter (接警单号 …)")


class Dispatched(_Feedback):
    unit: ShortText = Field(description="the unit sent (派出所 / 承办单位)")


class OnSite(_Feedback):
    unit: ShortText = Field(description="the unit that arrived first")


class Result(_Feedback):
    result: Text = Field(description="处置结果")


class Closed(_Feedback):
    pass


class Rejected(_Feedback):
    reason: Text = Field(description="why it is not ours")
    suggested_handler: ShortText | None = Field(
        default=None, description="who should handle it, where known (SH 二(一)2 合理引导)"
    )


Payload = PoliceOrder | TicketTransfer | Accepted | Dispatched | OnSite | Result | Closed | Rejected

PAYLOAD_MODELS: dict[MessageKind, type[BaseModel]] = {
    MessageKind.police_order: PoliceOrder,
    MessageKind.ticket_transfer: TicketTransfer,
    MessageKind.accepted: Accepted,
    MessageKind.dispatched: Dispatched,
    MessageKind.on_site: OnSite,
    MessageKind.result: Result,
    MessageKind.closed: Closed,
    MessageKind.rejected: Rejected,
}


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

    schema_version: Literal[1] = SCHEMA_VERSION
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
    ) -> Envelope:
        """Build an envelope with a fresh id and the current UTC time unless given;
        raises ``MessageError`` like ``parse_envelope`` does."""
        return parse_envelope(
            {
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

    schema_version: Literal[1] = SCHEMA_VERSION
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
