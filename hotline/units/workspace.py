"""What a signed-in person sees around every page: the navigation for their role, their home page."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from hotline.core.errors import Forbidden
from hotline.units.actor import HOTLINE_SIDE, Actor
from hotline.units.models import ROLE_LABELS, Role
from hotline.web.render import page, templates

templates.env.globals.update(ROLE_LABELS=ROLE_LABELS)


def nav_for(actor: Actor) -> list[tuple[str, str, str]]:
    """(href, label, accesskey) of the navigation for this role."""
    role = actor.role
    items: list[tuple[str, str, str]] = []
    if role in (Role.supervisor, Role.admin):
        items += [("/board", "督办看板", "1"), ("/report", "考评报告", "6")]
    if role in HOTLINE_SIDE:
        items += [("/console", "受理台", "2"), ("/visits", "回访", "3")]
    else:
        items.append(("/inbox", "收件箱", "1"))
    items += [("/search", "工单查询", "4"), ("/progress", "进度查询", "5")]
    return items


def home_for(actor: Actor) -> str:
    if actor.role == Role.agent:
        return "/console"
    if actor.role in (Role.supervisor, Role.admin):
        return "/board"
    return "/inbox"


def render(request: Request, name: str, actor: Actor | None, ctx: dict[str, Any],
           status: int = 200) -> HTMLResponse:
    """A page for this person: their navigation and role around the feature's content."""
    frame = {"actor": actor, "nav": nav_for(actor) if actor else [],
             "role_label": ROLE_LABELS[actor.role] if actor else ""}
    return page(request, name, {**frame, **ctx}, status)


def require_role(actor: Actor, roles: frozenset[Role] | set[Role]) -> None:
    """A page's role check."""
    if actor.role not in roles:
        raise Forbidden("您的角色无权访问此页面", title="无权访问")
