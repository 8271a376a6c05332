"""How pages are rendered: the Jinja2 environment, the shared page route, navigation.

Every page route goes through ``WebRoute``: a POST without a valid CSRF token is refused (403),
a missing session redirects to the login form, a domain error becomes a readable page with its
status (403/404/409/422), and the server time of every page is logged and sent back as a
``Server-Timing`` header. Features add the labels their templates need to ``templates.env``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from hotline.core.errors import DomainError
from hotline.core.sla_setup import get_calendar
from hotline.core.times import local, utcnow
from hotline.web.csrf import CsrfFailed, check_csrf, expected_csrf
from hotline.web.deps import LoginRequired
from hotline.web.request_work import WorkRoute

log = logging.getLogger("hotline.web")
WEB = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(WEB / "templates"))
WARN_LABELS = {"overdue": "超期", "at_risk": "临期", "normal": "正常"}
Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def dt(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return local(value).strftime(fmt) if value else "—"


def countdown(due: datetime | None, warning: str, now: datetime | None = None) -> str:
    """A list row's time left: working days while a day or more remains, hours (or minutes) in
    the last 24 hours, so a ticket due at 04:19 and one due at 23:59 tomorrow no longer both read
    "剩余 1 个工作日"; overdue likewise, in hours until a whole working day has passed."""
    if due is None:
        return "—"
    now = now or utcnow()
    cal, today, day = get_calendar(), local(now).date(), local(due).date()
    if warning == "overdue" or due <= now:
        days = max(cal.working_days_between(day, today), 0)
        return f"已超期 {days} 个工作日" if days else f"已超期 {_span(now - due)}"
    left = due - now
    if left < timedelta(hours=24):
        return f"剩余 {_span(left)}"
    return f"剩余 {max(cal.working_days_between(today, day), 0)} 个工作日"


def _span(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 1)
    return f"{minutes // 60} 小时" if minutes >= 60 else f"{minutes} 分钟"


templates.env.filters["dt"] = dt
templates.env.filters["countdown"] = countdown
templates.env.globals.update(WARN_LABELS=WARN_LABELS)


def error_page(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "error.html", {"title": title, "detail": detail, "status": status, "actor": None,
                                "csrf": expected_csrf(request) or "", "nav": []},
        status_code=status)


class WebRoute(WorkRoute):
    def get_route_handler(self) -> Handler:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            started = time.perf_counter()
            response: Response
            try:
                if request.method == "POST":
                    await check_csrf(request)
                response = await original(request)
            except CsrfFailed:
                response = error_page(request, 403, "请求已失效",
                                      "表单缺少有效的安全令牌（CSRF），请刷新页面后重试。")
            except LoginRequired:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                response = RedirectResponse(f"/login?next={quote(target)}", status_code=303)
            except DomainError as exc:
                response = error_page(request, exc.status, exc.title, exc.detail)
            ms = (time.perf_counter() - started) * 1000
            response.headers["Server-Timing"] = f"app;dur={ms:.1f}"
            log.info("page %s %s %d %.1f ms", request.method, request.url.path,
                     response.status_code, ms)
            return response

        return handler


def page(request: Request, name: str, ctx: dict[str, Any], status: int = 200) -> HTMLResponse:
    """Render a page template with what every page needs (its CSRF token, its path)."""
    base: dict[str, Any] = {"csrf": expected_csrf(request) or "", "path": request.url.path,
                            "actor": None, "nav": []}
    return templates.TemplateResponse(request, name, {**base, **ctx}, status_code=status)
