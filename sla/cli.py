"""``python -m sla``: deadlines, the holiday calendar and replays from the command line.

Operators use it to check a newly loaded holiday table and to answer "when is this due?"
without the application; every input error is one readable line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from datetime import date
from typing import TextIO

from sla.calendar import Calendar
from sla.deadlines import deadline_after
from sla.durations import Duration
from sla.policies import PolicyError, PolicySet
from sla.replay import format_result, replay_file
from sla.table import CalendarTableError
from sla.timeparse import parse_local_time

_WEEKDAYS = "一二三四五六日"
_KIND_LABEL = {
    "holiday": "放假 holiday",
    "makeup_workday": "调休上班 make-up working day",
    "workday": "上班 working day",
    "weekend": "休息 weekend",
}


class UsageError(Exception):
    """An input problem the user can fix; printed without a traceback, exit status 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sla", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--holidays", metavar="FILE", help="holiday table CSV (date,kind,name)")
        p.add_argument("--policy", metavar="FILE", help="policy TOML (default: built-in)")
        p.add_argument("--policy-name", default="default", help="policy in the file")

    d = sub.add_parser("deadline", help="deadline of a start time (or one per stdin line)")
    amount = d.add_mutually_exclusive_group(required=True)
    amount.add_argument("--working-days", type=int, metavar="N")
    amount.add_argument("--duration", metavar="D", help="e.g. 15wd, 24wh, 2h, 3d")
    d.add_argument("--start", help='e.g. "2026-11-21 10:00:00" (Asia/Shanghai)')
    common(d)

    c = sub.add_parser("calendar", help="holidays and make-up working days of a year")
    c.add_argument("--year", type=int, required=True)
    c.add_argument("--json", action="store_true", help="one JSON object per line")
    common(c)

    r = sub.add_parser("replay", help="replies within N working days in a CSV export")
    r.add_argument("file")
    r.add_argument("--working-days", type=int, required=True, metavar="N")
    common(r)
    return parser


def _load(args: argparse.Namespace) -> tuple[Calendar, PolicySet]:
    return Calendar.load(args.holidays), PolicySet.load(args.policy, args.policy_name)


def _deadline(args: argparse.Namespace, stdin: TextIO, out: TextIO, err: TextIO) -> int:
    if args.duration is not None:
        try:
            duration = Duration.parse(args.duration)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    else:
        if args.working_days < 0:
            raise UsageError("--working-days must be >= 0")
        duration = Duration(args.working_days)
    calendar, policy = _load(args)
    lines: Iterable[tuple[str, str]]
    if args.start is not None:
        lines = [("--start", args.start)]
    else:
        lines = ((f"line {i}", text) for i, text in enumerate(stdin, start=1) if text.strip())
    status = 0
    for where, text in lines:
        try:
            start = parse_local_time(text.strip())
        except ValueError as exc:
            print(f"sla deadline: {where}: {exc}", file=err)
            status = 2
            continue
        dl = deadline_after(calendar, start, duration, policy.rule, policy.office_hours)
        record: dict[str, object] = {
            "start": start.isoformat(),
            "deadline": dl.due.isoformat(),
            "provisional": dl.provisional,
        }
        if dl.warnings:
            record["warning"] = " ".join(dl.warnings)
        print(json.dumps(record, ensure_ascii=False), file=out)
    return status


def _calendar(args: argparse.Namespace, out: TextIO) -> int:
    calendar = Calendar.load(args.holidays)
    year = args.year
    if not 1 <= year <= 9999:
        raise UsageError(f"--year out of range: {year}")
    entries = calendar.year_entries(year)
    working = calendar.working_days_between(date(year - 1, 12, 31), date(year, 12, 31))
    provisional = bool(calendar.provisional_years(year, year))
    if args.json:
        for e in entries:
            record = {"date": e.date.isoformat(), "kind": e.kind, "name": e.name}
            print(json.dumps(record, ensure_ascii=False), file=out)
        summary = {"year": year, "working_days": working, "provisional": provisional}
        print(json.dumps(summary, ensure_ascii=False), file=out)
        return 0
    print(f"{year} 年节假日与调休 / holidays and make-up working days of {year}", file=out)
    if provisional:
        print(calendar.warnings_for(year, year)[0], file=out)
    elif not entries:
        print("(none)", file=out)
    for e in entries:
        weekday = "周" + _WEEKDAYS[e.date.weekday()]
        print(f"{e.date.isoformat()}  {weekday}  {e.name or '':<8}{_KIND_LABEL[e.kind]}", file=out)
    status = "provisional (Monday–Friday assumed)" if provisional else "from loaded data"
    print(f"工作日 working days in {year}: {working} — {status}", file=out)
    return 0


def _replay(args: argparse.Namespace, out: TextIO) -> int:
    if args.working_days < 0:
        raise UsageError("--working-days must be >= 0")
    calendar, policy = _load(args)
    try:
        result = replay_file(args.file, calendar, args.working_days, policy.rule)
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc}") from None
    print(format_result(result, args.file), file=out)
    return 0


def main(
    argv: Sequence[str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    stdin, out, err = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    args = _parser().parse_args(argv)
    try:
        if args.command == "deadline":
            return _deadline(args, stdin, out, err)
        if args.command == "calendar":
            return _calendar(args, out)
        return _replay(args, out)
    except (UsageError, CalendarTableError, PolicyError, ValueError, KeyError) as exc:
        print(f"sla {args.command}: {exc}", file=err)
        return 2
