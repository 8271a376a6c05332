"""Deadline computations per second: sla's bisect calendar vs a day-by-day chinese_calendar loop.

Why: the SLA scan recomputes every open ticket's deadlines; the goal is >= 500k/s for
Calendar.add_working_days and >= 20x the naive loop. Prints one table (medians of runs).

    .venv/bin/python bench/sla_bench.py [--runs 5] [--ops 200000]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta

import chinese_calendar

from sla import SHANGHAI, Calendar, Duration, deadline_after


def naive_add(d: date, n: int) -> date:
    """The obvious implementation: walk day by day asking chinese_calendar."""
    while n > 0:
        d += timedelta(days=1)
        if chinese_calendar.is_workday(d):
            n -= 1
    return d


def rate(fn: Callable[[], object], ops: int) -> float:
    t0 = time.perf_counter()
    fn()
    return ops / (time.perf_counter() - t0)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ops", type=int, default=200_000)
    parser.add_argument("--naive-ops", type=int, default=20_000)
    args = parser.parse_args()

    rng = random.Random(12345)
    first, span = date(2010, 1, 1).toordinal(), date(2026, 6, 30).toordinal() - date(2010, 1, 1).toordinal()
    cases = [(date.fromordinal(first + rng.randrange(span)), rng.randint(1, 20)) for _ in range(args.ops)]
    starts = [
        (
            datetime.combine(d, datetime.min.time(), SHANGHAI) + timedelta(seconds=rng.randrange(86400)),
            Duration(n),
        )
        for d, n in cases
    ]
    naive_cases = cases[: args.naive_ops]

    cal = Calendar.load()
    add = cal.add_working_days
    for d, n in naive_cases[:2000]:  # the two implementations must agree
        assert add(d, n) == naive_add(d, n), (d, n)

    def run_add() -> None:
        for d, n in cases:
            add(d, n)

    def run_deadline() -> None:
        for s, dur in starts:
            deadline_after(cal, s, dur)

    def run_naive() -> None:
        for d, n in naive_cases:
            naive_add(d, n)

    results: dict[str, list[float]] = {"add": [], "deadline": [], "naive": []}
    for _ in range(args.runs):
        results["add"].append(rate(run_add, len(cases)))
        results["deadline"].append(rate(run_deadline, len(starts)))
        results["naive"].append(rate(run_naive, len(naive_cases)))

    naive = statistics.median(results["naive"])
    rows = [
        ("Calendar.add_working_days", "add", len(cases)),
        ("deadline_after (wd, default rule)", "deadline", len(starts)),
        ("naive day loop (chinese_calendar)", "naive", len(naive_cases)),
    ]
    print(
        f"sla bench — {args.runs} runs, python {platform.python_version()}, "
        f"nproc {os.cpu_count()}, {cpu_model()}"
    )
    header = f"{'operation':<36}{'ops/run':>9}{'median/s':>13}{'min/s':>13}{'max/s':>13}{'vs naive':>10}"
    print(header)
    print("-" * len(header))
    for label, key, ops in rows:
        values = results[key]
        med = statistics.median(values)
        print(
            f"{label:<36}{ops:>9}{med:>13,.0f}{min(values):>13,.0f}{max(values):>13,.0f}{med / naive:>9.1f}x"
        )


if __name__ == "__main__":
    main()
