"""The monthly evaluation as the board and the report page show it (a ``snapshots`` figure).

Computing a month's figures replays the history of every ticket whose deadline fell in it
(``metrics.overdue_undone``): 50 ms for the demo city, tens of seconds for a city's month at a
million tickets. The periodic job ``refresh_reports`` keeps the current month fresh every
``HOTLINE_REPORT_REFRESH_SECONDS``; a month computed after its end no longer changes, so its
figures are final. The Excel download and ``GET /api/v1/supervision/report`` stay exact: they
compute on request.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from hotline.core.settings import get_settings
from hotline.core.times import local
from hotline.supervision import report, snapshots
from hotline.supervision.metrics import HotlineMetrics, UnitMetrics

_UNIT_FIELDS = {f.name for f in fields(UnitMetrics)}


@dataclass(frozen=True)
class MonthFigures:
    month: str
    units: list[UnitMetrics]
    hotline: HotlineMetrics
    computed_at: datetime


def _key(month: str) -> str:
    return f"report:{month}"


def _final(month: str) -> Any:
    _, end = report.month_bounds(month)
    return lambda computed_at: computed_at >= end


def _dump(figures: tuple[list[UnitMetrics], HotlineMetrics]) -> dict[str, Any]:
    units, hotline = figures
    return {"units": [asdict(u) for u in units], "hotline": asdict(hotline)}


def _load(payload: dict[str, Any]) -> tuple[list[UnitMetrics], HotlineMetrics]:
    units = [UnitMetrics(**{k: v for k, v in u.items() if k in _UNIT_FIELDS})
             for u in payload["units"]]
    return units, HotlineMetrics(**payload["hotline"])


def figures(session: Session, month: str, now: datetime) -> MonthFigures:
    """The month's figures, from the stored ones when fresh enough (or final)."""
    got = snapshots.read(session, _key(month), now,
                         timedelta(seconds=get_settings().report_refresh_seconds),
                         lambda: report.collect(session, month, None), _dump, _load,
                         final=_final(month))
    units, hotline = got.value
    return MonthFigures(month, units, hotline, got.computed_at)


def refresh(session: Session, now: datetime) -> dict[str, object]:
    """The periodic job's work: recompute this month (and, in the first days of a month, the
    one just ended, which the report page opens on until its figures are final)."""
    months = {local(now).strftime("%Y-%m"), report.default_month(local(now).date())}
    done = {}
    for month in sorted(months):
        at = snapshots.computed_at(session, _key(month))
        if at is not None and _final(month)(at):
            continue
        units, hotline = report.collect(session, month, None)
        snapshots.store(session, _key(month), now, _dump((units, hotline)))
        done[month] = len(units)
    return {"refreshed": done}
