"""Known deadlines across years, checked against dates written out by hand from the State
Council notices (never computed with sla or chinese_calendar at test time)."""

from __future__ import annotations

from datetime import date

import pytest

from sla import Calendar, Duration, deadline_after
from tests.sla.conftest import sh

# (start day, working days, expected last day) — default rule: start day not counted.
KNOWN: list[tuple[date, int, date]] = [
    # 2026 春节 2/15–2/23, make-up Sat 2/14 and Sat 2/28
    (date(2026, 2, 13), 1, date(2026, 2, 14)),
    (date(2026, 2, 14), 1, date(2026, 2, 24)),
    (date(2026, 2, 13), 2, date(2026, 2, 24)),
    (date(2026, 2, 27), 1, date(2026, 2, 28)),
    # 2026 国庆 10/1–10/7, make-up Sun 9/20 and Sat 10/10
    (date(2026, 9, 19), 1, date(2026, 9, 20)),
    (date(2026, 9, 30), 1, date(2026, 10, 8)),
    (date(2026, 10, 9), 1, date(2026, 10, 10)),
    # 15 wd from Mon 9/21: 22–24, (中秋 Fri 9/25 off), 28–30, 10/8, 10/9, Sat 10/10, 12–16, 19
    (date(2026, 9, 21), 15, date(2026, 10, 19)),
    (date(2026, 11, 21), 15, date(2026, 12, 11)),
    # 2025 春节 1/28–2/4, make-up Sun 1/26 and Sat 2/8; 国庆+中秋 10/1–10/8, make-up 9/28, 10/11
    (date(2025, 1, 25), 1, date(2025, 1, 26)),
    (date(2025, 1, 27), 1, date(2025, 2, 5)),
    (date(2025, 1, 24), 5, date(2025, 2, 7)),
    (date(2025, 2, 7), 1, date(2025, 2, 8)),
    (date(2025, 9, 30), 1, date(2025, 10, 9)),
    (date(2025, 10, 10), 1, date(2025, 10, 11)),
    # 2024 春节 2/10–2/17, make-up Sun 2/4 and Sun 2/18; 国庆 10/1–10/7, make-up 9/29, 10/12
    (date(2024, 2, 9), 1, date(2024, 2, 18)),
    (date(2024, 2, 3), 1, date(2024, 2, 4)),
    (date(2024, 9, 30), 1, date(2024, 10, 8)),
    (date(2024, 10, 11), 1, date(2024, 10, 12)),
    # 2023 春节 1/21–1/27, make-up 1/28, 1/29; 中秋国庆 9/29–10/6, make-up 10/7, 10/8
    (date(2023, 1, 20), 1, date(2023, 1, 28)),
    (date(2023, 1, 29), 1, date(2023, 1, 30)),
    (date(2023, 9, 28), 1, date(2023, 10, 7)),
    (date(2023, 10, 8), 1, date(2023, 10, 9)),
    # 2022 春节 1/31–2/6, make-up 1/29, 1/30; 国庆 10/1–10/7, make-up 10/8, 10/9
    (date(2022, 1, 28), 1, date(2022, 1, 29)),
    (date(2022, 1, 30), 1, date(2022, 2, 7)),
    (date(2022, 9, 30), 1, date(2022, 10, 8)),
    # 2021 春节 2/11–2/17, make-up Sun 2/7, Sat 2/20; 国庆 10/1–10/7, make-up 9/26, 10/9
    (date(2021, 2, 10), 1, date(2021, 2, 18)),
    (date(2021, 2, 19), 1, date(2021, 2, 20)),
    (date(2021, 9, 30), 1, date(2021, 10, 8)),
    # 2020 春节 extended to 2/2 (epidemic), make-up Sun 1/19; 国庆中秋 10/1–10/8, make-up 9/27, 10/10
    (date(2020, 1, 18), 1, date(2020, 1, 19)),
    (date(2020, 1, 23), 1, date(2020, 2, 3)),
    (date(2020, 9, 30), 1, date(2020, 10, 9)),
    (date(2020, 10, 9), 1, date(2020, 10, 10)),
    # 2019 春节 2/4–2/10, make-up 2/2, 2/3; 国庆 10/1–10/7, make-up 9/29, 10/12
    (date(2019, 2, 1), 1, date(2019, 2, 2)),
    (date(2019, 2, 3), 1, date(2019, 2, 11)),
    (date(2019, 9, 30), 1, date(2019, 10, 8)),
    # 2018 春节 2/15–2/21, make-up Sun 2/11, Sat 2/24; 国庆 10/1–10/7, make-up 9/29, 9/30
    (date(2018, 2, 14), 1, date(2018, 2, 22)),
    (date(2018, 2, 23), 1, date(2018, 2, 24)),
    (date(2018, 9, 28), 1, date(2018, 9, 29)),
    (date(2018, 9, 30), 1, date(2018, 10, 8)),
    # 2017 春节 1/27–2/2, make-up Sun 1/22, Sat 2/4; 国庆中秋 10/1–10/8, make-up Sat 9/30
    (date(2017, 1, 26), 1, date(2017, 2, 3)),
    (date(2017, 2, 3), 1, date(2017, 2, 4)),
    (date(2017, 9, 29), 1, date(2017, 9, 30)),
    (date(2017, 9, 30), 1, date(2017, 10, 9)),
    # 15 wd from Fri 9/29: Sat 9/30, 10/9–13, 10/16–20, 10/23–26
    (date(2017, 9, 29), 15, date(2017, 10, 26)),
]


@pytest.mark.parametrize(("start", "n", "expected"), KNOWN)
def test_add_working_days_matches_the_notices(cal: Calendar, start: date, n: int, expected: date) -> None:
    assert cal.add_working_days(start, n) == expected


@pytest.mark.parametrize(("start", "n", "expected"), KNOWN)
def test_deadline_ends_at_2359_59_of_the_last_day(cal: Calendar, start: date, n: int, expected: date) -> None:
    dl = deadline_after(cal, sh(start.year, start.month, start.day, 10, 0), Duration(n))
    assert dl.due == sh(expected.year, expected.month, expected.day, 23, 59, 59)
    assert dl.due.isoformat().endswith("+08:00")
    assert not dl.provisional and dl.warnings == ()


@pytest.mark.parametrize(
    ("day", "kind", "name"),
    [
        (date(2026, 2, 14), "makeup_workday", "春节"),
        (date(2026, 2, 16), "holiday", "春节"),
        (date(2026, 10, 3), "holiday", "国庆节"),
        (date(2026, 10, 12), "workday", None),
        (date(2026, 10, 11), "weekend", None),
        (date(2020, 2, 1), "holiday", "春节"),
    ],
)
def test_day_info(cal: Calendar, day: date, kind: str, name: str | None) -> None:
    info = cal.day_info(day)
    assert (info.kind, info.name, info.provisional) == (kind, name, False)
    assert info.working == (kind in ("workday", "makeup_workday"))


def test_working_days_of_whole_years(cal: Calendar) -> None:
    # 261 weekdays − 18 weekday holidays + 5 make-up days (2025);
    # 261 − 19 + 6 (2026), counted by hand from the notices.
    assert cal.working_days_between(date(2024, 12, 31), date(2025, 12, 31)) == 248
    assert cal.working_days_between(date(2025, 12, 31), date(2026, 12, 31)) == 248
    assert cal.working_days_between(date(2026, 12, 31), date(2025, 12, 31)) == -248
