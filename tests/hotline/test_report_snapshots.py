"""The board's monthly evaluation is read from a snapshot (issue 17: the board had replayed a
month of tickets on every view), fresh within HOTLINE_REPORT_REFRESH_SECONDS, final once a month
has ended, and kept fresh by the periodic job. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import time_machine
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hotline.core.db import unit_of_work
from hotline.supervision import report, report_snapshots
from hotline.supervision.models import BoardSnapshot
from hotline.workers import jobs
from hotline.workers.schedule import periodic
from sla import SHANGHAI
from tests.hotline.conftest import Api, City
from tests.hotline.test_metrics import build_november


def _by_unit(figures: report_snapshots.MonthFigures) -> dict[str, dict[str, object]]:
    return {m.unit_name: m.to_dict() for m in figures.units}


def test_snapshot_equals_the_live_computation_and_is_reused_while_fresh(
        api: Api, city: City, engine: Engine) -> None:
    build_november(api, city)
    at = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
    with Session(engine) as s:
        live_units, live_hotline = report.collect(s, "2026-11", None)
        first = report_snapshots.figures(s, "2026-11", at)  # none stored: computed, then stored
        s.commit()
    assert {m.unit_name: m.to_dict() for m in live_units} == _by_unit(first)
    assert first.hotline == live_hotline and first.computed_at == at
    with Session(engine) as s:
        row = s.get(BoardSnapshot, "report:2026-11")
        assert row is not None and row.payload["units"] and row.payload["hotline"]["registered"] == 5

    # A new act in November: a view within the refresh period still shows the snapshot …
    with time_machine.travel(datetime(2026, 11, 20, 10, 1, tzinfo=SHANGHAI), tick=False):
        number = api.create()["number"]
        api.act("agent", number, "answer_directly", answer="按知识库答复")
    with Session(engine) as s:
        again = report_snapshots.figures(s, "2026-11", at + timedelta(seconds=120))
    assert again.computed_at == at and again.hotline.registered == 5
    # … and after it the view recomputes, sees the act, and stores the new figures.
    later = at + timedelta(seconds=301)
    with Session(engine) as s:
        fresh = report_snapshots.figures(s, "2026-11", later)
        s.commit()
    assert fresh.computed_at == later and fresh.hotline.registered == 6
    with Session(engine) as s:
        assert report_snapshots.figures(s, "2026-11", later).hotline.registered == 6


def test_a_view_in_a_read_unit_of_work_stores_after_the_read(
        api: Api, city: City, engine: Engine) -> None:
    """A GET reads without the write lock (SQLite); the computed snapshot is written after it."""
    build_november(api, city)
    at = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
    with unit_of_work(engine, write=False) as s:
        shown = report_snapshots.figures(s, "2026-11", at)
        assert s.get(BoardSnapshot, "report:2026-11") is None  # not yet: the read is still open
    with Session(engine) as s:
        row = s.get(BoardSnapshot, "report:2026-11")
        assert row is not None and row.computed_at == shown.computed_at


def test_an_ended_month_is_final_and_the_job_keeps_the_current_one_fresh(
        api: Api, city: City, engine: Engine) -> None:
    build_november(api, city)
    dec2 = datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI)
    # Early December: the job computes December and November (the report opens on November).
    result = jobs.refresh_reports(now=dec2)
    assert set(result["refreshed"]) == {"2026-11", "2026-12"}  # type: ignore[call-overload]
    with Session(engine) as s:
        months = {r.key.removeprefix("report:"): r.computed_at
                  for r in s.exec(select(BoardSnapshot)) if r.key.startswith("report:")}
    assert months == {"2026-11": dec2, "2026-12": dec2}
    # November was computed after it ended: final. A month later it is still read, not recomputed.
    jan = datetime(2027, 1, 3, 9, 0, tzinfo=SHANGHAI)
    with Session(engine) as s:
        assert report_snapshots.figures(s, "2026-11", jan).computed_at == dec2
    again = jobs.refresh_reports(now=dec2 + timedelta(minutes=5))
    assert set(again["refreshed"]) == {"2026-12"}  # type: ignore[call-overload]
    # The job is scheduled at the configured period.
    intervals = {func.__name__: interval for func, _, interval in periodic()}
    assert intervals["refresh_reports"] == 300
