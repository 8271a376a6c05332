"""Users, password hashing (argon2 via pwdlib) and authentication."""

from __future__ import annotations

from functools import lru_cache

from pwdlib import PasswordHash
from sqlmodel import Session, col, select

from hotline.core.errors import Conflict, Invalid, NotFound
from hotline.core.times import utcnow
from hotline.units.models import Role, Unit, User
from hotline.units.tree import get_unit


@lru_cache
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, hashed: str) -> bool:
    return _hasher().verify(password, hashed)


HOTLINE_ROLES = {"agent", "supervisor", "admin"}


def check_role_unit(role: str, unit: Unit) -> None:
    """Hotline roles belong to the hotline center, unit roles to the units: visibility and
    approvals are decided by role, so a mismatch would widen someone's powers."""
    is_hotline = unit.kind == "hotline"
    if (role in HOTLINE_ROLES) != is_hotline:
        where = "热线中心" if role in HOTLINE_ROLES else "承办单位"
        raise Invalid(f"角色 {role} 只能属于{where}（单位 {unit.name} 不符）", title="角色与单位不匹配")


def create_user(
    session: Session, *, username: str, full_name: str, role: str, unit_id: int, password: str,
    password_hash: str | None = None,
) -> User:
    if role not in Role.__members__:
        raise Invalid(f"未知角色：{role}", title="角色不存在")
    if len(password) < 4 and password_hash is None:
        raise Invalid("密码至少 4 位")
    check_role_unit(role, get_unit(session, unit_id))
    if session.exec(select(User).where(User.username == username)).first():
        raise Conflict(f"用户名已存在：{username}", title="用户名重复")
    user = User(
        username=username, full_name=full_name, role=Role(role), unit_id=unit_id,
        password_hash=password_hash or hash_password(password), created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None or not user.active or not verify_password(password, user.password_hash):
        return None
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"用户 {user_id} 不存在", title="用户不存在")
    return user


def update_user(session: Session, user: User, *, full_name: str | None = None,
                role: Role | None = None, unit_id: int | None = None, active: bool | None = None,
                password: str | None = None) -> User:
    check_role_unit(role or user.role, get_unit(session, unit_id or user.unit_id))
    if password:
        user.password_hash = hash_password(password)
    if full_name is not None:
        user.full_name = full_name
    if role is not None:
        user.role = Role(role)
    if unit_id is not None:
        user.unit_id = unit_id
    if active is not None:
        user.active = active
    session.add(user)
    session.flush()
    return user


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.id))).all())
