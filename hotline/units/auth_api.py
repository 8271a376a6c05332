"""OAuth2 password flow and the current user."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from hotline.core.errors import Unauthorized
from hotline.units.models import ROLE_LABELS
from hotline.units.users import authenticate
from hotline.web.deps import ActorDep, SessionDep, issue_token

router = APIRouter(tags=["auth"])


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


@router.post("/auth/token", response_model=Token, summary="登录，取得访问令牌")
def login(session: SessionDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token:
    user = authenticate(session, form.username, form.password)
    if user is None:
        raise Unauthorized("用户名或密码不正确", title="登录失败")
    return Token(access_token=issue_token(user))


@router.get("/me", response_model=Me, summary="当前用户")
def me(actor: ActorDep) -> Me:
    u = actor.user
    return Me(id=u.id, username=u.username, full_name=u.full_name, role=u.role,  # type: ignore[arg-type]
              role_label=ROLE_LABELS.get(u.role, u.role), unit_id=u.unit_id,
              unit_name=actor.unit.name, unit_kind=actor.unit.kind)
