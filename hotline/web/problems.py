"""RFC 9457 problem details for every error, with a Chinese title a person can act on."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from hotline.core.errors import DomainError
from hotline.web.messages import zh_message

PROBLEM_BASE = "https://hotline.example.cn/problems/"
MEDIA_TYPE = "application/problem+json"

_HTTP_TITLES = {
    400: ("bad-request", "请求有误"),
    401: ("unauthorized", "请先登录"),
    403: ("forbidden", "无权执行此操作"),
    404: ("not-found", "未找到"),
    405: ("method-not-allowed", "不支持的请求方法"),
    406: ("not-acceptable", "不支持的响应格式"),
    409: ("conflict", "操作冲突"),
    413: ("too-large", "请求内容过大"),
    415: ("unsupported-media-type", "不支持的内容类型"),
    422: ("invalid", "提交的内容不符合要求"),
    429: ("too-many-requests", "请求过于频繁"),
}


def problem(
    status: int, slug: str, title: str, detail: str, instance: str | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {"type": PROBLEM_BASE + slug, "title": title, "status": status,
                            "detail": detail}
    if instance:
        body["instance"] = instance
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _loc(err: dict[str, Any]) -> str:
    return ".".join(str(p) for p in err.get("loc", ()) if p not in ("body",))


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return problem(exc.status, exc.slug, exc.title, exc.detail, request.url.path, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            # Chinese for the agent or integrator reading it; ``type`` stays pydantic's, for code.
            {"field": _loc(e), "message": zh_message(dict(e)), "type": e.get("type")}
            for e in exc.errors()
        ]
        detail = "；".join(f"{e['field'] or '请求'}: {e['message']}" for e in errors[:5])
        return problem(422, "validation-error", "提交的内容不符合要求", detail, request.url.path,
                       errors=errors)

    @app.exception_handler(DBAPIError)
    async def _database_unavailable(request: Request, exc: DBAPIError) -> JSONResponse:
        if not (isinstance(exc, OperationalError) or exc.connection_invalidated):
            raise exc  # a constraint or a statement gone wrong is ours: 500, logged
        # The database is restarting or unreachable (or a transaction lost a serialisation race):
        # a transient condition, so the honest answer is "try again shortly", not a crash. A
        # connection lost during COMMIT leaves the outcome unknown; the detail says so, and a
        # retried command carries its version, so it cannot apply twice (409 if it did apply).
        # Measured in bench/cityday.py's PostgreSQL restart: the API heals within seconds.
        response = problem(503, "database-unavailable", "数据库暂时不可用，请稍后重试",
                           "数据库连接中断或正在重启，本次操作结果未确认：请稍后查看工单后重试",
                           request.url.path)
        response.headers["Retry-After"] = "5"
        return response

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug, title = _HTTP_TITLES.get(exc.status_code, ("error", "请求失败"))
        detail = exc.detail if isinstance(exc.detail, str) else title
        return problem(exc.status_code, slug, title, detail, request.url.path)
