"""The one assembly of the application: every feature's API router and pages, problem details,
health, static files, the receivers (``hotline.wiring``) and the embedded job timer.

``hotline serve``, the tests and the benchmarks all build the app here; nothing else mounts a
router.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, FastAPI
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from hotline import __version__, probes, telemetry, wiring
from hotline.callers import api as callers_api
from hotline.core import logs
from hotline.core.settings import get_settings
from hotline.intake import api as intake_api
from hotline.kb import api as kb_api
from hotline.kb import pages as kb_pages
from hotline.linkage import api as linkage_api
from hotline.notifications import api as notifications_api
from hotline.supervision import api as supervision_api
from hotline.supervision import pages as supervision_pages
from hotline.tickets import api as tickets_api
from hotline.tickets import pages as tickets_pages
from hotline.units import api as units_api
from hotline.units import pages as units_pages
from hotline.web import problems
from hotline.web.admission import Admission
from hotline.web.bodylimit import BodyLimit
from hotline.web.controlchars import RefuseControlChars
from hotline.web.keepalive import RecycleConnections
from hotline.web.render import WEB
from hotline.web.request_ids import RequestIds
from hotline.web.security import SecurityHeaders, TrustedProxies
from hotline.workers.embedded import EmbeddedScheduler, enabled

#: Every feature's API routers, mounted under /api/v1.
API_ROUTERS: tuple[APIRouter, ...] = (
    *units_api.routers, *tickets_api.routers, intake_api.router, supervision_api.router,
    notifications_api.router, linkage_api.router, callers_api.router, kb_api.router,
    kb_api.public_router)
#: Every feature's pages.
PAGE_ROUTERS: tuple[APIRouter, ...] = (units_pages.router, tickets_pages.router,
                                       supervision_pages.router, kb_pages.router)


def health() -> dict[str, Any]:
    return probes.liveness()


def ready() -> Response:
    """Readiness in the health-check shape; 503 only when this process cannot serve."""
    status, body = probes.readiness()
    return Response(json.dumps(body, ensure_ascii=False, default=str), status_code=status,
                    media_type="application/health+json")


def metrics() -> Response:
    payload, content_type = telemetry.exposition()
    return Response(payload, media_type=content_type)


def create_app() -> FastAPI:
    settings = get_settings()
    settings.check_safe()
    logs.configure(settings.log_level)
    wiring.install()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Sync handlers run on this pool, one hop per request (web.request_work): never fewer
        # threads than admitted requests, so an admitted request always finds a thread.
        threads = to_thread.current_default_thread_limiter()
        threads.total_tokens = max(threads.total_tokens, 2 * settings.max_concurrent_requests)
        jobs = EmbeddedScheduler() if enabled() else None
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
        # The API's map is public only where a setting says so (on in demo mode).
        openapi_url="/openapi.json" if settings.api_docs_enabled else None,
    )
    problems.install(app)
    for router in API_ROUTERS:
        app.include_router(router, prefix="/api/v1")
    for router in PAGE_ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(WEB / "static")), name="static")
    app.add_api_route("/healthz", health, methods=["GET"], tags=["health"], summary="健康检查")
    # Probes for the platform, not API for people: documented in docs/OPERATIONS.md.
    app.add_api_route("/readyz", ready, methods=["GET"], include_in_schema=False)
    app.add_api_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
    app.add_middleware(RefuseControlChars)  # innermost: reads a body only once admitted
    app.add_middleware(Admission, limit=settings.max_concurrent_requests,
                       queue=settings.max_queued_requests, timeout=settings.queue_timeout_seconds)
    app.add_middleware(telemetry.RequestMetrics)  # outside admission: shed requests are counted
    app.add_middleware(RequestIds)  # outside the metrics: their own lines carry the id
    # An oversized body is refused before it is read, queued or authenticated (the headers
    # and the client address below still wrap that refusal).
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    # Outermost: every response gets the headers; the client address is settled before anyone reads it.
    app.add_middleware(SecurityHeaders, hsts_seconds=settings.hsts_seconds)
    app.add_middleware(TrustedProxies, trusted=settings.trusted_proxies)
    # Outside everything: counts requests per TCP connection, before a proxy's address is trusted.
    app.add_middleware(RecycleConnections, max_requests=settings.keepalive_max_requests)
    return app
