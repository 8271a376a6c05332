"""How a city counts "N working days" — a policy setting, not a constant.

CQ §13 and DOMAIN.md: the day the clock starts is not counted and the deadline ends at the
end of the Nth working day after it. Some cities count the start day as day 1, or end at the
time of day the clock started; both are expressible here so no code change is needed.
"""

from dataclasses import dataclass
from typing import Literal

EndAt = Literal["end_of_day", "same_time"]


@dataclass(frozen=True, slots=True)
class CountingRule:
    start_day_counts: bool = False
    end_at: EndAt = "end_of_day"

    def __post_init__(self) -> None:
        if self.end_at not in ("end_of_day", "same_time"):
            raise ValueError(f"end_at must be 'end_of_day' or 'same_time', got {self.end_at!r}")


DEFAULT_RULE = CountingRule()
