"""The calendar and deadline policies the application runs with, loaded once from settings.

Working-day arithmetic lives in ``sla``; this module only decides which table and which policy
file ``sla`` gets (CQ §13), and lets operators reload them after loading next year's notice.
"""

from __future__ import annotations

from functools import lru_cache

import sla
from hotline.core.settings import get_settings


@lru_cache
def get_calendar() -> sla.Calendar:
    return sla.Calendar.load(get_settings().holiday_table)


@lru_cache
def get_policy() -> sla.PolicySet:
    s = get_settings()
    return sla.PolicySet.load(s.sla_policy_file, name=s.sla_policy_name)


def reload() -> None:
    get_calendar.cache_clear()
    get_policy.cache_clear()
