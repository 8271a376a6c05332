"""The supervisors' board page: what is at risk or overdue, what waits for the hotline, the
units' figures, the 110 links, the charts."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hotline.core.ids import small_int
from hotline.core.times import local, utcnow
from hotline.intake.request_types import REQUEST_TYPES
from hotline.linkage import outages
from hotline.linkage.reconcile import recent_links
from hotline.supervision import board as board_service
from hotline.supervision import report as report_service
from hotline.supervision import trends
from hotline.tickets import queues
from hotline.tickets.reading import TicketFilter
from hotline.units.deps import PageActorDep
from hotline.units.models import Role
from hotline.units.tree import dispatchable_units
from hotline.units.workspace import render, require_role
from hotline.web import charts
from hotline.web.deps import SessionDep
from hotline.web.render import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/board")
def board(request: Request, session: SessionDep, actor: PageActorDep, unit_id: str = "",
          category: str = "", request_type: str = "", warning: str = "attention") -> Response:
    require_role(actor, {Role.supervisor, Role.admin})
    now = utcnow()
    warning = warning if warning in ("attention", "overdue", "at_risk") else "attention"
    flt = TicketFilter(unit_id=small_int(unit_id), category=category.strip() or None,
                       request_type=request_type if request_type in REQUEST_TYPES else None,
                       warning=warning)
    data = board_service.board(session, actor, flt, now, 1, 40)
    params = {k: v for k, v in (("unit_id", unit_id), ("category", category),
                                ("request_type", request_type), ("warning", warning)) if v}
    month = local(now).strftime("%Y-%m")
    units_m, hotline_m = report_service.collect(session, month, None)
    ctx = {
        "items": data["items"], "total": data["total"], "counts": data["counts"][:12],
        "filters": {"unit_id": unit_id, "category": category, "request_type": request_type,
                    "warning": warning},
        "export_qs": urlencode(params), "units": dispatchable_units(session),
        "request_types": REQUEST_TYPES,
        "extensions": queues.pending_extensions(session),
        "returned": queues.returned_to_hotline(session, actor, now),
        "awaiting": queues.awaiting_dispatch(session, actor, now),
        "visits": queues.visit_queue(session, actor, now),
        "orders": board_service.open_orders(session, now),
        "metrics": [m.to_dict() for m in units_m[:15]], "hotline_m": hotline_m, "month": month,
        "alerts": board_service.alerts(session, now),
        "linked": recent_links(session),
        "outages": outages.open_outages(session),
        "chart_volume": charts.bars(trends.daily_volume(session, now), "近 30 天每日登记量"),
        "chart_categories": charts.hbars(trends.category_counts(session, now), "近 30 天诉求类别"),
        "chart_ontime": charts.line(trends.on_time_trend(session, now), "按时办结率（按周）"),
    }
    return render(request, "board.html", actor, ctx)
