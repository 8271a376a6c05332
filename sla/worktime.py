"""Working time as a quantity: how much of it lies between two instants, and its inverse.

Clocks need "elapsed" and "remaining" that add up to the allowed time, and warning moments
("80 % used", "1 working day left") that are instants. Both come from one measure and its
exact inverse, so the sums hold to the second. In the working-day measure a working day is
24 h of working time and any other day is 0 h (the deadline ends at the end of the day, so
the whole day is available); in the working-hour measure only office hours count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal

from sla.calendar import Calendar
from sla.durations import Duration
from sla.office_hours import DEFAULT_OFFICE_HOURS, OfficeHours
from sla.tz import SHANGHAI

MeasureKind = Literal["working_days", "working_hours", "calendar"]

_DAY = timedelta(days=1)
_ZERO = timedelta(0)


def measure_kind_for(duration: Duration) -> MeasureKind:
    """A clock is measured in the unit its promise was made in."""
    if duration.unit == "working_days":
        return "working_days"
    if duration.unit == "working_hours":
        return "working_hours"
    return "calendar"


def _local(t: datetime) -> datetime:
    if t.tzinfo is None:
        raise ValueError(f"naive datetime {t!r}: give a timezone-aware time")
    return t.astimezone(SHANGHAI).replace(tzinfo=None)


def _aware(t: datetime) -> datetime:
    return t.replace(tzinfo=SHANGHAI)


def _sod(t: datetime) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


@dataclass(frozen=True)
class TimeMeasure:
    calendar: Calendar
    kind: MeasureKind = "working_days"
    office_hours: OfficeHours = DEFAULT_OFFICE_HOURS

    # -- conversions --------------------------------------------------------------------

    def amount(self, duration: Duration) -> timedelta:
        """A duration expressed in this measure (a working day is a whole day of office time)."""
        n = duration.amount
        if duration.unit == "working_days":
            if self.kind == "working_hours":
                return timedelta(seconds=n * self.office_hours.seconds_per_day)
            return n * _DAY
        if duration.unit == "calendar_days":
            return n * _DAY
        return timedelta(hours=n)

    # -- the measure --------------------------------------------------------------------

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Working time in [a, b]; negative when b < a."""
        la, lb = _local(a), _local(b)
        if lb < la:
            return -self._between(lb, la)
        return self._between(la, lb)

    def _between(self, a: datetime, b: datetime) -> timedelta:
        if self.kind == "calendar":
            return b - a
        cal = self.calendar
        da, db = a.date(), b.date()
        if self.kind == "working_days":
            if da == db:
                return b - a if cal.is_working_day(da) else _ZERO
            first = (datetime.combine(da + _DAY, time()) - a) if cal.is_working_day(da) else _ZERO
            middle = cal.working_days_between(da, db - _DAY) * _DAY
            last = (b - datetime.combine(db, time())) if cal.is_working_day(db) else _ZERO
            return first + middle + last
        oh = self.office_hours
        per_day = oh.seconds_per_day
        if da == db:
            if not cal.is_working_day(da):
                return _ZERO
            return timedelta(seconds=oh.seconds_before(_sod(b)) - oh.seconds_before(_sod(a)))
        secs = 0
        if cal.is_working_day(da):
            secs += per_day - oh.seconds_before(_sod(a))
        secs += cal.working_days_between(da, db - _DAY) * per_day
        if cal.is_working_day(db):
            secs += oh.seconds_before(_sod(b))
        # keep sub-second precision of the endpoints out: office time is counted in seconds
        return timedelta(seconds=secs)

    def advance(self, t: datetime, x: timedelta) -> datetime:
        """The earliest instant u >= t with between(t, u) == x (x >= 0)."""
        if x < _ZERO:
            return self.retreat(t, -x)
        if x == _ZERO:
            return t.astimezone(SHANGHAI)
        lt = _local(t)
        if self.kind == "calendar":
            return _aware(lt + x)
        cal = self.calendar
        d = lt.date()
        if self.kind == "working_days":
            if cal.is_working_day(d):
                rem = datetime.combine(d + _DAY, time()) - lt
                if x <= rem:
                    return _aware(lt + x)
                x -= rem
            k = -(-x // _DAY)
            day = cal.add_working_days(d, k)
            return _aware(datetime.combine(day, time()) + (x - (k - 1) * _DAY))
        oh = self.office_hours
        per_day = oh.seconds_per_day
        xs = int(x.total_seconds())
        if cal.is_working_day(d):
            before = oh.seconds_before(_sod(lt))
            left = per_day - before
            if xs <= left:
                return _aware(_at(d, oh.second_at(before + xs)))
            xs -= left
        k = -(-xs // per_day)
        day = cal.add_working_days(d, k)
        return _aware(_at(day, oh.second_at(xs - (k - 1) * per_day)))

    def retreat(self, t: datetime, x: timedelta) -> datetime:
        """The earliest instant u <= t with between(u, t) <= x (x >= 0).

        "Earliest" matters across weekends: with a Monday deadline, one working day is left
        from the end of Friday on, so that is when an at-risk warning must turn on.
        """
        if x < _ZERO:
            return self.advance(t, -x)
        lt = _local(t)
        if self.kind == "calendar":
            return _aware(lt - x)
        cal = self.calendar
        d = lt.date()
        if self.kind == "working_days":
            avail = (lt - datetime.combine(d, time())) if cal.is_working_day(d) else _ZERO
            if x < avail:
                return _aware(lt - x)
            x -= avail
            k = x // _DAY + 1
            day = cal.subtract_working_days(d, k)
            return _aware(datetime.combine(day + _DAY, time()) - (x - (k - 1) * _DAY))
        oh = self.office_hours
        per_day = oh.seconds_per_day
        xs = int(x.total_seconds())
        avail_s = oh.seconds_before(_sod(lt)) if cal.is_working_day(d) else 0
        if xs < avail_s:
            return _aware(_at(d, oh.second_at(avail_s - xs)))
        xs -= avail_s
        k = xs // per_day + 1
        day = cal.subtract_working_days(d, k)
        return _aware(_at(day, oh.second_at(per_day - (xs - (k - 1) * per_day))))


def _at(d: object, second_of_day: int) -> datetime:
    base = datetime.combine(d, time())  # type: ignore[arg-type]
    return base + timedelta(seconds=second_of_day)
