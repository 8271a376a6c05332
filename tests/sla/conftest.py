"""Shared fixtures: the built-in calendar and policy, a realistic 2027 table, the data path."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from sla import SHANGHAI, Calendar, PolicySet

REPO = Path(__file__).resolve().parents[2]

# A plausible State Council notice for 2027 (written for the tests; not the real notice).
TABLE_2027 = """\
date,kind,name
# 元旦
2027-01-01,holiday,元旦
2027-01-02,holiday,元旦
2027-01-03,holiday,元旦
# 春节: 2月5日（除夕）至14日放假调休，1月31日（周日）、2月20日（周六）上班
2027-01-31,workday,春节
2027-02-05,holiday,春节
2027-02-06,holiday,春节
2027-02-07,holiday,春节
2027-02-08,holiday,春节
2027-02-09,holiday,春节
2027-02-10,holiday,春节
2027-02-11,holiday,春节
2027-02-12,holiday,春节
2027-02-13,holiday,春节
2027-02-14,holiday,春节
2027-02-20,workday,春节
# 清明节
2027-04-03,holiday,清明节
2027-04-04,holiday,清明节
2027-04-05,holiday,清明节
# 劳动节: 5月1日至5日放假调休，5月8日（周六）上班
2027-05-01,holiday,劳动节
2027-05-02,holiday,劳动节
2027-05-03,holiday,劳动节
2027-05-04,holiday,劳动节
2027-05-05,holiday,劳动节
2027-05-08,workday,劳动节
# 端午节、中秋节
2027-06-09,holiday,端午节
2027-09-15,holiday,中秋节
# 国庆节: 10月1日至7日放假调休，9月26日（周日）、10月9日（周六）上班
2027-09-26,workday,国庆节
2027-10-01,holiday,国庆节
2027-10-02,holiday,国庆节
2027-10-03,holiday,国庆节
2027-10-04,holiday,国庆节
2027-10-05,holiday,国庆节
2027-10-06,holiday,国庆节
2027-10-07,holiday,国庆节
2027-10-09,workday,国庆节
"""


def sh(*args: int) -> datetime:
    """A Shanghai wall-clock time, for readable test tables."""
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


def shared_data(relative: str) -> Path:
    """Data from ../shared/data next to the repository; the test is skipped when absent."""
    path = REPO.parent / "shared" / "data" / relative
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    return path


@pytest.fixture(scope="session")
def cal() -> Calendar:
    return Calendar.load()


@pytest.fixture(scope="session")
def policy() -> PolicySet:
    return PolicySet.load()


@pytest.fixture
def table_2027(tmp_path: Path) -> Path:
    path = tmp_path / "holidays-2027.csv"
    path.write_text(TABLE_2027, encoding="utf-8")
    return path


@pytest.fixture
def cal_2027(table_2027: Path) -> Calendar:
    return Calendar.load(table_2027)
