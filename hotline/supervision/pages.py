"""The supervisors' board page: what is at risk or overdue, what waits for the hotline, the
units' figures, the 110 links, the charts."""

from __future__ import annotations

from datetime import datetime
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
from hotline.supervision import hotspots, report_snapshots, trends
from hotline.supervision import report as report_service
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


def _pager(total: int, page: int, size: int, params: dict[str, str], *, key: str = "page",
           anchor: str = "attention") -> dict[str, object]:
    """Page links that keep the filters in the URL, so a supervisor can share or reload a view.
    ``key``/``anchor``: the page parameter and the section (the hotspots page on their own)."""
    pages = max(1, -(-total // size))

    def link(n: int) -> str:
        return "/board?" + urlencode({**params, key: str(n)}) + f"#{anchor}"

    return {"page": page, "pages": pages, "size": size, "total": total,
            "first": (page - 1) * size + 1 if total else 0, "last": min(page * size, total),
            "prev": link(page - 1) if page > 1 else None,
            "next": link(page + 1) if page < pages else None,
            "all": "/board?" + urlencode({**params, "all": "1"}) + f"#{anchor}",
            "paged": "/board?" + urlencode(params) + f"#{anchor}",
            "links": [(n, link(n)) for n in range(1, pages + 1)] if pages <= 12 else []}


@router.get("/board")
def board(request: Request, session: SessionDep, actor: PageActorDep, unit_id: str = "",
          category: str = "", request_type: str = "", warning: str = "attention", page: int = 1,
          show_all: Annotated[str, Query(alias="all")] = "", done: str = "",
          t: str = "", hot_window: str = "day", hot_sort: str = "count",
          hot_page: int = 1) -> Response:
    require_role(actor, {Role.supervisor, Role.admin})
    now = utcnow()
    warning = warning if warning in ("attention", "overdue", "at_risk") else "attention"
    flt = TicketFilter(unit_id=small_int(unit_id), category=category.strip() or None,
                       request_type=request_type if request_type in REQUEST_TYPES else None,
                       warning=warning)
    size = SHOW_ALL if show_all else PAGE_SIZE
    page = 1 if show_all else max(1, min(page, 100_000))
    data = board_service.board(session, actor, flt, now, page, size)
    hot_window = hot_window if hot_window in hotspots.WINDOWS else "day"
    hot_sort = hot_sort if hot_sort in hotspots.SORTS else "count"
    hot_params = {k: v for k, v in (("hot_window", hot_window), ("hot_sort", hot_sort))
                  if v not in ("day", "count")}
    params = {k: v for k, v in (("unit_id", unit_id), ("category", category),
                                ("request_type", request_type), ("warning", warning)) if v}
    pager = _pager(data["total"], page, size, {**params, **hot_params})
    hot = _hotspot_view(session, now, hot_window, hot_sort, hot_page,
                        {**params, **({"page": str(page)} if page > 1 else {})}, hot_params)
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
        "hot": hot,
        "linked": recent_links(session),
        "outages": outages.open_outages(session),
        "chart_volume": charts.bars(trends.daily_volume(session, now), "近 30 天每日登记量"),
        "chart_categories": charts.hbars(trends.category_counts(session, now), "近 30 天诉求类别"),
        "chart_ontime": charts.line(trends.on_time_trend(session, now), "按时办结率（按周）"),
    }
    if done in BY_ACTION:  # an inline decision (延期审批) came back here
        ctx["flash"] = f"工单 {t[:20]} 已{BY_ACTION[done].label}"
    return render(request, "board.html", actor, ctx)


HOT_PAGE_SIZE = 10


def _hotspot_view(session: SessionDep, now: datetime, window: str, sort: str, page: int,
                  board_params: dict[str, str], hot_params: dict[str, str]) -> dict[str, object]:
    """The 热点 section: one window's hotspots, one page of them, and the links that switch the
    window or the order while keeping the rest of the board's state in the URL."""
    items = hotspots.hotspots(session, now, window, sort=sort)
    pages = max(1, -(-len(items) // HOT_PAGE_SIZE))
    page = max(1, min(page, pages))

    def href(**change: str) -> str:
        merged = {**board_params, **hot_params, **change}
        merged = {k: v for k, v in merged.items()
                  if (k, v) not in (("hot_window", "day"), ("hot_sort", "count"))}
        return "/board?" + urlencode(merged) + "#hotspots"

    return {
        "items": items[(page - 1) * HOT_PAGE_SIZE:page * HOT_PAGE_SIZE], "total": len(items),
        "window": window, "sort": sort, "window_label": hotspots.WINDOW_LABELS[window],
        "previous_label": hotspots.PREVIOUS_LABELS[window],
        "windows": [(w, hotspots.WINDOW_LABELS[w], href(hot_window=w, hot_page="1"))
                    for w in hotspots.WINDOWS],
        "sorts": {s: href(hot_sort=s, hot_page="1") for s in hotspots.SORTS},
        "pager": _pager(len(items), page, HOT_PAGE_SIZE, {**board_params, **hot_params},
                        key="hot_page", anchor="hotspots"),
    }


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
