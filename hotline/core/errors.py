"""Domain errors; the API turns each into an RFC 9457 problem with a Chinese, actionable title."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status: int = 400
    slug: str = "bad-request"
    title: str = "请求有误"

    def __init__(self, detail: str, *, title: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if title:
            self.title = title
        self.extra = extra


class NotFound(DomainError):
    status, slug, title = 404, "not-found", "未找到"


class Forbidden(DomainError):
    status, slug, title = 403, "forbidden", "无权执行此操作"


class Conflict(DomainError):
    status, slug, title = 409, "conflict", "操作与工单当前状态冲突"


class VersionConflict(Conflict):
    slug, title = "version-conflict", "工单已被他人修改，请刷新后重试"


class Invalid(DomainError):
    status, slug, title = 422, "invalid", "提交的内容不符合要求"


class Unauthorized(DomainError):
    status, slug, title = 401, "unauthorized", "请先登录"


class TooManyRequests(DomainError):
    status, slug, title = 429, "too-many-requests", "查询过于频繁，请稍后再试"


class EmergencyNotDispatchable(Conflict):
    """CQ §10: a matter the safety detector judged an emergency is handed over at once, never
    made a work order; the problem offers the hand-over (``handover``) and names the override
    field an agent may fill with a reason."""

    slug, title = "emergency-handover-required", "紧急事项应立即移交，不能派发为工单"
