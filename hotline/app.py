"""The FastAPI application: API routers, problem details, health, the home page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import text

from hotline import __version__
from hotline.core.db import get_engine
from hotline.core.settings import get_settings
from hotline.core.sla_setup import get_calendar
from hotline.core.times import local, utcnow
from hotline.intake import api as intake
from hotline.linkage import api as integrations
from hotline.supervision import api as supervision
from hotline.tickets import api as tickets
from hotline.tickets import public_api as public
from hotline.units import api as admin
from hotline.units import auth_api as auth
from hotline.web import problems
from hotline.workers import embedded
from hotline.workers.embedded import EmbeddedScheduler

WEB = Path(__file__).resolve().parent / "web"
templates = Jinja2Templates(directory=str(WEB / "templates"))


def calendar_health() -> dict[str, Any]:
    """Loudly report years whose holiday table is missing (Mon–Fri fallback, provisional)."""
    this_year = local(utcnow()).year
    missing = get_calendar().provisional_years(this_year, this_year + 1)
    return {
        "provisional_years": missing,
        "warning": (f"{'、'.join(map(str, missing))} 年节假日安排未加载，期限按周一至周五暂算"
                    "（provisional）；请加载国务院办公厅节假日通知" if missing else None),
    }


def create_app() -> FastAPI:
    settings = get_settings()
    settings.check_safe()
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        jobs = EmbeddedScheduler() if embedded.enabled() else None
        if jobs:
            jobs.start()
        yield
        if jobs:
            jobs.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="12345 热线工单 API",
        version=__version__,
        description="登记、派单、办理、回访与时限管理。错误均为 RFC 9457 problem details。",
        openapi_url="/openapi.json",
    )
    problems.install(app)
    for router in (auth.router, tickets.router, admin.router, public.router, supervision.router,
                   supervision.inbox_router, intake.router, integrations.router):
        app.include_router(router, prefix="/api/v1")
    app.include_router(__import__("hotline.web.routes", fromlist=["router"]).router)  # the pages
    app.mount("/static", StaticFiles(directory=str(WEB / "static")), name="static")

    @app.get("/healthz", tags=["health"], summary="健康检查")
    def healthz() -> dict[str, Any]:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        cal = calendar_health()
        return {"status": "ok", "database": get_engine().dialect.name, "version": __version__,
                "demo_mode": settings.demo_mode, "calendar": cal}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(
            request, "home.html",
            {"settings": settings, "calendar": calendar_health(), "today": date.today()},
        )

    return app
