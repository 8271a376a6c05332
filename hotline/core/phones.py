"""Chinese phone numbers as agents type them, in one canonical form (CQ §11 registration)."""

from __future__ import annotations

import re

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
_SERVICE = re.compile(r"^\d{5,6}$")  # e.g. 12345, 95598 utility lines calling in


def normalise_phone(value: str) -> str:
    """Accept the ways agents type numbers; refuse anything that is not a Chinese number."""
    v = re.sub(r"[\s()（）]", "", value)
    if v.startswith("+86"):
        v = v[3:]
    elif v.startswith("0086"):
        v = v[4:]
    if _MOBILE.match(v) or _LANDLINE.match(v) or _SERVICE.match(v):
        return v
    raise ValueError("电话号码格式不正确：应为 11 位手机号或带区号的固话")
