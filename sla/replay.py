"""Replay historical requests against a deadline: how many replies came in time.

Real exports (e.g. the 2,816 requests of wenzheng2020) are the best check that the counting
rule matches practice; unparseable and impossible rows are counted, never dropped silently.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sla.calendar import Calendar
from sla.counting import DEFAULT_RULE, CountingRule
from sla.deadlines import deadline_after
from sla.durations import Duration
from sla.timeparse import parse_local_time


@dataclass
class ReplayResult:
    working_days: int
    rows: int = 0
    unparsed: list[tuple[int, str]] = field(default_factory=list)  # (record no., reason)
    reply_before_post: list[int] = field(default_factory=list)
    provisional: int = 0
    within: int = 0
    taken: Counter[int] = field(default_factory=Counter)

    @property
    def measured(self) -> int:
        return sum(self.taken.values())


def working_days_taken(
    calendar: Calendar, posted_at: datetime, replied_at: datetime, rule: CountingRule = DEFAULT_RULE
) -> tuple[int, bool]:
    """The smallest N whose deadline the reply met, and whether that rests on guessed years.

    Defined through deadline_after so that "taken <= N" and "replied by the N-day deadline"
    can never disagree (a Saturday reply after a Friday deadline took one more day).
    """
    k = max(0, calendar.working_days_between(posted_at.date(), replied_at.date()))
    while deadline_after(calendar, posted_at, Duration(k), rule).due < replied_at:
        k += 1
    while k > 0 and deadline_after(calendar, posted_at, Duration(k - 1), rule).due >= replied_at:
        k -= 1
    dl = deadline_after(calendar, posted_at, Duration(k), rule)
    return k, dl.provisional


def replay_rows(
    rows: Iterable[Mapping[str, str | None]],
    calendar: Calendar,
    working_days: int,
    rule: CountingRule = DEFAULT_RULE,
) -> ReplayResult:
    result = ReplayResult(working_days)
    for number, row in enumerate(rows, start=1):
        result.rows += 1
        try:
            posted = parse_local_time(row.get("posted_at") or "")
            replied = parse_local_time(row.get("replied_at") or "")
        except ValueError as exc:
            result.unparsed.append((number, str(exc)))
            continue
        if replied < posted:
            result.reply_before_post.append(number)
            continue
        k, provisional = working_days_taken(calendar, posted, replied, rule)
        result.taken[k] += 1
        result.provisional += provisional
        if k <= working_days:
            result.within += 1
    return result


def replay_file(
    path: str | Path, calendar: Calendar, working_days: int, rule: CountingRule = DEFAULT_RULE
) -> ReplayResult:
    with Path(path).open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"posted_at", "replied_at"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(
                f"{path}: 缺少列 / missing columns {sorted(missing)} (have {reader.fieldnames})"
            )
        return replay_rows(reader, calendar, working_days, rule)


def buckets(working_days: int) -> list[tuple[str, int, int | None]]:
    """Single days up to the deadline (at least 15), then coarser ranges, then the tail."""
    last_single = max(15, working_days)
    out: list[tuple[str, int, int | None]] = [(str(i), i, i) for i in range(last_single + 1)]
    lo = last_single + 1
    for hi in (30, 60):
        if lo <= hi:
            out.append((f"{lo}–{hi}", lo, hi))
            lo = hi + 1
    out.append((f">{lo - 1}", lo, None))
    return out


def format_result(result: ReplayResult, source: str) -> str:
    n = result.working_days
    measured = result.measured
    late = measured - result.within
    lines = [
        f"replay {source}: replies within {n} working days (CQ §13)",
        f"{'rows':<22}{result.rows:>8}",
        f"{'measured':<22}{measured:>8}",
        f"{'unparsed':<22}{len(result.unparsed):>8}  无法解析",
        f"{'reply before post':<22}{len(result.reply_before_post):>8}  答复早于提交",
        f"{'provisional':<22}{result.provisional:>8}  临时（无节假日数据）",
        f"{f'within {n} wd':<22}{result.within:>8}  {_pct(result.within, measured)} 按时",
        f"{f'later than {n} wd':<22}{late:>8}  {_pct(late, measured)} 超期",
        "",
        f"{'working days taken':<20}{'count':>8}{'%':>9}{'cum %':>9}",
    ]
    cumulative = 0
    for label, lo, hi in buckets(n):
        count = sum(c for k, c in result.taken.items() if k >= lo and (hi is None or k <= hi))
        cumulative += count
        lines.append(
            f"{label:<20}{count:>8}{_pct(count, measured):>9}{_pct(cumulative, measured):>9}"
        )
    for number, reason in result.unparsed[:10]:
        lines.append(f"unparsed record {number}: {reason}")
    if len(result.unparsed) > 10:
        lines.append(f"… and {len(result.unparsed) - 10} more unparsed records")
    if result.reply_before_post:
        shown = ", ".join(map(str, result.reply_before_post[:10]))
        lines.append(f"reply before post, records: {shown}")
    return "\n".join(lines)


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"
