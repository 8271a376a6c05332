"""One deadline from a start instant and a promised duration (CQ §13).

The counting rule decides which days count and when the last one ends; the calendar decides
which days are working days. Every result says whether it rests on guessed (Monday–Friday)
data, because a wrong deadline shown as certain is worse than one shown as provisional.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sla.calendar import Calendar
from sla.counting import DEFAULT_RULE, CountingRule
from sla.durations import Duration
from sla.office_hours import DEFAULT_OFFICE_HOURS, OfficeHours
from sla.tz import SHANGHAI
from sla.worktime import TimeMeasure

_END_OF_DAY = time(23, 59, 59)
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Deadline:
    due: datetime
    provisional: bool
    warnings: tuple[str, ...] = ()


def deadline_after(
    calendar: Calendar,
    start: datetime,
    duration: Duration,
    rule: CountingRule = DEFAULT_RULE,
    office_hours: OfficeHours | None = None,
) -> Deadline:
    """When a promise of ``duration`` made at ``start`` expires, in Asia/Shanghai.

    Day-based promises follow the counting rule (default: the start day is not counted and
    the Nth working day ends at 23:59:59). Hour-based promises run from the start instant;
    working hours only during office hours on working days.
    """
    tz = start.tzinfo
    if tz is SHANGHAI:
        local = start
    elif tz is None or start.utcoffset() is None:
        raise ValueError(f"start must be timezone-aware, got naive {start!r}")
    else:
        local = start.astimezone(SHANGHAI)
    unit = duration.unit
    n = duration.amount
    if unit == "working_days":
        d = local.date()
        base = d - _ONE_DAY if rule.start_day_counts else d
        last = calendar.add_working_days(base, n) if n else d
        end = _END_OF_DAY if rule.end_at == "end_of_day" else local.time()
        due = datetime.combine(last, end, SHANGHAI)
        covered = calendar.covered_years
        if d.year in covered and last.year in covered and last.year - d.year <= 1:
            return Deadline(due, False)  # the common case, kept cheap for SLA scans
        return _checked(calendar, d, last, due)
    if unit == "calendar_days":
        d = local.date()
        last = d + timedelta(days=max(0, n - 1) if rule.start_day_counts else n)
        end = _END_OF_DAY if rule.end_at == "end_of_day" else local.time()
        return Deadline(datetime.combine(last, end, SHANGHAI), False)
    if unit == "calendar_hours":
        return Deadline(local + timedelta(hours=n), False)
    measure = TimeMeasure(calendar, "working_hours", office_hours or DEFAULT_OFFICE_HOURS)
    due = measure.advance(local, timedelta(hours=n))
    return _checked(calendar, local.date(), due.date(), due)


def _checked(calendar: Calendar, first: date, last: date, due: datetime) -> Deadline:
    warnings = calendar.warnings_for(first.year, last.year)
    return Deadline(due, bool(warnings), warnings)
