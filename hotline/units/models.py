"""Units (承办单位) as a tree, and the people who work in them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Integer, String
from sqlmodel import Field, SQLModel

from hotline.core.columns import EnumText, UTCDateTime


class UnitKind(StrEnum):
    hotline = "hotline"  # 12345 热线中心
    district_gov = "district_gov"  # 区县政府
    city_dept = "city_dept"  # 市级部门
    district_dept = "district_dept"  # 区县部门
    street = "street"  # 乡镇街道
    community = "community"  # 社区/网格
    handler = "handler"  # 具体承办单位 (CQ §6)


UNIT_KIND_LABELS: dict[str, str] = {
    "hotline": "热线中心",
    "district_gov": "区县政府",
    "city_dept": "市级部门",
    "district_dept": "区县部门",
    "street": "乡镇街道",
    "community": "社区网格",
    "handler": "具体承办单位",
}


class Unit(SQLModel, table=True):
    __tablename__ = "units"

    id: int = Field(default=None, primary_key=True)
    code: str = Field(sa_column=Column(String(32), unique=True, nullable=False))
    name: str = Field(max_length=100)
    kind: UnitKind = Field(sa_column=Column(EnumText(UnitKind, 20), nullable=False))
    parent_id: int | None = Field(default=None, foreign_key="units.id", index=True)
    # Materialised path "/1/4/12/": subtree checks and filters are one LIKE on an index.
    path: str = Field(default="/", max_length=255, index=True)
    active: bool = True
    #: CQ §6(二): this unit reviews its sub-units' replies before they reach the caller.
    review_replies: bool = False


class Role(StrEnum):
    agent = "agent"  # 话务员
    unit_handler = "unit_handler"  # 承办人
    unit_manager = "unit_manager"  # 单位管理员 (approves the units below)
    supervisor = "supervisor"  # 热线督办
    admin = "admin"


ROLE_LABELS: dict[str, str] = {
    "agent": "话务员",
    "unit_handler": "承办人员",
    "unit_manager": "单位负责人",
    "supervisor": "督办人员",
    "admin": "系统管理员",
}


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int = Field(default=None, primary_key=True)
    username: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    full_name: str = Field(max_length=64)
    role: Role = Field(sa_column=Column(EnumText(Role, 20), nullable=False))
    unit_id: int = Field(foreign_key="units.id", index=True)
    password_hash: str = Field(max_length=255)
    active: bool = True
    created_at: datetime = Field(sa_type=UTCDateTime)
    # Every token carries the version it was issued under; sign-out, a new password, a new role
    # or unit, or deactivation bump it, and older tokens stop working at once (issue 15 §5).
    token_version: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0"))


class LoginOutcome(StrEnum):
    succeeded = "succeeded"
    failed = "failed"  # wrong password, unknown or deactivated account (not told apart to them)
    refused = "refused"  # too many failures: the limiter refused before checking
    signed_out = "signed_out"


class LoginAudit(SQLModel, table=True):
    """Every sign-in attempt and sign-out: who tried which account from where, and how it went.
    Written in the request's own transaction, which commits for refusals too (they are answers,
    not errors)."""

    __tablename__ = "login_audit"

    id: int = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    username: str = Field(max_length=64, index=True)
    user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    client: str = Field(max_length=64)
    outcome: LoginOutcome = Field(sa_column=Column(EnumText(LoginOutcome, 16), nullable=False))
