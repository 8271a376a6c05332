"""Validation errors in the words a zh-CN user reads: pydantic's messages are English ("Input
should be 'litigation', …", "Value error, …"), so each error type gets its Chinese sentence,
with the limits from the error's context; our own validators already raise Chinese text, which
is kept once pydantic's "Value error, " prefix is removed."""

from __future__ import annotations

from typing import Any

_BY_TYPE: dict[str, str] = {
    "missing": "必填",
    "string_too_short": "不能为空",
    "string_too_long": "不能超过 {max_length} 个字",
    "string_type": "须为文字",
    "string_pattern_mismatch": "格式不正确",
    "int_parsing": "须为整数",
    "int_type": "须为整数",
    "int_from_float": "须为整数",
    "float_parsing": "须为数字",
    "greater_than": "须大于 {gt}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than": "须小于 {lt}",
    "less_than_equal": "不能大于 {le}",
    "bool_parsing": "须为“是”或“否”",
    "datetime_parsing": "日期时间格式不正确",
    "datetime_from_date_parsing": "日期时间格式不正确",
    "datetime_type": "日期时间格式不正确",
    "date_parsing": "日期格式不正确",
    "date_from_datetime_parsing": "日期格式不正确",
    "timezone_aware": "须带时区",
    "too_long": "最多 {max_length} 项",
    "too_short": "至少 {min_length} 项",
    "list_type": "须为列表",
    "extra_forbidden": "不接受此字段",
    "union_tag_invalid": "处置方式无效",
    "union_tag_not_found": "缺少处置方式",
}


def zh_message(error: dict[str, Any], labels: dict[str, str] | None = None) -> str:
    """One pydantic error → Chinese. ``labels`` names the choices of enum/literal fields."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind in ("enum", "literal_error"):
        expected = str(ctx.get("expected", ""))
        names = [p.strip(" '\"") for p in expected.replace(" or ", ",").split(",") if p.strip(" '\"")]
        shown = [(labels or {}).get(n, n) for n in names]
        return "须为以下之一：" + "、".join(shown) if shown else "取值无效"
    if kind in ("value_error", "assertion_error"):
        msg = str(error.get("msg", ""))
        for prefix in ("Value error, ", "Assertion failed, "):
            msg = msg.removeprefix(prefix)
        return msg if any("\u4e00" <= ch <= "\u9fff" for ch in msg) else "取值无效"
    template = _BY_TYPE.get(kind)
    if template is None:
        return "格式不正确"
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return template.split("{")[0].strip() or "格式不正确"
