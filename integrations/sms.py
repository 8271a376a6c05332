"""Telling callers by SMS: the gateway contract, the templates, which numbers can take an SMS,
quiet hours, and one send with one plain decision (CQ §13(三), §16).

The contract is the one Chinese SMS providers share: a message names a registered *template*
(its id, its Chinese text lives with the provider), a registered *signature* (签名, shown as
【…】), the template's *parameters*, the phone number and our own ``out_id``; the gateway answers
with its *message id* (BizId) when it accepts the message, and later reports a *delivery
receipt* (delivered or failed, with the operator's error code) to a callback URL.

Pure plus httpx, like the 110 bridge: nothing here knows the database or imports ``hotline``.
Requests and receipts are signed with ``integrations.signing`` (HMAC over timestamp + body), and
``out_id`` travels as the Idempotency-Key, so a retried send after a lost answer is delivered
to the handset once (the gateway answers a repeat with the first message id).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as dtime
from enum import StrEnum
from string import Template
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from integrations.signing import REPLAYED_HEADER, sign

SEND_PATH = "/sms/send"
"""Where the gateway takes messages (relative to its base URL)."""

# ---------------------------------------------------------------------------------------------
# Templates: registered with the provider; we send only the id and the parameters.
# ---------------------------------------------------------------------------------------------
TEMPLATES: dict[str, str] = {
    "HOTLINE_REGISTERED":
        "您反映的诉求已登记，工单编号${number}。可凭编号和手机号后四位在${lookup}查询办理进度。",
    "HOTLINE_EXTENDED": "您的工单${number}经批准延期，新的办理期限为${deadline}。目前进展：${progress}。",
    "HOTLINE_REPLIED": "您的工单${number}已由${unit}答复：${reply}。详情可在${lookup}查询，稍后将回访。",
    "HOTLINE_MERGED":
        "您反映的诉求（工单${number}）与工单${target}为同一事项，已合并办理，可凭原编号查询进展。",
}
"""Template id → text (``${param}`` placeholders), as registered with the provider."""

PARAM_MAX = 60
"""Providers cap each variable's length; longer values are cut with an ellipsis."""


def template_params(template_id: str) -> set[str]:
    """The parameter names a template needs."""
    return {m.group(1) for m in re.finditer(r"\$\{(\w+)\}", TEMPLATES[template_id])}


def clip(value: str, limit: int = PARAM_MAX) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def render(template_id: str, params: dict[str, str], sign_name: str) -> str:
    """The text the handset shows: 【签名】 + the filled template (what the gateway does)."""
    missing = template_params(template_id) - set(params)
    if missing:
        raise KeyError(f"template {template_id} misses parameters {sorted(missing)}")
    return f"【{sign_name}】" + Template(TEMPLATES[template_id]).substitute(params)


# ---------------------------------------------------------------------------------------------
# Which numbers can take an SMS
# ---------------------------------------------------------------------------------------------
class NumberKind(StrEnum):
    mobile = "mobile"  # a mainland mobile number: an SMS can go
    landline = "landline"  # a fixed line: no SMS, tell the caller by phone
    withheld = "withheld"  # no number (隐藏号码, or a placeholder): nobody to send to


_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{9,11}$|^[2-8]\d{6,7}$")
_LANDLINE_EXT = re.compile(r"^0\d{2,3}-\d{7,8}(-\d{1,6})?$")  # 023-63001234(-801)


def classify_number(phone: str | None) -> NumberKind:
    """Mobile, landline or withheld, from the number as the hotline recorded it.

    Separators and a +86/0086/86 prefix are ignored. Anything that is neither a mainland mobile
    number nor a plausible landline (empty, "12345", letters, all zeros) counts as withheld.
    """
    digits = re.sub(r"[\s()（）]", "", phone or "")
    for prefix in ("+86", "0086"):
        digits = digits.removeprefix(prefix)
    if _LANDLINE_EXT.match(digits):
        return NumberKind.landline
    digits = digits.replace("-", "")
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if not digits.isdigit() or set(digits) == {"0"}:
        return NumberKind.withheld
    if _MOBILE.match(digits):
        return NumberKind.mobile
    if _LANDLINE.match(digits):
        return NumberKind.landline
    return NumberKind.withheld


def normalise_mobile(phone: str) -> str:
    """The 11 digits of a mobile number (after ``classify_number`` said mobile)."""
    digits = re.sub(r"\D", "", phone)
    return digits[-11:]


# ---------------------------------------------------------------------------------------------
# Quiet hours
# ---------------------------------------------------------------------------------------------
def parse_clock(value: str) -> dtime:
    """``"21:00"`` → time(21, 0); a clear ValueError otherwise."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError(f"not a clock time HH:MM: {value!r}")
    return dtime(int(match.group(1)), int(match.group(2)))


def quiet_until(local_now: datetime, start: dtime, end: dtime) -> datetime | None:
    """When quiet hours that hold at ``local_now`` end, or None if sending is allowed now.

    ``local_now`` is aware and in the callers' time zone; quiet hours may wrap midnight
    (21:00–08:00). ``start == end`` means no quiet hours.
    """
    if start == end:
        return None
    t = local_now.timetz().replace(tzinfo=None)
    if start < end:
        quiet = start <= t < end
        day = local_now.date()
    else:
        quiet = t >= start or t < end
        day = local_now.date() + timedelta(days=1) if t >= start else local_now.date()
    if not quiet:
        return None
    return datetime.combine(day, end, tzinfo=local_now.tzinfo)


# ---------------------------------------------------------------------------------------------
# The wire: one message, the gateway's answer, delivery receipts
# ---------------------------------------------------------------------------------------------
class SmsRequest(BaseModel):
    """One message as the gateway takes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    phone_number: str = Field(pattern=r"^1[3-9]\d{9}$")
    sign_name: str = Field(min_length=2, max_length=12)
    template_code: str = Field(min_length=1, max_length=64)
    template_param: dict[str, str] = Field(default_factory=dict)
    out_id: str = Field(min_length=1, max_length=64, description="ours; the idempotency key")


class SmsAnswer(BaseModel):
    """The gateway's answer: ``code == "OK"`` and a ``biz_id`` when it accepted the message."""

    model_config = ConfigDict(extra="ignore")

    code: str
    message: str = ""
    biz_id: str | None = None
    out_id: str | None = None


class ReceiptStatus(StrEnum):
    delivered = "DELIVERED"
    failed = "FAILED"


class Receipt(BaseModel):
    """A delivery report: did the message reach the handset (状态报告)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    biz_id: str = Field(min_length=1, max_length=64)
    out_id: str | None = Field(default=None, max_length=64)
    phone_number: str = Field(max_length=20)
    status: ReceiptStatus
    err_code: str | None = Field(default=None, max_length=32)
    err_msg: str | None = Field(default=None, max_length=200)
    reported_at: datetime


class ReceiptBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    receipts: list[Receipt] = Field(min_length=1, max_length=500)


def parse_receipts(body: bytes) -> list[Receipt]:
    """The receipts in a callback body; ValueError with the reasons if it is not one."""
    try:
        return ReceiptBatch.model_validate_json(body).receipts
    except ValidationError as exc:
        raise ValueError(str(exc)) from exc


class SmsStatus(StrEnum):
    accepted = "accepted"  # the gateway took it and gave its message id
    retryable = "retryable"  # down, throttled, network trouble: try again later
    rejected = "rejected"  # refused for good (bad template, blacklisted number…): a person looks


@dataclass(frozen=True)
class SmsResult:
    status: SmsStatus
    biz_id: str | None = None
    http_status: int | None = None
    code: str | None = None
    error: str | None = None
    replayed: bool = False
    retry_after: timedelta | None = None
    elapsed_ms: float = 0.0


#: Gateway codes that say "not now" rather than "never" (flow control, busy).
RETRYABLE_CODES = frozenset({"isv.BUSINESS_LIMIT_CONTROL", "SERVICE_UNAVAILABLE", "THROTTLED"})


def classify_answer(response: httpx.Response) -> SmsResult:
    """One HTTP exchange → one decision (pure: testable on a built response)."""
    code = response.status_code
    if code == 429 or code >= 500 or code in (408, 425):
        after = response.headers.get("Retry-After", "").strip()
        return SmsResult(SmsStatus.retryable, http_status=code, error=f"HTTP {code}",
                         retry_after=timedelta(seconds=int(after)) if after.isdigit() else None)
    try:
        answer = SmsAnswer.model_validate(json.loads(response.content))
    except (ValueError, ValidationError) as exc:
        status = SmsStatus.retryable if 200 <= code < 300 else SmsStatus.rejected
        return SmsResult(status, http_status=code, error=f"unreadable answer: {str(exc)[:200]}")
    replayed = response.headers.get(REPLAYED_HEADER, "").lower() == "true"
    if answer.code == "OK" and answer.biz_id:
        return SmsResult(SmsStatus.accepted, answer.biz_id, code, answer.code, replayed=replayed)
    status = SmsStatus.retryable if answer.code in RETRYABLE_CODES else SmsStatus.rejected
    return SmsResult(status, None, code, answer.code, error=f"{answer.code}: {answer.message}"[:300])


@dataclass(frozen=True)
class GatewayConfig:
    base_url: str
    secret: str  # what we sign our requests with (the account's key)
    account: str = "12345"
    timeout_s: float = 5.0


def send_sms(gateway: GatewayConfig, request: SmsRequest, *, client: httpx.Client,
             now: datetime) -> SmsResult:
    """POST one message, signed, ``out_id`` as the Idempotency-Key; never retries by itself
    (retries belong to the caller's durable outbox)."""
    body = request.model_dump_json().encode()
    headers = sign(gateway.secret, body, now, peer=gateway.account, idempotency_key=request.out_id)
    headers["Content-Type"] = "application/json; charset=utf-8"
    started = time.perf_counter()

    def took() -> float:
        return round((time.perf_counter() - started) * 1000, 1)

    url = gateway.base_url.rstrip("/") + SEND_PATH
    try:
        response = client.post(url, content=body, headers=headers,
                               timeout=httpx.Timeout(gateway.timeout_s, connect=min(3.0, gateway.timeout_s)))
    except httpx.UnsupportedProtocol as exc:
        return SmsResult(SmsStatus.rejected, error=f"bad gateway URL: {exc}", elapsed_ms=took())
    except httpx.TransportError as exc:  # timeouts included
        return SmsResult(SmsStatus.retryable, error=f"network ({type(exc).__name__}): {exc}",
                         elapsed_ms=took())
    result = classify_answer(response)
    return SmsResult(**{**result.__dict__, "elapsed_ms": took()})


def receipt_body(receipts: list[Receipt]) -> bytes:
    """A receipt callback's body (what the gateway posts; the simulator uses it)."""
    return ReceiptBatch(receipts=receipts).model_dump_json().encode()


def answer_body(answer: SmsAnswer) -> dict[str, Any]:
    return answer.model_dump(mode="json")

