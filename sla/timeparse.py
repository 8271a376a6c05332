"""Local timestamps as they appear in hotline exports.

Exports mix ``2019/4/25 9:32:09`` and ``2017-06-08 17:31:20`` (local time, no zone) with
ISO 8601 carrying an offset; all must mean the same instant, so naive values are taken as
Asia/Shanghai and anything else is refused with a message rather than guessed.
"""

from __future__ import annotations

import re
from datetime import datetime

from sla.tz import SHANGHAI

_LOCAL = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?$"
)


def parse_local_time(text: str, *, allow_date_only: bool = False) -> datetime:
    """An aware datetime in Asia/Shanghai; raises ValueError naming the accepted forms."""
    s = text.strip()
    m = _LOCAL.match(s)
    if m is not None:
        year, month, day, hh, mm, ss, frac = m.groups()
        if hh is None and not allow_date_only:
            raise ValueError(f"时间缺少时分秒 / time of day missing in {text!r}")
        try:
            return datetime(
                int(year),
                int(month),
                int(day),
                int(hh or 0),
                int(mm or 0),
                int(ss or 0),
                int((frac or "0").ljust(6, "0")),
                tzinfo=SHANGHAI,
            )
        except ValueError as exc:
            raise ValueError(f"无效时间 / invalid time {text!r}: {exc}") from None
    try:
        parsed = datetime.fromisoformat(s)
    except ValueError:
        raise ValueError(
            f"无法解析时间 / cannot parse time {text!r}: expected 2019/4/25 9:32:09, "
            "2017-06-08 17:31:20 or ISO 8601 with offset"
        ) from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=SHANGHAI)
    return parsed.astimezone(SHANGHAI)
