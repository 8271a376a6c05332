"""The supervisors' board page: what is at risk or overdue, what waits for the hotline, the
units' figures, the 110 links, the charts."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from hotline.core.ids import small_int
from hotline.core.times import local, utcnow
from hotline.intake.request_types import REQUEST_TYPES
from hotline.linkage import outages
from hotline.linkage.reconcile import recent_links
from hotline.supervision import board as board_service
from hotline.supervision import report as report_service
from hotline.supervision import report_snapshots, trends
from hotline.tickets import queues
from hotline.tickets.reading import TicketFilter
from hotline.tickets.workflow import BY_ACTION
from hotline.units.deps import PageActorDep
from hotline.units.models import Role
from hotline.units.tree import dispatchable_units
from hotline.units.workspace import render, require_role
from hotline.web import charts
from hotline.web.deps import SessionDep
from hotline.web.render import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PAGE_SIZE = 25
SHOW_ALL = 1000  # "显示全部" still has a ceiling: beyond it the export is the tool


def _pager(total: int, page: int, size: int, params: dict[str, str]) -> dict[str, object]:
    """Page links that keep the filters in the URL, so a supervisor can share or reload a view."""
    pages = max(1, -(-total // size))

    def link(n: int) -> str:
        return "/board?" + urlencode({**params, "page": str(n)}) + "#attention"

    return {"page": page, "pages": pages, "size": size, "total": total,
            "first": (page - 1) * size + 1 if total else 0, "last": min(page * size, total),
            "prev": link(page - 1) if page > 1 else None,
            "next": link(page + 1) if page < pages else None,
            "all": "/board?" + urlencode({**params, "all": "1"}) + "#attention",
            "paged": "/board?" + urlencode(params) + "#attention",
            "links": [(n, link(n)) for n in range(1, pages + 1)] if pages <= 12 else []}


@router.get("/board")
def board(request: Request, session: SessionDep, actor: PageActorDep, unit_id: str = "",
          category: str = "", request_type: str = "", warning: str = "attention", page: int = 1,
          show_all: Annotated[str, Query(alias="all")] = "", done: str = "",
          t: str = "") -> Response:
    require_role(actor, {Role.supervisor, Role.admin})
    now = utcnow()
    warning = warning if warning in ("attention", "overdue", "at_risk") else "attention"
    flt = TicketFilter(unit_id=small_int(unit_id), category=category.strip() or None,
                       request_type=request_type if request_type in REQUEST_TYPES else None,
                       warning=warning)
    size = SHOW_ALL if show_all else PAGE_SIZE
    page = 1 if show_all else max(1, min(page, 100_000))
    data = board_service.board(session, actor, flt, now, page, size)
    params = {k: v for k, v in (("unit_id", unit_id), ("category", category),
                                ("request_type", request_type), ("warning", warning)) if v}
    pager = _pager(data["total"], page, size, params)
    month = local(now).strftime("%Y-%m")
    returned = queues.returned_to_hotline(session, actor, now)
    monthly = report_snapshots.figures(session, month, now)
    ctx = {
        "items": data["items"], "total": data["total"], "counts": data["counts"][:12],
        "pager": pager, "showing_all": bool(show_all),
        "filters": {"unit_id": unit_id, "category": category, "request_type": request_type,
                    "warning": warning},
        "export_qs": urlencode(params), "units": dispatchable_units(session),
        "request_types": REQUEST_TYPES,
        "extensions": queues.pending_extensions(session),
        "returned": returned,
        "return_reasons": queues.return_reasons(session, [r.number for r in returned]),
        "awaiting": queues.awaiting_dispatch(session, actor, now),
        "visits": queues.visit_queue(session, actor, now),
        "orders": board_service.open_orders(session, now, manual=True),
        "auto_orders": board_service.open_orders(session, now, manual=False),
        "metrics": [m.to_dict() for m in monthly.units[:15]], "hotline_m": monthly.hotline,
        "month": month, "metrics_at": local(monthly.computed_at).strftime("%H:%M"),
        "alerts": board_service.alerts(session, now),
        "linked": recent_links(session),
        "outages": outages.open_outages(session),
        "chart_volume": charts.bars(trends.daily_volume(session, now), "近 30 天每日登记量"),
        "chart_categories": charts.hbars(trends.category_counts(session, now), "近 30 天诉求类别"),
        "chart_ontime": charts.line(trends.on_time_trend(session, now), "按时办结率（按周）"),
    }
    if done in BY_ACTION:  # an inline decision (延期审批) came back here
        ctx["flash"] = f"工单 {t[:20]} 已{BY_ACTION[done].label}"
    return render(request, "board.html", actor, ctx)


@router.get("/report")
def monthly_report(request: Request, session: SessionDep, actor: PageActorDep,
                   month: str = "") -> Response:
    """The monthly unit evaluation (CQ §24) as a page, with a month selector and the Excel
    download beside it; early in a month it opens on the month just ended."""
    require_role(actor, {Role.supervisor, Role.admin})
    today = local(utcnow()).date()
    months = report_service.recent_months(today)
    month = month if month in months else report_service.default_month(today)
    monthly = report_snapshots.figures(session, month, utcnow())
    year, mon = month.split("-")
    return render(request, "report.html", actor, {
        "month": month, "months": months, "title": f"{year}年{int(mon)}月 承办单位考评",
        "headers": [label for _, label, _ in report_service.COLUMNS],
        "rows": report_service.rows(monthly.units), "hotline_m": monthly.hotline,
        "computed_at": local(monthly.computed_at).strftime("%Y-%m-%d %H:%M")})
