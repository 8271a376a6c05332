"""Counting rules, hour-based clocks and input checks of deadline_after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sla import (
    SHANGHAI,
    Calendar,
    CountingRule,
    Duration,
    OfficeHours,
    deadline_after,
)
from tests.sla.conftest import sh


def test_naive_start_is_refused(cal: Calendar) -> None:
    with pytest.raises(ValueError, match="aware"):
        deadline_after(cal, datetime(2026, 3, 2, 10), Duration(1))


def test_result_is_in_shanghai_whatever_the_input_zone(cal: Calendar) -> None:
    # 2026-03-02 18:00 UTC is 2026-03-03 02:00 in Shanghai: the start day is Tuesday.
    dl = deadline_after(cal, datetime(2026, 3, 2, 18, tzinfo=UTC), Duration(1))
    assert dl.due == sh(2026, 3, 4, 23, 59, 59)
    assert dl.due.tzinfo == SHANGHAI
    assert dl.due.microsecond == 0


def test_start_day_counts_rule(cal: Calendar) -> None:
    rule = CountingRule(start_day_counts=True)
    # Monday counts as day 1
    assert deadline_after(cal, sh(2026, 3, 2, 10), Duration(1), rule).due == sh(2026, 3, 2, 23, 59, 59)
    assert deadline_after(cal, sh(2026, 3, 2, 10), Duration(5), rule).due == sh(2026, 3, 6, 23, 59, 59)
    # a Saturday start: the first working day after it is day 1
    assert deadline_after(cal, sh(2026, 3, 7, 10), Duration(1), rule).due == sh(2026, 3, 9, 23, 59, 59)


def test_same_time_rule(cal: Calendar) -> None:
    rule = CountingRule(end_at="same_time")
    dl = deadline_after(cal, sh(2026, 9, 30, 14, 25, 7), Duration(1), rule)
    assert dl.due == sh(2026, 10, 8, 14, 25, 7)


def test_zero_working_days_is_the_end_of_the_start_day(cal: Calendar) -> None:
    assert deadline_after(cal, sh(2026, 3, 7, 10), Duration(0)).due == sh(2026, 3, 7, 23, 59, 59)


def test_calendar_hours_run_through_holidays(cal: Calendar) -> None:
    dl = deadline_after(cal, sh(2026, 10, 1, 22, 30), Duration.parse("2h"))
    assert dl.due == sh(2026, 10, 2, 0, 30)
    dl = deadline_after(cal, sh(2026, 10, 1, 22, 30), Duration.parse("24h"))
    assert dl.due == sh(2026, 10, 2, 22, 30)


def test_calendar_days(cal: Calendar) -> None:
    dl = deadline_after(cal, sh(2026, 9, 30, 10), Duration.parse("3d"))
    assert dl.due == sh(2026, 10, 3, 23, 59, 59)


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        # Fri 16:00 + 24 wh: 1.5 h Fri, 7 h Mon/Tue/Wed, 1.5 h Thu → Thu 10:30
        (sh(2026, 11, 20, 16, 0), 24, sh(2026, 11, 26, 10, 30)),
        # inside the lunch break: the clock starts at 13:30
        (sh(2026, 3, 2, 12, 15), 2, sh(2026, 3, 2, 15, 30)),
        # ends exactly at the end of the morning
        (sh(2026, 3, 2, 9, 0), 3, sh(2026, 3, 2, 12, 0)),
        # before office hours
        (sh(2026, 3, 2, 7, 0), 4, sh(2026, 3, 2, 14, 30)),
        # after hours on the eve of National Day: next office day is 10/8
        (sh(2026, 9, 30, 18, 0), 2, sh(2026, 10, 8, 11, 0)),
        # a make-up Saturday has office hours
        (sh(2026, 10, 9, 17, 0), 1, sh(2026, 10, 10, 9, 30)),
    ],
)
def test_working_hours(cal: Calendar, start: datetime, hours: int, due: datetime) -> None:
    assert deadline_after(cal, start, Duration(hours, "working_hours")).due == due


def test_office_hours_are_configurable(cal: Calendar) -> None:
    office = OfficeHours.parse("08:30-12:00,14:00-18:00")
    assert str(office) == "08:30-12:00,14:00-18:00"
    assert office.seconds_per_day == int(timedelta(hours=7, minutes=30).total_seconds())
    dl = deadline_after(cal, sh(2026, 3, 2, 8, 0), Duration(4, "working_hours"), office_hours=office)
    assert dl.due == sh(2026, 3, 2, 14, 30)
    with pytest.raises(ValueError):
        OfficeHours.parse("12:00-09:00")


def test_working_hours_into_an_uncovered_year_are_provisional(cal: Calendar) -> None:
    dl = deadline_after(cal, sh(2026, 12, 31, 17, 0), Duration(24, "working_hours"))
    assert dl.provisional and "2027" in dl.warnings[0]


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("15wd", Duration(15)),
        ("24wh", Duration(24, "working_hours")),
        ("2h", Duration(2, "calendar_hours")),
        ("3d", Duration(3, "calendar_days")),
        (" 5 WD ", Duration(5)),
    ],
)
def test_duration_parse(text: str, duration: Duration) -> None:
    assert Duration.parse(text) == duration
    assert Duration.parse(str(duration)) == duration


@pytest.mark.parametrize("text", ["", "15", "wd", "-1wd", "1.5wd", "3 weeks"])
def test_duration_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        Duration.parse(text)
