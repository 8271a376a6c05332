"""The operator's holiday table: overlay, provisional fallback, and clear errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from sla import Calendar, CalendarTableError, Duration, deadline_after
from tests.sla.conftest import sh


def test_late_december_2026_is_provisional_without_2027_data(cal: Calendar) -> None:
    # Mon 2026-12-21 + 15 wd under a Monday–Friday guess for 2027 (1 Jan counted as working).
    dl = deadline_after(cal, sh(2026, 12, 21, 10, 0), Duration(15))
    assert dl.due == sh(2027, 1, 11, 23, 59, 59)
    assert dl.provisional
    assert len(dl.warnings) == 1
    assert "2027" in dl.warnings[0]
    assert "临时" in dl.warnings[0] and "provisional" in dl.warnings[0]
    assert cal.is_provisional(date(2027, 3, 1))
    assert cal.provisional_years(2025, 2028) == [2027, 2028]


def test_loading_a_2027_table_makes_the_same_call_exact(cal_2027: Calendar) -> None:
    dl = deadline_after(cal_2027, sh(2026, 12, 21, 10, 0), Duration(15))
    # 1–3 Jan are the New Year holiday: 12/22–25, 12/28–31, 1/4–8, 1/11, 1/12.
    assert dl.due == sh(2027, 1, 12, 23, 59, 59)
    assert not dl.provisional and dl.warnings == ()
    assert cal_2027.provisional_years(2025, 2027) == []


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2027, 1, 29), 1, date(2027, 1, 31)),  # Sunday make-up day
        (date(2027, 2, 4), 1, date(2027, 2, 15)),  # across Spring Festival
        (date(2027, 2, 19), 1, date(2027, 2, 20)),  # Saturday make-up day
        (date(2027, 4, 30), 1, date(2027, 5, 6)),
        (date(2027, 9, 30), 1, date(2027, 10, 8)),
        (date(2027, 10, 8), 1, date(2027, 10, 9)),
    ],
)
def test_2027_table_days(cal_2027: Calendar, start: date, n: int, expected: date) -> None:
    assert cal_2027.add_working_days(start, n) == expected


def test_overlay_overrides_the_builtin_table(tmp_path: Path) -> None:
    table = tmp_path / "local.csv"
    table.write_text("2026-03-09,holiday,本地纪念日\n2026-03-14,workday,本地调休\n", "utf-8")
    local = Calendar.load(table)
    assert local.add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 10)
    assert local.day_info(date(2026, 3, 14)).kind == "makeup_workday"
    assert local.day_info(date(2026, 3, 9)).name == "本地纪念日"
    # the rest of 2026 still comes from the statutory table
    assert local.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)


def test_year_entries_list_holidays_and_make_up_days(cal: Calendar) -> None:
    entries = {e.date: e for e in cal.year_entries(2026)}
    assert entries[date(2026, 2, 14)].kind == "makeup_workday"
    assert entries[date(2026, 10, 1)].name == "国庆节"
    assert all(e.date.year == 2026 for e in entries.values())
    assert cal.year_entries(2030) == []


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("date,kind,name\n2027-02-30,holiday,春节\n", 2, "invalid date"),
        ("2027-01-01,holiday,元旦\n2027-01-02,vacation,元旦\n", 2, "invalid kind"),
        ("2027-01-01,holiday,\n", 1, "needs a name"),
        ("# notice\n2027-01-01,holiday,元旦\n2027-01-01,holiday,元旦\n", 3, "duplicate of line 2"),
        ("2027-01-01\n", 1, "expected 3 columns"),
        ("2027-01-01,holiday,元旦,extra\n", 1, "expected 3 columns"),
    ],
)
def test_bad_rows_are_rejected_naming_the_line(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text, "utf-8")
    with pytest.raises(CalendarTableError) as info:
        Calendar.load(path)
    message = str(info.value)
    assert f"line {line}" in message and f"第 {line} 行" in message
    assert fragment in message
    assert str(path) in message


def test_missing_table_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CalendarTableError, match="cannot read"):
        Calendar.load(tmp_path / "absent.csv")


def test_far_dates_extend_the_span_lazily(cal: Calendar) -> None:
    assert cal.add_working_days(date(2040, 1, 1), 3) == date(2040, 1, 4)
    assert cal.working_days_between(date(1999, 12, 31), date(2000, 1, 7)) == 5
    assert cal.add_working_days(date(2026, 1, 1), 5000) > date(2045, 1, 1)
    with pytest.raises(ValueError):
        cal.add_working_days(date(2026, 1, 1), -1)
