"""The calendar and deadline policies the application runs with, loaded once from settings.

Working-day arithmetic lives in ``sla``; this module only decides which table and which policy
file ``sla`` gets (CQ §13), and lets operators reload them after loading next year's notice.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sla
from hotline.core.settings import get_settings
from hotline.core.times import local, utcnow


@lru_cache
def get_calendar() -> sla.Calendar:
    return sla.Calendar.load(get_settings().holiday_table)


@lru_cache
def get_legal_table() -> sla.LegalTable:
    """The statutory limits operators loaded (CQ §13(四)), or the bundled table."""
    return sla.LegalTable.load(get_settings().legal_deadlines_file)


@lru_cache
def get_policy() -> sla.PolicySet:
    s = get_settings()
    return sla.PolicySet.load(s.sla_policy_file, name=s.sla_policy_name, legal=get_legal_table())


def legal_deadlines() -> list[dict[str, Any]]:
    """Every legal basis a dispatch may name: the table's rows, then the policy's own names."""
    table, policy = get_legal_table(), get_policy()
    out = [{"name": r.name, "working_days": r.working_days, "citation": r.citation}
           for r in table.values()]
    for name, duration in policy.legal.items():
        if name not in table:
            out.append({"name": name, "working_days": duration.amount if duration.unit ==
                        "working_days" else None, "citation": "时限策略文件 [legal]"})
    return out


def reload() -> None:
    get_calendar.cache_clear()
    get_legal_table.cache_clear()
    get_policy.cache_clear()


def calendar_health() -> dict[str, Any]:
    """Loudly report years whose holiday table is missing (Mon–Fri fallback, provisional)."""
    this_year = local(utcnow()).year
    missing = get_calendar().provisional_years(this_year, this_year + 1)
    return {
        "provisional_years": missing,
        "warning": (f"{'、'.join(map(str, missing))} 年节假日安排未加载，期限按周一至周五暂算"
                    "（provisional）；请加载国务院办公厅节假日通知" if missing else None),
    }
