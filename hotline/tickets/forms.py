"""Action forms generated from the workflow table's payload models, and their parsing back.

Each allowed action (``workflow.allowed_actions``) becomes one form whose inputs are the
fields of the action's pydantic payload model; posted values are converted and validated by
that same model, so the page and the API accept exactly the same things.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ValidationError
from starlette.datastructures import FormData

from hotline.core.times import SHANGHAI
from hotline.tickets.models import RATING_LABELS, VISIT_METHOD_LABELS
from hotline.tickets.payloads import (
    NOT_ACCEPTED_LABELS,
    AnswerDirectly,
    Dispatch,
    EmergencyHandover,
    Merge,
    NotAccept,
    WarmTransfer,
)
from hotline.tickets.schemas import IntakeChoice
from hotline.tickets.workflow import Transition
from hotline.web.messages import zh_message

LABELS: dict[str, str] = {
    "answer": "解答内容", "kb_entries": "引用知识库条目（逗号分隔）", "target": "转接对象",
    "caller_consent": "来电人同意转接", "note": "备注", "reason_code": "不予受理依据",
    "reason": "理由", "referral": "可办理单位", "service": "移交", "caller_connected": "已转接来电人",
    "lead_unit_id": "牵头单位", "co_unit_ids": "协同单位", "category": "类别",
    "merged_ratings": "并单来电人回访（编号=评价，逗号分隔）",
    "due_at": "指定办结时间", "due_working_days": "办理时限（工作日）", "legal_basis": "法定时限依据",
    "to_unit_id": "转派至", "add_working_days": "延长工作日", "content": "内容",
    "contacted_caller": "已联系来电人", "rating": "评价", "comment": "来电人意见",
    "resolved": "问题已解决", "counts_for_satisfaction": "计入满意率", "explanation": "解释说明",
    "target_number": "合并到工单编号",
    "emergency_override": "紧急事项仍派发的理由（将报告主管）", "method": "回访方式",
    "outcome": "未果原因",
}
CHOICE_LABELS: dict[str, dict[str, str]] = {
    "reason_code": NOT_ACCEPTED_LABELS, "rating": RATING_LABELS,
    "service": {"110": "110 报警", "119": "119 火警", "120": "120 急救", "122": "122 交通事故"},
    "method": VISIT_METHOD_LABELS,
    "outcome": {"no_answer": "未接听", "busy": "占线", "refused": "拒绝回访", "wrong_number": "号码错误",
                "unreachable": "无法联系"},
}
#: Boxes the person ticks to state a fact; the form never ticks them in advance.
ATTESTATIONS = {"contacted_caller", "caller_consent", "caller_connected", "resolved"}
#: Reasons that must say something (a page form asks for at least this many characters).
MIN_REASON = {"return": 5, "reject_return": 5, "request_extension": 5, "deny_extension": 5}
#: Fields left out of the page forms (the API still accepts them).
HIDDEN = {"action", "version", "due_at", "legal_basis", "category"}


@dataclass
class Widget:
    name: str
    label: str
    kind: str  # text, textarea, number, checkbox, select, multiselect, datetime
    required: bool
    default: Any = None
    choices: list[tuple[str, str]] = field(default_factory=list)
    help: str | None = None


@dataclass
class ActionForm:
    action: str
    label: str
    rule: str
    widgets: list[Widget]
    danger: bool


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(inner type, is optional) of ``X | None``."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return (args[0] if len(args) == 1 else annotation), True
    return annotation, False


def _base(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def widgets_for(model: type[BaseModel], unit_choices: dict[str, list[tuple[str, str]]]) -> list[Widget]:
    out = []
    for name, info in model.model_fields.items():
        if name in HIDDEN:
            continue
        inner, _optional = _unwrap(_base(info.annotation))
        inner = _base(inner)
        required = info.is_required()
        default = None if info.default is None or required else info.default
        default = default.value if isinstance(default, Enum) else default
        label = LABELS.get(name, name)
        help_text = info.description
        if name in unit_choices:
            kind = "multiselect" if typing.get_origin(inner) is list else "select"
            out.append(Widget(name, label, kind, required, default, unit_choices[name], help_text))
            continue
        if inner is bool:
            # an attestation ("已联系来电人") is the handler's statement: never ticked for them
            start = False if name in ATTESTATIONS else default
            out.append(Widget(name, label, "checkbox", False, start, help=help_text))
        elif isinstance(inner, type) and issubclass(inner, Enum):
            labels = CHOICE_LABELS.get(name, {})
            out.append(Widget(name, label, "select", required, default,
                              [(m.value, labels.get(m.value, m.value)) for m in inner], help_text))
        elif typing.get_origin(inner) is Literal:
            labels = CHOICE_LABELS.get(name, {})
            out.append(Widget(name, label, "select", required, default,
                              [(str(v), labels.get(str(v), str(v))) for v in typing.get_args(inner)],
                              help_text))
        elif inner is int:
            out.append(Widget(name, label, "number", required, default, help=help_text))
        elif inner is datetime or inner is AwareDatetime:
            out.append(Widget(name, label, "datetime", required, default, help=help_text))
        elif typing.get_origin(inner) is list:
            out.append(Widget(name, label, "text", required, None, help=help_text))
        else:
            long = any(getattr(m, "max_length", 0) and m.max_length > 500 for m in info.metadata) or \
                any(getattr(m, "max_length", 0) and m.max_length > 500
                    for m in getattr(_base(info.annotation), "__metadata__", ()))
            out.append(Widget(name, label, "textarea" if long and name != "target" else "text",
                              required, default, help=help_text))
    return out


def action_forms(transitions: list[Transition],
                 unit_choices: dict[str, list[tuple[str, str]]]) -> list[ActionForm]:
    return [ActionForm(t.action, t.label, t.rule, widgets_for(t.payload, unit_choices), t.caution)
            for t in transitions]


P = TypeVar("P", bound=BaseModel)


def parse(model: type[P], form: FormData, version: int | None = None) -> P:
    """Posted form → validated payload (raises pydantic ValidationError)."""
    data: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name == "action":
            continue
        inner, _ = _unwrap(_base(info.annotation))
        inner = _base(inner)
        if inner is bool:
            if f"{name}__present" in form or name in form:
                data[name] = name in form and form.get(name) not in ("", "0", "false")
            continue
        if typing.get_origin(inner) is list:
            values = [v for v in form.getlist(name) if isinstance(v, str)]
            if (len(values) == 1 and "," in values[0]) or (values and name == "kb_entries"):
                values = [p.strip() for v in values for p in v.replace("，", ",").split(",")]
            values = [v for v in values if v.strip()]
            if values:
                data[name] = values
            continue
        raw = form.get(name)
        if not isinstance(raw, str) or raw.strip() == "":
            continue
        if inner is datetime or inner is AwareDatetime:
            try:  # a datetime-local field is Beijing time
                parsed = datetime.fromisoformat(raw)
                data[name] = parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)
            except ValueError:
                data[name] = raw  # pydantic reports it as a readable validation error
        else:
            data[name] = raw
    if version is not None and "version" in model.model_fields:
        data["version"] = version
    return model.model_validate(data)


def error_text(exc: ValidationError) -> str:
    parts = []
    for e in exc.errors()[:5]:
        loc = ".".join(str(p) for p in e.get("loc", ()))
        label = LABELS.get(loc, loc)
        field_name = str(e.get("loc", ("",))[-1]) if e.get("loc") else ""
        msg = zh_message(dict(e), CHOICE_LABELS.get(field_name))
        parts.append(f"{label}：{msg}" if label else msg)
    return "；".join(parts)


def console_decision(form: FormData, choice: str) -> IntakeChoice | None:
    """The agent console's decision buttons → the action payload registered with the call."""
    if choice.startswith("kb:"):  # one click on a knowledge hit: answer with that entry
        entry = choice.partition(":")[2]
        return AnswerDirectly.model_validate({
            "answer": str(form.get(f"kb_answer_{entry}") or form.get("answer") or ""),
            "kb_entries": [entry]})
    if choice.startswith("merge:"):  # 并单: one click on a similar ticket merges the call into it
        return Merge.model_validate({"target_number": choice.partition(":")[2].strip(),
                                     "reason": "受理时并单：同一地点同一事项"})
    if choice == "answer":
        return AnswerDirectly.model_validate({
            "answer": form.get("answer", ""),
            "kb_entries": [p.strip() for p in str(form.get("kb_entries", "")).replace("，", ",").split(",")
                           if p.strip()]})
    if choice == "not_accept":
        return NotAccept.model_validate({"reason_code": form.get("reason_code") or None,
                                         "reason": form.get("na_reason", ""),
                                         "referral": form.get("referral") or None})
    if choice.startswith("emergency"):
        service = choice.partition(":")[2] or str(form.get("service", ""))
        return EmergencyHandover.model_validate({
            "service": service, "reason": form.get("em_reason") or "涉及生命财产安全，立即移交"})
    if choice == "transfer":
        return WarmTransfer.model_validate({"target": form.get("target", ""),
                                            "caller_consent": "caller_consent" in form})
    if choice == "dispatch":
        lead = str(form.get("lead_unit_id") or "")
        co = {v for v in form.getlist("co_unit_ids") if isinstance(v, str) and v}
        for key in form:
            if key.startswith("role_"):
                uid, role = key[5:], form.get(key)
                if role == "lead" and not lead:
                    lead = uid
                elif role == "co":
                    co.add(uid)
        co.discard(lead)
        days = str(form.get("due_working_days") or "")
        return Dispatch.model_validate({
            "lead_unit_id": lead or None, "co_unit_ids": sorted(co),  # pydantic validates ids
            "category": form.get("category") or None, "due_working_days": days or None,
            "note": form.get("note") or None,
            # the console's "仍要派发的理由" when the safety check fired (CQ §10)
            "emergency_override": str(form.get("override_reason") or "").strip() or None})
    return None
