"""Supervision over HTTP: the board, its exports, unit metrics, the monthly report, anomaly alerts."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from hotline.core.errors import Invalid
from hotline.core.ids import DbIdQuery
from hotline.core.times import utcnow
from hotline.intake.request_types import RequestType
from hotline.supervision import board as board_service
from hotline.supervision import hotspots
from hotline.supervision import report as report_service
from hotline.tickets.reading import TicketFilter
from hotline.tickets.schemas import TicketSummary
from hotline.units.actor import Actor
from hotline.units.deps import ActorDep, require_roles
from hotline.units.models import Role
from hotline.units.tree import subtree_unit_ids
from hotline.web.deps import SessionDep
from hotline.web.query import KnownQuery
from hotline.web.request_work import WorkRoute
from hotline.web.security import REPORT_CSP

router = APIRouter(prefix="/supervision", tags=["supervision"], route_class=WorkRoute)
Watchers = require_roles(Role.supervisor, Role.admin, Role.unit_manager)
Supervisors = require_roles(Role.supervisor, Role.admin)
Month = Annotated[str, Query(pattern=r"^(19|20)\d{2}-(0[1-9]|1[0-2])$", description="YYYY-MM")]


class UnitCountOut(BaseModel):
    unit_id: int | None
    unit_name: str
    overdue: int
    at_risk: int


class BoardOut(BaseModel):
    items: list[TicketSummary]
    total: int
    page: int
    page_size: int
    counts: list[UnitCountOut]


def _filter(unit_id: int | None, category: str | None, request_type: str | None,
            warning: str | None, min_overdue_days: int | None) -> TicketFilter:
    return TicketFilter(unit_id=unit_id, category=category, request_type=request_type,
                        warning=warning, min_overdue_days=min_overdue_days)


FilterArgs = dict[str, Any]


@router.get("/board", response_model=BoardOut, dependencies=[Watchers, KnownQuery],
            summary="督办看板：临期与超期工单（按紧急程度排序）及各单位计数")
def get_board(
    session: SessionDep, actor: ActorDep,
    unit_id: DbIdQuery = None,
    category: Annotated[str | None, Query(max_length=200)] = None,
    request_type: RequestType | None = None,
    warning: Literal["at_risk", "overdue", "attention"] | None = None,
    min_overdue_days: Annotated[int | None, Query(ge=1, le=365)] = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> BoardOut:
    flt = _filter(unit_id, category, request_type, warning, min_overdue_days)
    data = board_service.board(session, actor, flt, utcnow(), page, page_size)
    return BoardOut(items=data["items"], total=data["total"], page=page, page_size=page_size,
                    counts=[UnitCountOut(**asdict(c)) for c in data["counts"]])


@router.get("/board.{fmt}", dependencies=[Watchers], summary="导出督办清单（CSV 或 XLSX）",
            response_class=Response)
def export_board(
    session: SessionDep, actor: ActorDep, fmt: Literal["csv", "xlsx"],
    unit_id: DbIdQuery = None,
    category: Annotated[str | None, Query(max_length=200)] = None,
    request_type: RequestType | None = None,
    warning: Literal["at_risk", "overdue", "attention"] | None = None,
    min_overdue_days: Annotated[int | None, Query(ge=1, le=365)] = None,
) -> Response:
    flt = _filter(unit_id, category, request_type, warning, min_overdue_days)
    rows = board_service.export_rows(session, actor, flt, utcnow())
    if fmt == "csv":
        return Response(board_service.to_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="board.csv"'})
    return Response(board_service.to_xlsx(rows),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="board.xlsx"'})


def _scope(session: SessionDep, actor: Actor) -> list[int] | None:
    """Managers see the units of their own subtree; the hotline side sees every unit."""
    return None if actor.hotline_side else subtree_unit_ids(session, actor.unit.path)


@router.get("/metrics", dependencies=[Watchers],
            summary="单位绩效指标：月度监测（month）或年度评估（year），口径见 docs/METRICS.md")
def metrics(session: SessionDep, actor: ActorDep,
            month: Annotated[str | None, Query(pattern=r"^(19|20)\d{2}-(0[1-9]|1[0-2])$",
                                               description="YYYY-MM")] = None,
            year: Annotated[int | None, Query(ge=1990, le=2099, description="年度评估 (CQ §24)")] = None,
            ) -> dict[str, Any]:
    if (month is None) == (year is None):
        raise Invalid("month 与 year 必须且只能给一个", title="统计期不正确")
    period = month if month is not None else str(year)
    try:
        units, hotline = report_service.collect(session, period, _scope(session, actor))
    except ValueError as exc:
        raise Invalid(f"统计期格式不正确：{period}") from exc
    key = "month" if month is not None else "year"
    return {key: month if month is not None else year, "units": [m.to_dict() for m in units],
            "hotline": hotline.to_dict()}


@router.get("/report", dependencies=[Watchers], summary="月度单位考评报告（HTML 或 XLSX）",
            response_class=Response)
def report(session: SessionDep, actor: ActorDep, month: Month,
           format: Literal["html", "xlsx"] = "html") -> Response:
    try:
        units, hotline = report_service.collect(session, month, _scope(session, actor))
    except ValueError as exc:
        raise Invalid(f"月份格式不正确：{month}") from exc
    if format == "xlsx":
        return Response(report_service.to_xlsx(month, units, hotline),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="report-{month}.xlsx"'})
    return HTMLResponse(report_service.to_html(month, units, hotline),
                        headers={"Content-Security-Policy": REPORT_CSP})


@router.get("/anomalies", dependencies=[Supervisors], summary="异常预警（诉求激增、单位积压/超期激增）")
def anomalies(session: SessionDep, days: Annotated[int, Query(ge=1, le=90)] = 7) -> list[dict[str, Any]]:
    return [r.model_dump(mode="json") for r in board_service.alerts(session, utcnow(), days, limit=None)]


@router.get("/hotspots", dependencies=[Watchers, KnownQuery],
            summary="热点诉求：同一街道、同一类别的相似诉求聚类，含件数、上一时段件数与趋势")
def get_hotspots(session: SessionDep, actor: ActorDep,
                 window: Literal["day", "week"] = "day",
                 sort: Literal["count", "change", "street", "category"] = "count",
                 ) -> dict[str, Any]:
    """A manager sees the streets of their own subtree; the hotline side every street."""
    items = hotspots.hotspots(session, utcnow(), window, _scope(session, actor), sort=sort)
    return {"window": window, "items": [h.to_dict() for h in items]}
