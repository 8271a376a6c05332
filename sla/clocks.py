"""Clocks of one ticket, replayed from its timeline (CQ §13 transfer/return/close, §14 rework).

Why replay instead of stored counters: extensions, re-dispatches, pauses and merges all
change what "due" means, and the hotline recomputes on every command. A pure function of the
timeline, the policy, the calendar and "now" is easy to test and can never drift.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from typing import Literal

from sla.calendar import Calendar
from sla.deadlines import deadline_after
from sla.durations import Duration
from sla.events import TimelineEvent
from sla.policies import PolicySet
from sla.tz import SHANGHAI
from sla.worktime import TimeMeasure, measure_kind_for

ClockName = Literal["transfer", "return", "close"]
ClockState = Literal["running", "paused", "met", "breached", "cancelled"]
WarningLevel = Literal["normal", "at_risk", "overdue"]

_ZERO = timedelta(0)
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class ClockStatus:
    """One clock as seen at ``now``.

    Working time is measured in the clock's own unit: under the default rule a working day
    is 24 h and the window ends at 23:59:59, so 15 wd allow 15 × 24 h − 1 s (``allowed``).
    ``state`` is "breached" both for an open clock past its due (``stopped_at`` None,
    ``warning`` "overdue") and for one finished late (``stopped_at`` set).
    """

    name: ClockName
    started_at: datetime
    due: datetime
    at_risk_at: datetime
    stopped_at: datetime | None
    state: ClockState
    warning: WarningLevel
    elapsed: timedelta
    remaining: timedelta
    overdue_working_days: int
    remaining_working_days: int
    provisional: bool
    warnings: tuple[str, ...] = ()
    allowed: timedelta = _ZERO  # total working time granted, extensions included

    @property
    def open(self) -> bool:
        return self.stopped_at is None


@dataclass
class _Clock:
    """A clock being replayed; mutable on purpose, never leaves this module."""

    name: ClockName
    started_at: datetime
    measure: TimeMeasure
    effective_start: datetime
    due: datetime
    total: timedelta
    warnings: set[str] = field(default_factory=set)
    paused_since: datetime | None = None
    pauses: list[tuple[datetime, datetime]] = field(default_factory=list)
    paused_total: timedelta = _ZERO
    stopped_at: datetime | None = None
    final_state: ClockState | None = None

    def stop(self, at: datetime, cancelled: bool = False) -> None:
        if self.stopped_at is not None:
            return
        self.resume(at)
        self.stopped_at = at
        self.final_state = "cancelled" if cancelled else ("met" if at <= self.due else "breached")

    def reopen(self) -> None:
        if self.final_state == "cancelled":
            return
        self.stopped_at = None
        self.final_state = None

    def pause(self, at: datetime) -> None:
        if self.stopped_at is None and self.paused_since is None:
            self.paused_since = at

    def resume(self, at: datetime) -> None:
        if self.paused_since is None:
            return
        p = max(self.paused_since, self.effective_start)
        r = max(at, self.effective_start)
        amount = self.measure.between(p, r)
        self.pauses.append((p, r))
        self.paused_total += amount
        self.due = self.measure.advance(self.due, amount)
        self.paused_since = None

    def move_due(self, new_due: datetime) -> None:
        self.total += self.measure.between(self.due, new_due)
        self.due = new_due


class _Replay:
    def __init__(self, policy: PolicySet, calendar: Calendar, context: tuple[str | None, ...]):
        self.policy = policy
        self.calendar = calendar
        self.request_type, self.category, self.legal = context
        self.clocks: dict[ClockName, _Clock] = {}
        self.return_cycle = False  # a "returned" happened since the last dispatch
        #: When the current unit chain received the ticket (the last 交办): the return window
        #: runs from here, not from the first return (CQ §13(一): 累计不超过 2 个工作日).
        self.received_at: datetime | None = None

    # -- starting clocks ----------------------------------------------------------------

    def start(
        self,
        name: ClockName,
        at: datetime,
        duration: Duration | None,
        new_due: datetime | None = None,
    ) -> _Clock:
        policy, cal = self.policy, self.calendar
        at = at.astimezone(SHANGHAI)
        warnings: set[str] = set()
        if new_due is not None:
            due = new_due.astimezone(SHANGHAI)
            kind = measure_kind_for(duration) if duration is not None else "working_days"
            warnings.update(cal.warnings_for(at.year, due.year))
        else:
            assert duration is not None
            dl = deadline_after(cal, at, duration, policy.rule, policy.office_hours)
            due, kind = dl.due, measure_kind_for(duration)
            warnings.update(dl.warnings)
        measure = TimeMeasure(cal, kind, policy.office_hours)
        day_based = duration is None or duration.unit in ("working_days", "calendar_days")
        if day_based and not policy.rule.start_day_counts:
            # The start day is not counted (CQ §13 as read in DOMAIN.md): time runs from its end.
            effective = datetime.combine(at.date() + _DAY, time(), SHANGHAI)
        else:
            effective = at
        if due < effective:
            effective = at
        clock = _Clock(name, at, measure, effective, due, measure.between(effective, due), warnings)
        self.clocks[name] = clock
        return clock

    # -- events -------------------------------------------------------------------------

    def apply(self, ev: TimelineEvent) -> None:
        policy = self.policy
        at = ev.at.astimezone(SHANGHAI)
        clocks = self.clocks
        transfer, ret, close = clocks.get("transfer"), clocks.get("return"), clocks.get("close")
        kind = ev.kind
        if kind == "dispatched":
            # Each 交办 is a new start (CQ §13(一)(二)).
            self.start("transfer", at, policy.transfer)
            self.received_at = at
            if ret is not None:
                ret.stop(at)
            self.return_cycle = False
            if close is None or close.stopped_at is not None or policy.restart_close_on_redispatch:
                duration = ev.add
                if duration is None and ev.new_due is None:
                    duration = policy.close_duration(self.request_type, self.category, self.legal)
                self.start("close", at, duration, ev.new_due)
            return
        if close is None:
            return  # nothing runs before the first dispatch
        if kind == "signed":
            if transfer is not None:
                transfer.stop(at)
        elif kind == "forwarded":
            # Forwarding down again: the transfer clock re-opens with the same, cumulative due;
            # a parent sending it down also ends the way back up.
            if transfer is not None:
                transfer.reopen()
            if ret is not None:
                ret.stop(at)
        elif kind == "returned":
            if transfer is not None:
                transfer.stop(at)
            if ret is None or not self.return_cycle:
                # The window opened at receipt; a unit that held the ticket past it and then
                # sends it back returns late, wherever in the chain it sits.
                ret = self.start("return", self.received_at or at, policy.return_window)
                self.return_cycle = True
            else:
                ret.reopen()  # the way back is cumulative (CQ §13(一)): same due
            if ev.to_hotline:
                ret.stop(at)
        elif kind == "extended":
            # CQ §13(三): an approved extension adds to the current due or sets a new one.
            if close.stopped_at is None:
                if ev.new_due is not None:
                    close.move_due(ev.new_due.astimezone(SHANGHAI))
                elif ev.add is not None:
                    rule = replace(policy.rule, start_day_counts=False)
                    dl = deadline_after(self.calendar, close.due, ev.add, rule, policy.office_hours)
                    close.warnings.update(dl.warnings)
                    close.move_due(dl.due)
        elif kind == "paused":
            if policy.pause_enabled:
                close.pause(at)
        elif kind == "resumed":
            if policy.pause_enabled:
                close.resume(at)
        elif kind == "replied":
            close.stop(at)
            if transfer is not None:
                transfer.stop(at)
        elif kind == "reopened":
            # Rework (重办, CQ §14) gets a fresh deadline from the rework order.
            duration = ev.add if ev.add is not None or ev.new_due is not None else policy.rework
            self.start("close", at, duration, ev.new_due)
        elif kind == "merged":
            for c in clocks.values():
                c.stop(at, cancelled=True)
        elif kind == "closed":
            for c in clocks.values():
                c.stop(at)


def compute_clocks(
    events: Sequence[TimelineEvent],
    *,
    policy: PolicySet,
    calendar: Calendar,
    now: datetime,
    request_type: str | None = None,
    category: str | None = None,
    legal: str | None = None,
) -> dict[str, ClockStatus]:
    """Replay the timeline and report every clock at ``now`` (empty before any dispatch)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got {now!r}")
    replay = _Replay(policy, calendar, (request_type, category, legal))
    for ev in sorted(events, key=lambda e: e.at):  # stable: same-instant events keep order
        replay.apply(ev)
    now = now.astimezone(SHANGHAI)
    return {name: _status(c, policy, calendar, now) for name, c in replay.clocks.items()}


def _status(c: _Clock, policy: PolicySet, cal: Calendar, now: datetime) -> ClockStatus:
    m = c.measure
    eff = c.effective_start
    ref = c.stopped_at if c.stopped_at is not None else now
    ref = max(ref, c.started_at)
    due, paused = c.due, c.paused_total
    if c.paused_since is not None and c.stopped_at is None:
        extra = m.between(max(c.paused_since, eff), max(ref, eff))
        due = m.advance(due, extra)
        paused += extra
    elapsed = max(_ZERO, m.between(eff, max(ref, eff)) - paused)
    remaining = m.between(max(ref, eff), due)
    at_risk_at = _at_risk_at(c, due, policy)
    open_ = c.stopped_at is None
    state: ClockState
    if not open_:
        assert c.final_state is not None
        state = c.final_state
    elif now > due:
        state = "breached"
    else:
        state = "paused" if c.paused_since is not None else "running"
    warning: WarningLevel = "normal"
    if open_:
        if now > due:
            warning = "overdue"
        elif now >= at_risk_at:
            warning = "at_risk"
    due_day, ref_day = due.date(), ref.date()
    if ref > due:
        overdue_days, remaining_days = cal.working_days_between(due_day, ref_day), 0
    else:
        first = max(ref_day, eff.date())
        overdue_days = 0
        remaining_days = max(0, cal.working_days_between(first - _DAY, due_day))
    last = max(due, ref)
    warnings = set(c.warnings) | set(cal.warnings_for(c.started_at.year, last.year))
    return ClockStatus(
        name=c.name,
        started_at=c.started_at,
        due=due,
        at_risk_at=at_risk_at,
        stopped_at=c.stopped_at,
        state=state,
        warning=warning,
        elapsed=elapsed,
        remaining=remaining,
        overdue_working_days=overdue_days,
        remaining_working_days=remaining_days,
        provisional=bool(warnings),
        warnings=tuple(sorted(warnings)),
        allowed=c.total,
    )


def _at_risk_at(c: _Clock, due: datetime, policy: PolicySet) -> datetime:
    """The earlier of "at most N left" and "fraction used" — the yellow light (黄灯)."""
    m = c.measure
    by_remaining = m.retreat(due, m.amount(policy.at_risk_remaining))
    by_fraction = _when_elapsed(c, c.total * policy.at_risk_fraction)
    moment = by_remaining if by_fraction is None else min(by_remaining, by_fraction)
    return min(max(moment.replace(microsecond=0), c.started_at), due)


def _when_elapsed(c: _Clock, target: timedelta) -> datetime | None:
    """The instant at which ``target`` working time has been used, skipping pauses."""
    m = c.measure
    cursor, used = c.effective_start, _ZERO
    pauses = list(c.pauses)
    if c.paused_since is not None and c.stopped_at is None:
        pauses.append((max(c.paused_since, cursor), None))  # type: ignore[arg-type]
    for p, r in pauses:
        if p > cursor:
            segment = m.between(cursor, p)
            if used + segment >= target:
                return m.advance(cursor, target - used)
            used += segment
        if r is None:
            return None
        cursor = max(cursor, r)
    return m.advance(cursor, target - used)
