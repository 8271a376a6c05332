"""Units and people over HTTP: sign-in (OAuth2 password flow), the current user, and the
admin's units and users."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col, select

from hotline.core.ids import DbId, DbIdPath
from hotline.units import tree as unit_service
from hotline.units import users as user_service
from hotline.units.deps import ActorDep, require_roles
from hotline.units.models import ROLE_LABELS, LoginAudit, LoginOutcome, Role, UnitKind
from hotline.units.signin import client_of, sign_in, sign_out
from hotline.web.deps import SessionDep
from hotline.web.problems import problem
from hotline.web.request_work import WorkRoute

router = APIRouter(tags=["admin"], route_class=WorkRoute)
auth_router = APIRouter(tags=["auth"], route_class=WorkRoute)
routers = (auth_router, router)
AdminOnly = require_roles(Role.admin)
AnyUser = require_roles(*Role)


class UnitIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=100)
    kind: UnitKind
    parent_id: DbId | None = None


class UnitPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str | None = Field(default=None, min_length=1, max_length=100)
    active: bool | None = None
    review_replies: bool | None = Field(
        default=None, description="本单位审核下级单位的答复后才答复来电人 (CQ §6)")


class UnitOut(BaseModel):
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    path: str
    active: bool
    review_replies: bool = False


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    full_name: str = Field(min_length=1, max_length=64)
    role: Role
    unit_id: DbId
    password: str = Field(min_length=8, max_length=128)


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    full_name: str | None = Field(default=None, min_length=1, max_length=64)
    role: Role | None = None
    unit_id: DbId | None = None
    active: bool | None = None
    password: str | None = Field(default=None, min_length=8, max_length=128)


class UserOut(BaseModel):
    id: int
    username: str
    full_name: str
    role: str
    unit_id: int
    active: bool


@router.get("/units", response_model=list[UnitOut], dependencies=[AnyUser], summary="单位树")
def list_units(session: SessionDep) -> list[UnitOut]:
    return [UnitOut.model_validate(u, from_attributes=True)
            for u in unit_service.list_units(session)]


@router.post("/units", response_model=UnitOut, status_code=status.HTTP_201_CREATED,
             dependencies=[AdminOnly], summary="新建单位")
def create_unit(session: SessionDep, data: UnitIn) -> UnitOut:
    unit = unit_service.create_unit(session, code=data.code, name=data.name, kind=data.kind,
                                    parent_id=data.parent_id)
    return UnitOut.model_validate(unit, from_attributes=True)


@router.patch("/units/{unit_id}", response_model=UnitOut, dependencies=[AdminOnly],
              summary="修改或停用单位")
def patch_unit(session: SessionDep, unit_id: DbIdPath, data: UnitPatch) -> UnitOut:
    unit = unit_service.update_unit(session, unit_service.get_unit(session, unit_id),
                                    name=data.name, active=data.active,
                                    review_replies=data.review_replies)
    return UnitOut.model_validate(unit, from_attributes=True)


@router.get("/users", response_model=list[UserOut], dependencies=[AdminOnly], summary="用户列表")
def list_users(session: SessionDep) -> list[UserOut]:
    return [UserOut.model_validate(u, from_attributes=True)
            for u in user_service.list_users(session)]


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED,
             dependencies=[AdminOnly], summary="新建用户")
def create_user(session: SessionDep, data: UserIn) -> UserOut:
    user = user_service.create_user(session, username=data.username, full_name=data.full_name,
                                    role=data.role, unit_id=data.unit_id, password=data.password)
    return UserOut.model_validate(user, from_attributes=True)


@router.patch("/users/{user_id}", response_model=UserOut, dependencies=[AdminOnly],
              summary="修改、停用用户或重置密码")
def patch_user(
    session: SessionDep, user_id: DbIdPath, data: UserPatch
) -> UserOut:
    user = user_service.update_user(session, user_service.get_user(session, user_id),
                                    **data.model_dump(exclude_unset=True))
    return UserOut.model_validate(user, from_attributes=True)


class LoginAuditOut(BaseModel):
    id: int
    at: datetime
    username: str
    user_id: int | None
    client: str
    outcome: str


@router.get("/login-audit", response_model=list[LoginAuditOut], dependencies=[AdminOnly],
            summary="登录审计：登录成功、失败、被限制与退出记录（最新在前）")
def login_audit(session: SessionDep,
                username: Annotated[str | None, Query(max_length=64)] = None,
                outcome: LoginOutcome | None = None,
                limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[LoginAuditOut]:
    stmt = select(LoginAudit).order_by(col(LoginAudit.id).desc()).limit(limit)
    if username is not None:
        stmt = stmt.where(LoginAudit.username == username)
    if outcome is not None:
        stmt = stmt.where(LoginAudit.outcome == outcome)
    return [LoginAuditOut.model_validate(r, from_attributes=True) for r in session.exec(stmt)]


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


class Me(BaseModel):
    id: int
    username: str
    full_name: str
    role: str
    role_label: str
    unit_id: int
    unit_name: str
    unit_kind: str


@auth_router.post("/auth/token", response_model=Token, summary="登录，取得访问令牌",
                  responses={401: {"description": "用户名或密码不正确"},
                             429: {"description": "登录失败次数过多，暂时拒绝"}})
def login(session: SessionDep, request: Request,
          form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token | JSONResponse:
    # Refusals are returned, not raised: the unit of work then commits their audit row.
    result = sign_in(session, form.username, form.password,
                     client_of(request.client.host if request.client else None))
    if result.outcome is LoginOutcome.refused:
        return problem(429, "too-many-requests", "登录尝试过多", result.refusal or "",
                       request.url.path)
    if result.token is None:
        return problem(401, "unauthorized", "登录失败", "用户名或密码不正确", request.url.path)
    return Token(access_token=result.token)


@auth_router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, summary="退出登录",
                  description="使该用户此前签发的所有令牌立即失效（所有设备）。")
def logout(session: SessionDep, request: Request, actor: ActorDep) -> Response:
    sign_out(session, actor.user, client_of(request.client.host if request.client else None))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@auth_router.get("/me", response_model=Me, summary="当前用户")
def me(actor: ActorDep) -> Me:
    u = actor.user
    return Me(id=u.id, username=u.username, full_name=u.full_name, role=u.role,
              role_label=ROLE_LABELS[u.role], unit_id=u.unit_id,
              unit_name=actor.unit.name, unit_kind=actor.unit.kind)
