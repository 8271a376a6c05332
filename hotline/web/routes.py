"""The server-rendered pages (Jinja2 + htmx), built on the services, never on the HTTP API.

Every page route goes through ``WebRoute``: a POST without a valid CSRF token is refused (403),
a missing session redirects to the login form, a domain error becomes a readable page with
its status (403/404/409/422), and the server time of every page is logged and sent back as a
``Server-Timing`` header.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from sqlmodel import Session

from hotline.core.db import session_scope
from hotline.core.errors import DomainError, NotFound, TooManyRequests
from hotline.core.settings import get_settings
from hotline.core.times import local, utcnow
from hotline.supervision import board as board_service
from hotline.supervision import report as report_service
from hotline.tickets.commands import apply, facts_for, visible_ticket
from hotline.tickets.models import CHANNEL_LABELS, REQUEST_TYPES, Channel
from hotline.tickets.reading import (
    TicketFilter,
    create_ticket,
    list_tickets,
    public_progress,
    ticket_detail,
)
from hotline.tickets.schemas import TicketCreate
from hotline.tickets.visibility import can_see
from hotline.tickets.workflow import (
    BY_ACTION,
    HOTLINE_ROLES,
    NOT_ACCEPTED_LABELS,
    RATING_LABELS,
    STATUS_LABELS,
    AnswerDirectly,
    Dispatch,
    EmergencyHandover,
    NotAccept,
    WarmTransfer,
    allowed_actions,
)
from hotline.units.actor import Actor
from hotline.units.models import ROLE_LABELS, Role, Unit
from hotline.units.users import authenticate
from hotline.web import charts, forms, queries
from hotline.web.deps import COOKIE, issue_token
from hotline.web.ratelimit import limiter
from hotline.web.security import (
    CSRF_COOKIE,
    NONCE_COOKIE,
    CsrfFailed,
    LoginRequired,
    check_csrf,
    csrf_for_nonce,
    csrf_for_session,
    expected_csrf,
    new_nonce,
    page_actor,
)

log = logging.getLogger("hotline.web")
WEB = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(WEB / "templates"))
WARN_LABELS = {"overdue": "超期", "at_risk": "临期", "normal": "正常"}
HANDLER = Callable[[Request], Coroutine[Any, Any, Response]]


def _dt(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return local(value).strftime(fmt) if value else "—"


def _countdown(due: datetime | None, warning: str) -> str:
    """'剩余 2 个工作日' / '已超期 1 个工作日' for list rows (working days from the calendar)."""
    if due is None:
        return "—"
    from hotline.core.sla_setup import get_calendar

    cal, today, day = get_calendar(), local(utcnow()).date(), local(due).date()
    if warning == "overdue":
        return f"已超期 {max(cal.working_days_between(day, today), 0)} 个工作日"
    return f"剩余 {max(cal.working_days_between(today, day), 0)} 个工作日"


templates.env.filters["dt"] = _dt
templates.env.filters["countdown"] = _countdown
templates.env.globals.update(STATUS_LABELS=STATUS_LABELS, WARN_LABELS=WARN_LABELS,
                             ROLE_LABELS=ROLE_LABELS, RATING_LABELS=RATING_LABELS,
                             CHANNEL_LABELS=CHANNEL_LABELS)


def _error_page(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "error.html", {"title": title, "detail": detail, "status": status, "actor": None,
                                "csrf": expected_csrf(request) or "", "nav": []},
        status_code=status)


class WebRoute(APIRoute):
    def get_route_handler(self) -> HANDLER:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            started = time.perf_counter()
            response: Response
            try:
                if request.method == "POST":
                    await check_csrf(request)
                response = await original(request)
            except CsrfFailed:
                response = _error_page(request, 403, "请求已失效",
                                       "表单缺少有效的安全令牌（CSRF），请刷新页面后重试。")
            except LoginRequired:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                response = RedirectResponse(f"/login?next={quote(target)}", status_code=303)
            except DomainError as exc:
                response = _error_page(request, exc.status, exc.title, exc.detail)
            ms = (time.perf_counter() - started) * 1000
            response.headers["Server-Timing"] = f"app;dur={ms:.1f}"
            log.info("page %s %s %d %.1f ms", request.method, request.url.path,
                     response.status_code, ms)
            return response

        return handler


router = APIRouter(route_class=WebRoute, include_in_schema=False)


# ---------------------------------------------------------------------------------------------
# Rendering helpers
# ---------------------------------------------------------------------------------------------
def nav_for(actor: Actor) -> list[tuple[str, str, str]]:
    """(href, label, accesskey) of the navigation for this role."""
    role = actor.role
    items: list[tuple[str, str, str]] = []
    if role in (Role.supervisor, Role.admin):
        items.append(("/board", "督办看板", "1"))
    if role in HOTLINE_ROLES:
        items += [("/console", "受理台", "2"), ("/visits", "回访", "3")]
    else:
        items.append(("/inbox", "收件箱", "1"))
    items += [("/search", "工单查询", "4"), ("/progress", "进度查询", "5")]
    return items


def render(request: Request, name: str, actor: Actor | None, ctx: dict[str, Any],
           status: int = 200) -> HTMLResponse:
    base = {"actor": actor, "nav": nav_for(actor) if actor else [],
            "csrf": expected_csrf(request) or "", "path": request.url.path,
            "role_label": ROLE_LABELS.get(actor.role, actor.role) if actor else ""}
    return templates.TemplateResponse(request, name, {**base, **ctx}, status_code=status)


def home_for(actor: Actor) -> str:
    if actor.role == Role.agent:
        return "/console"
    if actor.role in (Role.supervisor, Role.admin):
        return "/board"
    return "/inbox"


def _safe_next(value: str | None) -> str | None:
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return None


def _require(actor: Actor, roles: frozenset[str] | set[str]) -> None:
    if actor.role not in roles:
        from hotline.core.errors import Forbidden

        raise Forbidden("您的角色无权访问此页面", title="无权访问")


# ---------------------------------------------------------------------------------------------
# Login, logout, home
# ---------------------------------------------------------------------------------------------
def _cookie_args(request: Request) -> dict[str, Any]:
    return {"samesite": "lax", "secure": request.url.scheme == "https", "path": "/"}


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    nonce = request.cookies.get(NONCE_COOKIE) or new_nonce()
    csrf = csrf_for_nonce(nonce)
    response = templates.TemplateResponse(
        request, "login.html", {"actor": None, "nav": [], "csrf": csrf, "next": _safe_next(next) or "",
                                "error": None, "demo": get_settings().demo_mode, "username": ""})
    response.set_cookie(NONCE_COOKIE, nonce, httponly=True, max_age=3600, **_cookie_args(request))
    response.set_cookie(CSRF_COOKIE, csrf, max_age=3600, **_cookie_args(request))
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    with session_scope() as session:
        user = authenticate(session, username, password) if username and password else None
        if user is None:
            return templates.TemplateResponse(
                request, "login.html",
                {"actor": None, "nav": [], "csrf": expected_csrf(request) or "",
                 "next": _safe_next(str(form.get("next", ""))) or "", "error": "用户名或密码不正确",
                 "demo": get_settings().demo_mode, "username": username}, status_code=401)
        token = issue_token(user)
        role = user.role
    target = _safe_next(str(form.get("next", ""))) or "/app"
    response = RedirectResponse(target, status_code=303)
    max_age = get_settings().token_minutes * 60
    response.set_cookie(COOKIE, token, httponly=True, max_age=max_age, **_cookie_args(request))
    response.set_cookie(CSRF_COOKIE, csrf_for_session(token), max_age=max_age, **_cookie_args(request))
    response.delete_cookie(NONCE_COOKIE, path="/")
    log.info("login %s (%s)", username, role)
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    response = RedirectResponse("/login", status_code=303)
    for name in (COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/")
    return response


@router.get("/app")
def workspace(request: Request) -> Response:
    with session_scope() as session:
        actor = page_actor(request, session)
    return RedirectResponse(home_for(actor), status_code=303)


# ---------------------------------------------------------------------------------------------
# Agent console
# ---------------------------------------------------------------------------------------------
def _console_ctx(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    return {"values": values, "request_types": REQUEST_TYPES, "channels": [c.value for c in Channel],
            "units": queries.dispatchable_units(session), "reasons": NOT_ACCEPTED_LABELS,
            "channel_labels": CHANNEL_LABELS}




@router.get("/console")
def console(request: Request, created: str | None = None) -> Response:
    with session_scope() as session:
        actor = page_actor(request, session)
        _require(actor, HOTLINE_ROLES)
        ctx = _console_ctx(session, {})
        if created:
            try:
                t = visible_ticket(session, actor, created)
                ctx["created"] = {"number": t.number, "status": STATUS_LABELS.get(t.status, t.status),
                                  "due": _dt(t.close_due_at), "phone4": t.caller_phone[-4:]}
            except NotFound:
                pass
        return render(request, "console.html", actor, ctx)


@router.get("/console/assist")
def console_assist(request: Request, caller_phone: str = "", content: str = "", address: str = "",
                   request_type: str = "") -> Response:
    """The live fragment: caller history, possible duplicates, routing suggestion."""
    with session_scope() as session:
        actor = page_actor(request, session)
        _require(actor, HOTLINE_ROLES)
        now = utcnow()
        phone = caller_phone.strip().replace(" ", "")
        history = queries.caller_history(session, actor, phone, content, now) if len(phone) >= 7 else None
        suggestion = None
        if content.strip():
            from hotline.intake import advice as intake

            rtype = request_type if request_type in REQUEST_TYPES else None
            suggestion = intake.suggest(session, content[:4000], address[:300] or None, rtype)
            codes = [u["code"] for u in [suggestion.get("lead"), *suggestion.get("co_units", []),
                                         *suggestion.get("candidates", [])] if u]
            ids = intake.unit_ids_by_code(session, codes)
            seen: set[int] = set()
            rows = []
            for unit, role in ([(suggestion.get("lead"), "lead")]
                               + [(c, "co") for c in suggestion.get("co_units", [])]
                               + [(c, "") for c in suggestion.get("candidates", [])]):
                if unit and unit["code"] in ids and ids[unit["code"]] not in seen:
                    seen.add(ids[unit["code"]])
                    rows.append({"id": ids[unit["code"]], "name": unit["name"], "role": role,
                                 "reason": unit.get("reason") or ""})
            suggestion["rows"] = rows[:6]
        return render(request, "_assist.html", actor, {"history": history, "s": suggestion})


def _decision(form: Any, choice: str) -> Any:
    if choice == "answer":
        return AnswerDirectly.model_validate({
            "answer": form.get("answer", ""),
            "kb_entries": [p.strip() for p in str(form.get("kb_entries", "")).replace("，", ",").split(",")
                           if p.strip()]})
    if choice == "not_accept":
        return NotAccept.model_validate({"reason_code": form.get("reason_code") or None,
                                         "reason": form.get("na_reason", ""),
                                         "referral": form.get("referral") or None})
    if choice.startswith("emergency"):
        service = choice.partition(":")[2] or str(form.get("service", ""))
        return EmergencyHandover.model_validate({
            "service": service, "reason": form.get("em_reason") or "涉及生命财产安全，立即移交"})
    if choice == "transfer":
        return WarmTransfer.model_validate({"target": form.get("target", ""),
                                            "caller_consent": "caller_consent" in form})
    if choice == "dispatch":
        lead = str(form.get("lead_unit_id") or "")
        co = {v for v in form.getlist("co_unit_ids") if isinstance(v, str) and v}
        for key in form:
            if key.startswith("role_"):
                uid, role = key[5:], form.get(key)
                if role == "lead" and not lead:
                    lead = uid
                elif role == "co":
                    co.add(uid)
        co.discard(lead)
        days = str(form.get("due_working_days") or "")
        return Dispatch.model_validate({
            "lead_unit_id": lead or None, "co_unit_ids": sorted(co),  # pydantic validates ids
            "category": form.get("category") or None, "due_working_days": days or None,
            "note": form.get("note") or None})
    return None


@router.post("/console")
async def console_submit(request: Request) -> Response:
    form = await request.form()
    values = {k: v for k, v in form.items() if k != "csrf_token"}
    values["co_unit_ids"] = form.getlist("co_unit_ids")
    choice = str(form.get("decision", "register"))
    with session_scope() as session:
        actor = page_actor(request, session)
        _require(actor, HOTLINE_ROLES)
        error, status = None, 200
        try:
            data = TicketCreate.model_validate({
                "channel": form.get("channel") or "phone", "caller_name": form.get("caller_name") or None,
                "caller_phone": form.get("caller_phone", ""), "request_type": form.get("request_type"),
                "category": form.get("category") or None, "content": form.get("content", ""),
                "address": form.get("address") or None, "urgency": form.get("urgency") or "normal",
                "decision": None})
            data.decision = _decision(form, choice)
            ticket = create_ticket(session, actor, data)
            session.flush()
            number = ticket.number
        except ValidationError as exc:
            error, status = forms.error_text(exc).replace("caller_phone", "来电号码") \
                .replace("request_type", "诉求类型"), 422
        except DomainError as exc:
            error, status = f"{exc.title}：{exc.detail}", exc.status
        if error:
            session.rollback()
            ctx = _console_ctx(session, values) | {"error": error}
            return render(request, "console.html", actor, ctx, status)
    return RedirectResponse(f"/console?created={number}", status_code=303)


# ---------------------------------------------------------------------------------------------
# Unit inbox, search, visits
# ---------------------------------------------------------------------------------------------
@router.get("/inbox")
def inbox(request: Request, tab: str = "sign") -> Response:
    tabs = dict(queries.INBOX_TABS)
    tab = tab if tab in tabs else "sign"
    with session_scope() as session:
        actor = page_actor(request, session)
        counts, items = queries.inbox(session, actor, tab, utcnow())
        return render(request, "inbox.html", actor, {"tabs": queries.INBOX_TABS, "tab": tab,
                                                     "counts": counts, "items": items})


@router.get("/search")
def search(request: Request, q: str = "", status: str = "", warning: str = "") -> Response:
    with session_scope() as session:
        actor = page_actor(request, session)
        q = q.strip()[:100]
        if q.replace("-", "").isdigit() and len(q) >= 8:
            try:
                visible_ticket(session, actor, q)
                return RedirectResponse(f"/t/{q}", status_code=303)
            except NotFound:
                pass
        flt = TicketFilter(q=q or None, status=[status] if status in STATUS_LABELS else None,
                           warning=warning if warning in WARN_LABELS else None)
        items, total = list_tickets(session, actor, flt, page_size=50)
        return render(request, "list.html", actor, {
            "title": "工单查询", "items": items, "total": total, "q": q, "status": status,
            "warning": warning, "searchable": True})


@router.get("/visits")
def visits(request: Request) -> Response:
    with session_scope() as session:
        actor = page_actor(request, session)
        _require(actor, HOTLINE_ROLES)
        items = queries.visit_queue(session, actor, utcnow())
        return render(request, "list.html", actor, {"title": "回访队列（已答复待回访、差评核实、待办结）",
                                                    "items": items, "total": len(items),
                                                    "searchable": False})


# ---------------------------------------------------------------------------------------------
# Ticket page and actions
# ---------------------------------------------------------------------------------------------
def _ticket_ctx(session: Session, actor: Actor, number: str) -> dict[str, Any]:
    now = utcnow()
    detail = ticket_detail(session, actor, number, now)
    ticket = visible_ticket(session, actor, number)
    transitions = allowed_actions(facts_for(session, actor, ticket, now))
    unit_choices: dict[str, list[tuple[str, str]]] = {}
    if any(t.action == "forward" for t in transitions) and ticket.holder_unit_id:
        holder = session.get(Unit, ticket.holder_unit_id)
        if holder is not None:
            unit_choices["to_unit_id"] = [(str(u.id), u.name) for u in queries.sub_units(session, holder)]
    if any(t.action == "dispatch" for t in transitions):
        units = [(str(u.id), u.name) for u in queries.dispatchable_units(session)]
        unit_choices["lead_unit_id"] = [("", "按智能派单建议"), *units]
        unit_choices["co_unit_ids"] = units
    return {"t": detail, "forms": forms.action_forms(transitions, unit_choices),
            "version": ticket.version}


@router.get("/t/{number}")
def ticket_page(request: Request, number: str, done: str | None = None) -> Response:
    with session_scope() as session:
        actor = page_actor(request, session)
        ctx = _ticket_ctx(session, actor, number)
        if done in BY_ACTION:
            ctx["flash"] = f"已{BY_ACTION[done].label}"
        return render(request, "ticket.html", actor, ctx)


@router.post("/t/{number}/act/{action}")
async def ticket_act(request: Request, number: str, action: str) -> Response:
    form = await request.form()
    with session_scope() as session:
        actor = page_actor(request, session)
        ticket = visible_ticket(session, actor, number)
        error, status = None, 200
        transition = BY_ACTION.get(action)
        try:
            if transition is None:
                raise NotFound(f"未知操作：{action}")
            version = str(form.get("version", ""))
            payload = forms.parse(transition.payload, form, forms.small_int(version))
            apply(session, actor, ticket, payload)  # type: ignore[arg-type]
            session.flush()
            still_visible = can_see(session, actor, ticket)
        except ValidationError as exc:
            error, status = f"提交的内容不符合要求：{forms.error_text(exc)}", 422
        except DomainError as exc:
            error, status = f"{exc.title}：{exc.detail}", exc.status
        if error:
            session.rollback()
            ctx = _ticket_ctx(session, actor, number) | {"error": error, "failed_action": action}
            return render(request, "ticket.html", actor, ctx, status)
    # After a return the unit no longer sees the ticket (CQ §22): back to its inbox.
    target = f"/t/{number}?done={action}" if still_visible else f"/inbox?done={action}&t={number}"
    return RedirectResponse(target, status_code=303)


# ---------------------------------------------------------------------------------------------
# Supervisor board
# ---------------------------------------------------------------------------------------------
@router.get("/board")
def board(request: Request, unit_id: str = "", category: str = "", request_type: str = "",
          warning: str = "attention") -> Response:
    with session_scope() as session:
        actor = page_actor(request, session)
        _require(actor, {Role.supervisor, Role.admin})
        now = utcnow()
        warning = warning if warning in ("attention", "overdue", "at_risk") else "attention"
        flt = TicketFilter(unit_id=forms.small_int(unit_id),
                           category=category.strip() or None,
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
            "export_qs": urlencode(params), "units": queries.dispatchable_units(session),
            "request_types": REQUEST_TYPES,
            "extensions": queries.pending_extensions(session, actor, now),
            "returned": queries.returned_to_hotline(session, actor, now),
            "visits": queries.visit_queue(session, actor, now),
            "orders": queries.open_orders(session, now),
            "metrics": [m.to_dict() for m in units_m[:15]], "hotline_m": hotline_m, "month": month,
            "alerts": queries.alerts(session, now),
            "linked": queries.linked_matters(session),
            "chart_volume": charts.bars(queries.daily_volume(session, now), "近 30 天每日登记量"),
            "chart_categories": charts.hbars(queries.category_counts(session, now), "近 30 天诉求类别"),
            "chart_ontime": charts.line(queries.on_time_trend(session, now), "按时办结率（按周）"),
        }
        return render(request, "board.html", actor, ctx)


# ---------------------------------------------------------------------------------------------
# Public progress (no login)
# ---------------------------------------------------------------------------------------------
@router.get("/progress")
def progress(request: Request, number: str = "", last4: str = "") -> Response:
    result, error = None, None
    number, last4 = number.strip()[:20], last4.strip()[:4]
    status = 200
    if number or last4:
        with session_scope() as session:
            try:
                limiter.check(request.client.host if request.client else "?", number)
                result = public_progress(session, number, last4)
            except NotFound as exc:
                limiter.failed(number)
                error, status = exc.detail, 404
            except TooManyRequests as exc:
                error, status = exc.detail, 429
    actor = None
    with session_scope() as session:
        try:
            actor = page_actor(request, session)
        except LoginRequired:
            actor = None
    return render(request, "progress.html", actor, {"result": result, "error": error, "number": number,
                                                    "last4": last4}, status)

