"""Transfer, return and close clocks replayed from timelines (CQ §13, §14)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from sla import (
    Calendar,
    ClockStatus,
    Duration,
    PolicySet,
    TimelineEvent,
    compute_clocks,
)
from tests.sla.conftest import sh

D = timedelta(days=1)
H = timedelta(hours=1)
S = timedelta(seconds=1)
DISPATCH = sh(2026, 3, 2, 10, 0)  # Monday; 15 wd → Mon 2026-03-23 23:59:59


def ev(kind: str, at: datetime, **kw: object) -> TimelineEvent:
    return TimelineEvent(kind, at, **kw)  # type: ignore[arg-type]


def clocks(
    events: list[TimelineEvent],
    now: datetime,
    cal: Calendar,
    policy: PolicySet,
    **kw: str,
) -> dict[str, ClockStatus]:
    return compute_clocks(events, policy=policy, calendar=cal, now=now, **kw)


def test_no_dispatch_no_clocks(cal: Calendar, policy: PolicySet) -> None:
    assert clocks([ev("signed", DISPATCH)], DISPATCH, cal, policy) == {}
    assert clocks([], DISPATCH, cal, policy) == {}


def test_running_close_clock(cal: Calendar, policy: PolicySet) -> None:
    c = clocks(
        [ev("dispatched", DISPATCH), ev("signed", sh(2026, 3, 2, 15))],
        sh(2026, 3, 10, 12),
        cal,
        policy,
        request_type="投诉",
    )
    t, close = c["transfer"], c["close"]
    assert (t.state, t.stopped_at, t.due) == ("met", sh(2026, 3, 2, 15), sh(2026, 3, 3, 23, 59, 59))
    assert close.open and close.state == "running" and close.warning == "normal"
    assert close.due == sh(2026, 3, 23, 23, 59, 59)
    # 3/3–3/9 are five whole working days, plus half of 3/10
    assert close.elapsed == 5 * D + 12 * H
    assert close.remaining == 9 * D + 12 * H - S
    assert close.allowed == 15 * D - S
    assert close.remaining_working_days == 10
    # 80 % of 15 wd is used at the end of the 12th working day (3/18); "1 wd left" only on 3/20
    assert close.at_risk_at == sh(2026, 3, 18, 23, 59, 59)
    assert not close.provisional and close.warnings == ()


def test_warning_levels(cal: Calendar, policy: PolicySet) -> None:
    events = [ev("dispatched", DISPATCH)]
    assert clocks(events, sh(2026, 3, 19, 10), cal, policy)["close"].warning == "at_risk"
    on_due_day = clocks(events, sh(2026, 3, 23, 23, 59, 59), cal, policy)["close"]
    assert (on_due_day.warning, on_due_day.remaining_working_days) == ("at_risk", 1)
    late = clocks(events, sh(2026, 3, 25, 10), cal, policy)["close"]
    assert late.open and late.state == "breached" and late.warning == "overdue"
    assert late.overdue_working_days == 2
    assert late.remaining_working_days == 0
    assert late.remaining == -(D + 10 * H + S)


def test_consultation_and_legal_and_custom_deadlines(cal: Calendar, policy: PolicySet) -> None:
    now = sh(2026, 3, 3, 9)
    consult = clocks([ev("dispatched", DISPATCH)], now, cal, policy, request_type="咨询")
    assert consult["close"].due == sh(2026, 3, 9, 23, 59, 59)
    legal = clocks([ev("dispatched", DISPATCH)], now, cal, policy, legal="行政许可决定")
    assert legal["close"].due == sh(2026, 3, 30, 23, 59, 59)
    custom = clocks([ev("dispatched", DISPATCH, add=Duration(3))], now, cal, policy)
    assert custom["close"].due == sh(2026, 3, 5, 23, 59, 59)
    fixed = clocks([ev("dispatched", DISPATCH, new_due=sh(2026, 3, 4, 18))], now, cal, policy)
    assert fixed["close"].due == sh(2026, 3, 4, 18)


def test_transfer_forwarded_reopens_with_the_same_due(cal: Calendar, policy: PolicySet) -> None:
    events = [
        ev("dispatched", DISPATCH),
        ev("signed", sh(2026, 3, 2, 11)),
        ev("forwarded", sh(2026, 3, 3, 9)),
    ]
    t = clocks(events, sh(2026, 3, 3, 10), cal, policy)["transfer"]
    assert t.open and t.due == sh(2026, 3, 3, 23, 59, 59) and t.warning == "at_risk"
    t = clocks([*events, ev("signed", sh(2026, 3, 4, 9))], sh(2026, 3, 5), cal, policy)["transfer"]
    assert (t.state, t.stopped_at) == ("breached", sh(2026, 3, 4, 9))
    assert t.overdue_working_days == 1


def test_return_clock_is_cumulative(cal: Calendar, policy: PolicySet) -> None:
    events = [
        ev("dispatched", DISPATCH),
        ev("returned", sh(2026, 3, 4, 9)),  # a sub-unit sends it up: 2 wd from receipt → 3/4
        ev("forwarded", sh(2026, 3, 4, 15)),  # the parent sends it down again
    ]
    c = clocks(events, sh(2026, 3, 4, 16), cal, policy)
    assert c["return"].state == "met" and c["return"].due == sh(2026, 3, 4, 23, 59, 59)
    assert c["return"].started_at == DISPATCH  # the window runs from receipt (CQ §13(一))
    assert c["transfer"].open  # forwarded: on its way down again
    events += [
        ev("returned", sh(2026, 3, 5, 9)),
        ev("returned", sh(2026, 3, 9, 10), to_hotline=True),
    ]
    r = clocks(events, sh(2026, 3, 9, 11), cal, policy)["return"]
    assert r.due == sh(2026, 3, 4, 23, 59, 59)  # same due: cumulative
    assert (r.state, r.stopped_at) == ("breached", sh(2026, 3, 9, 10))
    # the hotline dispatches again: new transfer clock, close clock restarts
    events.append(ev("dispatched", sh(2026, 3, 9, 11)))
    c = clocks(events, sh(2026, 3, 9, 12), cal, policy)
    assert c["transfer"].started_at == sh(2026, 3, 9, 11) and c["transfer"].open
    assert c["close"].due == sh(2026, 3, 30, 23, 59, 59)
    assert c["return"].state == "breached"


def test_return_window_runs_from_receipt_not_from_the_first_return(
    cal: Calendar, policy: PolicySet
) -> None:
    # CQ §13(一): a unit that holds a ticket ten working days and then returns it straight to
    # the hotline is late, not "within window".
    events = [ev("dispatched", DISPATCH), ev("returned", sh(2026, 3, 16, 9), to_hotline=True)]
    r = clocks(events, sh(2026, 3, 16, 10), cal, policy)["return"]
    assert r.started_at == DISPATCH and r.due == sh(2026, 3, 4, 23, 59, 59)
    assert (r.state, r.stopped_at) == ("breached", sh(2026, 3, 16, 9))
    quick = [ev("dispatched", DISPATCH), ev("returned", sh(2026, 3, 4, 20), to_hotline=True)]
    assert clocks(quick, sh(2026, 3, 5), cal, policy)["return"].state == "met"


def test_redispatch_restart_can_be_switched_off(cal: Calendar, policy: PolicySet) -> None:
    keep = replace(policy, restart_close_on_redispatch=False)
    events = [ev("dispatched", DISPATCH), ev("dispatched", sh(2026, 3, 9, 11))]
    assert clocks(events, sh(2026, 3, 9, 12), cal, keep)["close"].due == sh(2026, 3, 23, 23, 59, 59)
    assert clocks(events, sh(2026, 3, 9, 12), cal, policy)["close"].due == sh(2026, 3, 30, 23, 59, 59)


def test_extension(cal: Calendar, policy: PolicySet) -> None:
    events = [ev("dispatched", DISPATCH), ev("extended", sh(2026, 3, 20, 9), add=Duration(5))]
    close = clocks(events, sh(2026, 3, 24, 9), cal, policy)["close"]
    assert close.due == sh(2026, 3, 30, 23, 59, 59)
    assert close.allowed == 20 * D - S and close.warning == "normal"
    # 80 % of 20 wd is used at the end of the 16th working day, 3/24
    assert close.at_risk_at == sh(2026, 3, 24, 23, 59, 59)
    events.append(ev("extended", sh(2026, 3, 25, 9), new_due=sh(2026, 4, 10, 17)))
    close = clocks(events, sh(2026, 3, 26, 9), cal, policy)["close"]
    assert close.due == sh(2026, 4, 10, 17) and close.warning == "normal"


def test_pause_is_ignored_unless_enabled(cal: Calendar, policy: PolicySet) -> None:
    events = [
        ev("dispatched", DISPATCH),
        ev("paused", sh(2026, 3, 5, 10)),
        ev("resumed", sh(2026, 3, 9, 10)),
    ]
    off = clocks(events, sh(2026, 3, 10), cal, policy)["close"]
    assert off.due == sh(2026, 3, 23, 23, 59, 59) and off.state == "running"
    on = replace(policy, pause_enabled=True)
    # paused Thu 10:00 → Mon 10:00 = 14 h + 24 h + 10 h = 2 working days
    c = clocks(events, sh(2026, 3, 10), cal, on)["close"]
    assert c.due == sh(2026, 3, 25, 23, 59, 59)
    assert c.elapsed + c.remaining == c.allowed == 15 * D - S
    paused = clocks(events[:2], sh(2026, 3, 6, 12), cal, on)["close"]
    assert paused.state == "paused" and paused.open
    assert paused.elapsed == 2 * D + 10 * H  # frozen at the pause
    assert paused.due == sh(2026, 3, 25, 1, 59, 59)  # moves while paused: 14 h + 12 h so far


def test_reply_and_rework(cal: Calendar, policy: PolicySet) -> None:
    events = [ev("dispatched", DISPATCH), ev("replied", sh(2026, 3, 10, 9))]
    close = clocks(events, sh(2026, 3, 12), cal, policy)["close"]
    assert (close.state, close.stopped_at, close.warning) == ("met", sh(2026, 3, 10, 9), "normal")
    events.append(ev("reopened", sh(2026, 3, 16, 10)))
    close = clocks(events, sh(2026, 3, 17), cal, policy)["close"]
    assert close.open and close.due == sh(2026, 3, 23, 23, 59, 59)  # rework 5 wd
    three = [*events[:2], ev("reopened", sh(2026, 3, 16, 10), add=Duration(3))]
    assert clocks(three, sh(2026, 3, 17), cal, policy)["close"].due == sh(2026, 3, 19, 23, 59, 59)
    late = [ev("dispatched", DISPATCH), ev("replied", sh(2026, 3, 24, 9))]
    close = clocks(late, sh(2026, 3, 30), cal, policy)["close"]
    assert close.state == "breached" and close.warning == "normal" and not close.open


def test_merge_cancels_and_close_finishes(cal: Calendar, policy: PolicySet) -> None:
    merged = clocks(
        [ev("dispatched", DISPATCH), ev("merged", sh(2026, 3, 3, 9))], sh(2026, 4, 30), cal, policy
    )
    assert {c.state for c in merged.values()} == {"cancelled"}
    assert all(c.warning == "normal" and c.stopped_at == sh(2026, 3, 3, 9) for c in merged.values())
    closed = clocks(
        [ev("dispatched", DISPATCH), ev("closed", sh(2026, 3, 5, 9))], sh(2026, 4, 30), cal, policy
    )
    assert closed["transfer"].state == "breached" and closed["close"].state == "met"


def test_working_hour_clock(cal: Calendar) -> None:
    policy = PolicySet.load(name="emergency_example")
    c = clocks(
        [ev("dispatched", DISPATCH)],
        sh(2026, 3, 3, 12),
        cal,
        policy,
        category="城乡建设/安全生产/安全隐患",
    )["close"]
    # 24 office hours from Mon 10:00: 6 h Mon, 7 h Tue, 7 h Wed, 4 h Thu → Thu 14:30
    assert c.due == sh(2026, 3, 5, 14, 30)
    assert c.elapsed == 9 * H and c.remaining == 15 * H and c.allowed == 24 * H


def test_provisional_clock(cal: Calendar, policy: PolicySet) -> None:
    c = clocks([ev("dispatched", sh(2026, 12, 21, 10))], sh(2026, 12, 22), cal, policy)["close"]
    assert c.provisional and any("2027" in w for w in c.warnings)
    assert not clocks([ev("dispatched", DISPATCH)], sh(2026, 3, 3), cal, policy)["close"].provisional


def test_events_are_validated() -> None:
    with pytest.raises(ValueError, match="unknown timeline event kind"):
        TimelineEvent("sign", DISPATCH)
    with pytest.raises(ValueError, match="aware"):
        TimelineEvent("signed", datetime(2026, 3, 2, 10))
