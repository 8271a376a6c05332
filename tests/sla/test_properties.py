"""Properties of the calendar, deadlines and clocks (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

import chinese_calendar
from hypothesis import given, settings
from hypothesis import strategies as st

from sla import SHANGHAI, Calendar, Duration, PolicySet, TimelineEvent, compute_clocks, deadline_after

CAL = Calendar.load()
POLICY = PolicySet.load()
_PAUSING = replace(POLICY, pause_enabled=True)
FAST = settings(max_examples=150, deadline=None)

days = st.dates(min_value=date(2004, 1, 1), max_value=date(2028, 12, 31))
covered_days = st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 11, 30))
counts = st.integers(min_value=0, max_value=80)
times = st.times().map(lambda t: t.replace(microsecond=0))
weekday_holidays = sorted(d for d in chinese_calendar.holidays if d.weekday() < 5)
makeup_days = sorted(chinese_calendar.workdays)


@FAST
@given(days, st.integers(min_value=1, max_value=80))
def test_deadlines_fall_on_working_days(d: date, n: int) -> None:
    assert CAL.is_working_day(CAL.add_working_days(d, n))


@FAST
@given(days, counts, counts)
def test_adding_is_associative(d: date, a: int, b: int) -> None:
    assert CAL.add_working_days(CAL.add_working_days(d, a), b) == CAL.add_working_days(d, a + b)


@FAST
@given(days, counts)
def test_between_inverts_add(d: date, n: int) -> None:
    assert CAL.working_days_between(d, CAL.add_working_days(d, n)) == n


@FAST
@given(covered_days, st.integers(min_value=1, max_value=40))
def test_holidays_are_never_counted(d: date, n: int) -> None:
    end = CAL.add_working_days(d, n)
    counted = [d + timedelta(days=i) for i in range(1, (end - d).days + 1)]
    counted = [x for x in counted if CAL.is_working_day(x)]
    assert len(counted) == n
    assert not any(x in chinese_calendar.holidays for x in counted)


@FAST
@given(st.sampled_from(weekday_holidays))
def test_a_weekday_holiday_is_skipped(h: date) -> None:
    assert not CAL.is_working_day(h)
    assert CAL.add_working_days(h - timedelta(days=1), 1) > h


@FAST
@given(st.sampled_from(makeup_days))
def test_make_up_days_always_count(m: date) -> None:
    assert CAL.is_working_day(m)
    assert CAL.add_working_days(m - timedelta(days=1), 1) == m
    assert CAL.working_days_between(m - timedelta(days=1), m) == 1


@FAST
@given(days, times, times, st.integers(min_value=0, max_value=40))
def test_time_of_day_does_not_matter_under_the_default_rule(d: date, t1: time, t2: time, n: int) -> None:
    a = deadline_after(CAL, datetime.combine(d, t1, SHANGHAI), Duration(n))
    b = deadline_after(CAL, datetime.combine(d, t2, SHANGHAI), Duration(n))
    assert a == b
    assert CAL.is_working_day(a.due.date()) or n == 0
    assert a.due.time() == time(23, 59, 59)


@FAST
@given(
    covered_days,
    times,
    st.sampled_from([None, "咨询", "投诉"]),
    st.integers(min_value=0, max_value=40 * 24 * 3600),
)
def test_running_clock_elapsed_plus_remaining_is_allowed(
    d: date, t: time, request_type: str | None, offset: int
) -> None:
    start = datetime.combine(d, t, SHANGHAI)
    now = start + timedelta(seconds=offset)
    c = compute_clocks(
        [TimelineEvent("dispatched", start)],
        policy=POLICY,
        calendar=CAL,
        now=now,
        request_type=request_type,
    )["close"]
    assert c.elapsed + c.remaining == c.allowed
    assert c.allowed == timedelta(days=POLICY.close_duration(request_type, None).amount) - timedelta(
        seconds=1
    )
    assert c.started_at <= c.at_risk_at <= c.due
    assert (c.warning == "overdue") == (now > c.due)


event_kinds = st.sampled_from(
    ["signed", "forwarded", "returned", "extended", "paused", "resumed", "replied", "reopened"]
)


@FAST
@given(
    covered_days,
    st.lists(st.tuples(event_kinds, st.integers(0, 10 * 24 * 3600), st.booleans()), max_size=8),
    st.integers(0, 60 * 24 * 3600),
    st.booleans(),
)
def test_random_timelines(d: date, steps: list[tuple[str, int, bool]], later: int, pause: bool) -> None:
    policy = _PAUSING if pause else POLICY
    at = datetime.combine(d, time(10), SHANGHAI)
    events = [TimelineEvent("dispatched", at)]
    for kind, gap, flag in steps:
        at += timedelta(seconds=gap)
        extra: dict[str, object] = {}
        if kind == "returned":
            extra["to_hotline"] = flag
        if kind in ("extended", "reopened") and flag:
            extra["add"] = Duration(3)
        events.append(TimelineEvent(kind, at, **extra))  # type: ignore[arg-type]
    now = at + timedelta(seconds=later)
    result = compute_clocks(events, policy=policy, calendar=CAL, now=now)
    assert set(result) <= {"transfer", "return", "close"} and "close" in result
    for c in result.values():
        assert c.at_risk_at <= c.due
        assert c.elapsed >= timedelta(0)
        assert c.overdue_working_days >= 0 and c.remaining_working_days >= 0
        if c.open:
            assert (c.warning == "overdue") == (now > c.due)
        else:
            assert c.warning == "normal" and c.state in ("met", "breached", "cancelled")
        if c.open and c.state in ("running", "breached") and not c.warnings:
            assert c.elapsed + c.remaining == c.allowed
