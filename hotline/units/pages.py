"""The entry pages: sign in and out, the role's workspace, the home page."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from hotline.core.settings import get_settings
from hotline.core.sla_setup import calendar_health
from hotline.units.deps import MaybeActorDep, PageActorDep
from hotline.units.models import LoginOutcome
from hotline.units.signin import SignIn, client_of, sign_in, sign_out
from hotline.units.workspace import home_for
from hotline.web.csrf import (
    CSRF_COOKIE,
    NONCE_COOKIE,
    SESSION_COOKIE,
    csrf_for_nonce,
    csrf_for_session,
    expected_csrf,
    new_nonce,
)
from hotline.web.deps import FormDep, SessionDep
from hotline.web.render import WebRoute, templates

log = logging.getLogger("hotline.web")
router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _safe_next(value: str | None) -> str | None:
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return None


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
def login(request: Request, session: SessionDep, form: FormDep) -> Response:
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    result = (sign_in(session, username, password,
                      client_of(request.client.host if request.client else None))
              if username and password else SignIn(LoginOutcome.failed))
    user, token = result.user, result.token
    if user is None or token is None:
        refused = result.outcome is LoginOutcome.refused
        return templates.TemplateResponse(
            request, "login.html",
            {"actor": None, "nav": [], "csrf": expected_csrf(request) or "",
             "next": _safe_next(str(form.get("next", ""))) or "",
             "error": result.refusal if refused else "用户名或密码不正确",
             "demo": get_settings().demo_mode, "username": username[:64]},
            status_code=429 if refused else 401)
    target = _safe_next(str(form.get("next", ""))) or "/app"
    response = RedirectResponse(target, status_code=303)
    max_age = get_settings().token_minutes * 60
    response.set_cookie(SESSION_COOKIE, token, httponly=True, max_age=max_age, **_cookie_args(request))
    response.set_cookie(CSRF_COOKIE, csrf_for_session(token), max_age=max_age, **_cookie_args(request))
    response.delete_cookie(NONCE_COOKIE, path="/")
    log.info("login %s (%s)", username, user.role)
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, actor: MaybeActorDep) -> Response:
    if actor is not None:  # the cookie's token, and every other of this user, stops working
        sign_out(session, actor.user, client_of(request.client.host if request.client else None))
    response = RedirectResponse("/login", status_code=303)
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/")
    return response


@router.get("/app")
def workspace(actor: PageActorDep) -> Response:
    return RedirectResponse(home_for(actor), status_code=303)


@router.get("/")
def home(request: Request) -> Response:
    return templates.TemplateResponse(
        request, "home.html",
        {"settings": get_settings(), "calendar": calendar_health(), "today": date.today()})
