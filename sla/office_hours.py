"""Office hours, for clocks counted in working hours (emergency-type categories).

A "24 working hours" promise means hours when someone is at the desk, not wall-clock
hours; the default is the usual government schedule with a lunch break.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

_Period = tuple[time, time]


def _seconds(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


@dataclass(frozen=True, slots=True)
class OfficeHours:
    periods: tuple[_Period, ...] = ((time(9, 0), time(12, 0)), (time(13, 30), time(17, 30)))

    def __post_init__(self) -> None:
        prev = -1
        if not self.periods:
            raise ValueError("office hours need at least one period")
        for start, end in self.periods:
            s, e = _seconds(start), _seconds(end)
            if not prev <= s < e:
                raise ValueError(f"office hours must be increasing, non-overlapping: {self}")
            prev = e

    @classmethod
    def parse(cls, text: str) -> OfficeHours:
        """``"09:00-12:00,13:30-17:30"`` (the form used in policy files)."""
        periods: list[_Period] = []
        for part in text.split(","):
            try:
                a, b = (p.strip() for p in part.split("-"))
                periods.append((time.fromisoformat(a), time.fromisoformat(b)))
            except ValueError:
                raise ValueError(
                    f"办公时间格式无效 / invalid office hours {text!r}:"
                    " expected 09:00-12:00,13:30-17:30"
                ) from None
        return cls(tuple(periods))

    def __str__(self) -> str:
        return ",".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in self.periods)

    @property
    def spans(self) -> tuple[tuple[int, int], ...]:
        """The periods as (start, end) seconds after midnight."""
        return tuple((_seconds(a), _seconds(b)) for a, b in self.periods)

    @property
    def seconds_per_day(self) -> int:
        return sum(e - s for s, e in self.spans)

    def seconds_before(self, second_of_day: int) -> int:
        """Office seconds of a working day that lie before the given second of the day."""
        return sum(max(0, min(e, second_of_day) - s) for s, e in self.spans)

    def second_at(self, office_seconds: int) -> int:
        """The second of the day at which ``office_seconds`` of office time have passed.

        An amount that ends exactly at the end of a period lands on that end (12:00), not on
        the start of the next one, because that is when the promise expires.
        """
        left = office_seconds
        for s, e in self.spans:
            if left <= e - s:
                return s + left
            left -= e - s
        raise ValueError("more office seconds than a working day has")


DEFAULT_OFFICE_HOURS = OfficeHours()
