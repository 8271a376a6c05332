"""Durations as operators write them in policy files: ``15wd``, ``24wh``, ``2h``, ``3d``.

The unit is part of the value because the same number means very different promises:
15 working days (CQ §13(二)) versus 2 calendar hours for an emergency category.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Unit = Literal["working_days", "working_hours", "calendar_hours", "calendar_days"]

_SUFFIX: dict[str, Unit] = {
    "wd": "working_days",
    "wh": "working_hours",
    "h": "calendar_hours",
    "d": "calendar_days",
}
_UNIT_SUFFIX: dict[str, str] = {v: k for k, v in _SUFFIX.items()}
_PATTERN = re.compile(r"^\s*(\d+)\s*(wd|wh|h|d)\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Duration:
    amount: int
    unit: Unit = "working_days"

    def __post_init__(self) -> None:
        if self.unit not in _UNIT_SUFFIX:
            raise ValueError(f"unknown duration unit {self.unit!r}")
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount < 0:
            raise ValueError(f"duration amount must be a non-negative integer, got {self.amount!r}")

    @classmethod
    def parse(cls, text: str) -> Duration:
        m = _PATTERN.match(text)
        if m is None:
            raise ValueError(
                f"时长格式无效 / invalid duration {text!r}: expected e.g. 15wd, 24wh, 2h or 3d"
            )
        return cls(int(m.group(1)), _SUFFIX[m.group(2).lower()])

    def __str__(self) -> str:
        return f"{self.amount}{_UNIT_SUFFIX[self.unit]}"

    @property
    def is_working_time(self) -> bool:
        return self.unit in ("working_days", "working_hours")
