"""Working-day calendar, deadline policies, clocks and warning levels of the 12345 hotline.

Pure: no database, no web, nothing from ``hotline``; the application passes plain values
in (a timeline, a policy, "now") and stores what comes out (CQ §13 deadlines).
"""

from sla.calendar import Calendar, DayInfo, DayKind, provisional_warning
from sla.clocks import ClockName, ClockState, ClockStatus, WarningLevel, compute_clocks
from sla.counting import DEFAULT_RULE, CountingRule
from sla.deadlines import Deadline, deadline_after
from sla.durations import Duration
from sla.events import EVENT_KINDS, TimelineEvent
from sla.legal import DEFAULT_LEGAL_PATH, LegalDeadline, LegalTable, LegalTableError
from sla.office_hours import DEFAULT_OFFICE_HOURS, OfficeHours
from sla.policies import DEFAULT_POLICY_PATH, PolicyError, PolicySet
from sla.table import CalendarTableError
from sla.timeparse import parse_local_time
from sla.tz import SHANGHAI
from sla.worktime import TimeMeasure

__all__ = [
    "DEFAULT_LEGAL_PATH",
    "DEFAULT_OFFICE_HOURS",
    "DEFAULT_POLICY_PATH",
    "DEFAULT_RULE",
    "EVENT_KINDS",
    "SHANGHAI",
    "Calendar",
    "CalendarTableError",
    "ClockName",
    "ClockState",
    "ClockStatus",
    "CountingRule",
    "DayInfo",
    "DayKind",
    "Deadline",
    "Duration",
    "LegalDeadline",
    "LegalTable",
    "LegalTableError",
    "OfficeHours",
    "PolicyError",
    "PolicySet",
    "TimeMeasure",
    "TimelineEvent",
    "WarningLevel",
    "compute_clocks",
    "deadline_after",
    "parse_local_time",
    "provisional_warning",
]
