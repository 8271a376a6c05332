"""Working days: the statutory table, an operator overlay, and a loud Monday–Friday fallback.

Why precomputed ordinals: an SLA scan recomputes the deadlines of every open ticket, so
"N working days after d" must be a bisect on a sorted array, not a loop over days.
Why a fallback instead of an error: the hotline must keep dispatching on 2 January even if
nobody loaded the new notice; the result is usable but flagged provisional (CQ §13 counts
working days, and only the State Council notice says which days those are).
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal, NamedTuple

from sla.holiday_names import chinese_name
from sla.table import TableRow, load_table

DayKind = Literal["workday", "weekend", "holiday", "makeup_workday"]

_MIN_ORD = date(1, 1, 1).toordinal()
_MAX_YEAR = 9999


@dataclass(frozen=True, slots=True)
class DayInfo:
    date: date
    working: bool
    kind: DayKind
    name: str | None
    provisional: bool


def provisional_warning(year: int) -> str:
    """One sentence a supervisor can act on, in both languages the operators use."""
    return (
        f"{year} 年无节假日数据，已按周一至周五推算，结果为临时值；"
        f"请加载 {year} 年国务院节假日安排。"
        f" / No holiday data for {year}: Monday–Friday assumed, the result is provisional;"
        f" load the State Council holiday notice for {year}."
    )


class _Span(NamedTuple):
    """Working-day ordinals of whole years first_year..last_year, swapped in atomically."""

    first_year: int
    last_year: int
    lo: int  # ordinal of 1 Jan of first_year
    hi: int  # ordinal of 31 Dec of last_year
    ords: list[int]


@cache
def _builtin() -> tuple[dict[date, tuple[bool, str]], frozenset[int]]:
    import chinese_calendar

    explicit: dict[date, tuple[bool, str]] = {}
    for d, label in chinese_calendar.holidays.items():
        explicit[d] = (False, chinese_name(str(getattr(label, "value", label))))
    for d, label in chinese_calendar.workdays.items():
        explicit[d] = (True, chinese_name(str(getattr(label, "value", label))))
    years = {d.year for d in chinese_calendar.holidays}
    return explicit, frozenset(range(min(years), max(years) + 1))


class Calendar:
    """Which days are working days in mainland China, as far as the loaded data knows."""

    def __init__(
        self,
        explicit: Mapping[date, tuple[bool, str | None]],
        covered_years: Iterable[int],
    ) -> None:
        self._explicit: dict[date, tuple[bool, str | None]] = dict(explicit)
        self._covered: frozenset[int] = frozenset(covered_years)
        self._lock = threading.Lock()
        years = sorted(self._covered) or [date.today().year]
        self._span = self._build(years[0], max(years[-1], date.today().year) + 1)

    # -- construction -------------------------------------------------------------------

    @classmethod
    def load(cls, table_path: str | Path | None = None, *, builtin: bool = True) -> Calendar:
        """chinese_calendar's table overlaid by the operator's CSV (the CSV wins per date).

        Any year with at least one row in the CSV counts as covered: the operator loaded that
        year's notice, so its remaining days follow the ordinary week.
        """
        explicit: dict[date, tuple[bool, str | None]] = {}
        covered: set[int] = set()
        if builtin:
            base, years = _builtin()
            explicit.update(base)
            covered.update(years)
        if table_path is not None:
            overlay = load_table(table_path)
            explicit.update(_from_rows(overlay))
            covered.update(d.year for d in overlay)
        return cls(explicit, covered)

    # -- single days --------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        e = self._explicit.get(d)
        if e is not None:
            return e[0]
        return d.weekday() < 5

    def is_provisional(self, d: date) -> bool:
        return d.year not in self._covered

    def day_info(self, d: date) -> DayInfo:
        e = self._explicit.get(d)
        weekend = d.weekday() >= 5
        kind: DayKind
        if e is None:
            working, name = not weekend, None
            kind = "weekend" if weekend else "workday"
        else:
            working, name = e
            kind = "holiday" if not working else "makeup_workday" if weekend else "workday"
        return DayInfo(d, working, kind, name, self.is_provisional(d))

    def year_entries(self, year: int) -> list[DayInfo]:
        return [self.day_info(d) for d in sorted(self._explicit) if d.year == year]

    def provisional_years(self, start_year: int, end_year: int) -> list[int]:
        return [y for y in range(start_year, end_year + 1) if y not in self._covered]

    def warnings_for(self, start_year: int, end_year: int) -> tuple[str, ...]:
        """The provisional warnings of every uncovered year a computation touched."""
        lo, hi = min(start_year, end_year), max(start_year, end_year)
        return tuple(provisional_warning(y) for y in self.provisional_years(lo, hi))

    @property
    def covered_years(self) -> frozenset[int]:
        return self._covered

    # -- arithmetic ---------------------------------------------------------------------

    def add_working_days(self, d: date, n: int) -> date:
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        if n == 0:
            return d
        o = d.toordinal()
        span = self._span
        if not span.lo <= o <= span.hi:
            span = self._cover(d.year, d.year)
        i = bisect_right(span.ords, o) + n - 1
        while i >= len(span.ords):
            extra = (i - len(span.ords)) // 240 + 1
            span = self._cover(span.last_year + 1, span.last_year + extra)
        return date.fromordinal(span.ords[i])

    def subtract_working_days(self, d: date, n: int) -> date:
        """The nth working day strictly before d (n=0 → d); used to place warning thresholds."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        if n == 0:
            return d
        o = d.toordinal()
        span = self._span
        if not span.lo <= o <= span.hi:
            span = self._cover(d.year, d.year)
        i = bisect_right(span.ords, o - 1) - n
        while i < 0:
            extra = -i // 240 + 1
            span = self._cover(span.first_year - extra, span.first_year - 1)
            i = bisect_right(span.ords, o - 1) - n
        return date.fromordinal(span.ords[i])

    def working_days_between(self, a: date, b: date) -> int:
        span = self._span
        oa, ob = a.toordinal(), b.toordinal()
        if not (span.lo <= oa <= span.hi and span.lo <= ob <= span.hi):
            span = self._cover(min(a.year, b.year), max(a.year, b.year))
        ords = span.ords
        return bisect_right(ords, ob) - bisect_right(ords, oa)

    # -- the precomputed span -----------------------------------------------------------

    def _build(self, first_year: int, last_year: int) -> _Span:
        first_year, last_year = max(first_year, 1), min(last_year, _MAX_YEAR)
        lo = date(first_year, 1, 1).toordinal()
        hi = date(last_year, 12, 31).toordinal()
        explicit = self._explicit
        ords: list[int] = []
        append = ords.append
        for o in range(lo, hi + 1):
            e = explicit.get(date.fromordinal(o))
            # ordinal 1 (0001-01-01) is a Monday, so (o - 1) % 7 is the weekday.
            if e[0] if e is not None else (o - 1) % 7 < 5:
                append(o)
        return _Span(first_year, last_year, lo, hi, ords)

    def _cover(self, first_year: int, last_year: int) -> _Span:
        """Extend the span to include the given years (lazily, when a computation leaves it)."""
        if first_year < 1 or last_year > _MAX_YEAR:
            raise OverflowError("date out of range for working-day arithmetic")
        with self._lock:
            span = self._span
            if span.first_year <= first_year and last_year <= span.last_year:
                return span
            new_first, new_last = min(first_year, span.first_year), max(last_year, span.last_year)
            before = (
                self._build(new_first, span.first_year - 1).ords
                if new_first < span.first_year
                else []
            )
            after = (
                self._build(span.last_year + 1, new_last).ords if new_last > span.last_year else []
            )
            lo = date(new_first, 1, 1).toordinal()
            hi = date(new_last, 12, 31).toordinal()
            self._span = _Span(new_first, new_last, lo, hi, before + span.ords + after)
            return self._span


def _from_rows(rows: Mapping[date, TableRow]) -> dict[date, tuple[bool, str | None]]:
    return {d: (r.kind == "workday", r.name) for d, r in rows.items()}
