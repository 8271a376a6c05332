"""The monthly evaluation as the board and the report page show it: computed at most every
``HOTLINE_REPORT_REFRESH_SECONDS``, stored, and read back.

Computing a month's figures replays the history of every ticket whose deadline fell in it
(``metrics.overdue_undone``): 50 ms for the demo city, tens of seconds for a city's month at a
million tickets. A supervisor's board is opened all day; it must not pay that on every view.
So the periodic job ``refresh_reports`` keeps the current month's snapshot fresh, a view reads
the snapshot and shows when it was computed, and only a missing or stale snapshot is computed
on a view (then stored, after the read, in a short write of its own). A month that has ended
no longer changes once computed after its end, so its snapshot is final.

The Excel download and ``GET /api/v1/supervision/report`` stay exact: they compute on request.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta

from sqlmodel import Session

from hotline.core.columns import table_of
from hotline.core.db import upsert, write_after_read
from hotline.core.settings import get_settings
from hotline.core.times import as_utc, local
from hotline.supervision import report
from hotline.supervision.metrics import HotlineMetrics, UnitMetrics
from hotline.supervision.models import ReportSnapshot

_UNIT_FIELDS = {f.name for f in fields(UnitMetrics)}


@dataclass(frozen=True)
class MonthFigures:
    month: str
    units: list[UnitMetrics]
    hotline: HotlineMetrics
    computed_at: datetime


def _is_final(month: str, computed_at: datetime) -> bool:
    _, end = report.month_bounds(month)
    return as_utc(computed_at) >= end


def _from_row(row: ReportSnapshot) -> MonthFigures:
    units = [UnitMetrics(**{k: v for k, v in u.items() if k in _UNIT_FIELDS}) for u in row.units]
    return MonthFigures(row.month, units, HotlineMetrics(**row.hotline), as_utc(row.computed_at))


def compute(session: Session, month: str, now: datetime) -> MonthFigures:
    units, hotline = report.collect(session, month, None)
    return MonthFigures(month, units, hotline, now)


def store(session: Session, figures: MonthFigures) -> None:
    values = {"month": figures.month, "computed_at": figures.computed_at,
              "units": [asdict(u) for u in figures.units], "hotline": asdict(figures.hotline)}
    session.execute(upsert(session, table_of(ReportSnapshot), values, ["month"],
                           {k: v for k, v in values.items() if k != "month"}))


def figures(session: Session, month: str, now: datetime) -> MonthFigures:
    """The month's figures, from the snapshot when it is fresh enough (or final)."""
    row = session.get(ReportSnapshot, month)
    max_age = timedelta(seconds=get_settings().report_refresh_seconds)
    if row is not None and (_is_final(month, row.computed_at)
                            or as_utc(row.computed_at) >= now - max_age):
        return _from_row(row)
    fresh = compute(session, month, now)
    write_after_read(session, lambda s: store(s, fresh))
    return fresh


def refresh(session: Session, now: datetime) -> dict[str, object]:
    """The periodic job's work: recompute this month (and, in the first days of a month, the
    one just ended, which the report page opens on until its snapshot is final)."""
    months = {local(now).strftime("%Y-%m"), report.default_month(local(now).date())}
    done = {}
    for month in sorted(months):
        row = session.get(ReportSnapshot, month)
        if row is not None and _is_final(month, row.computed_at):
            continue
        fresh = compute(session, month, now)
        store(session, fresh)
        done[month] = len(fresh.units)
    return {"refreshed": done}
