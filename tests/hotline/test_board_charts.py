"""The board's daily-volume chart counts tickets per *local* day in the database (issue 17: it
had sent every timestamp of 30 days to Python). The day boundary is midnight in Shanghai, on
SQLite (a fixed +8 h) and PostgreSQL (the time zone) alike."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from sqlalchemy.engine import Engine
from sqlmodel import Session

from hotline.supervision import trends
from tests.hotline.conftest import Api, City


def test_daily_volume_counts_by_local_day(api: Api, city: City, engine: Engine) -> None:
    # 15:59 UTC is 23:59 in Shanghai on the 1st; 16:01 UTC is already 00:01 on the 2nd.
    for when in (datetime(2026, 12, 1, 15, 59, tzinfo=UTC), datetime(2026, 12, 1, 16, 1, tzinfo=UTC),
                 datetime(2026, 12, 2, 1, 0, tzinfo=UTC), datetime(2026, 11, 1, 12, 0, tzinfo=UTC)):
        with time_machine.travel(when, tick=False):
            api.create()
    now = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)
    with Session(engine) as s:
        days = dict(trends.daily_volume(s, now))
    assert len(days) == 30 and list(days)[-1] == "12-03"
    assert (days["12-01"], days["12-02"], days["12-03"]) == (1, 2, 0)
    assert sum(days.values()) == 3  # 11-01 lies outside the 30 days
