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
    try:
        return _hasher().verify(password, hashed)
    except Exception:  # an unusable stored hash ("!" of the system identities) matches nothing
        return False


@lru_cache
def _dummy_hash() -> str:
    """A hash no password is checked against for real: an unknown or deactivated account is
    verified against it, so it costs the same argon2 time as a real one and the answer's timing
    does not tell which usernames exist (issue 15 §4: 5 ms unknown vs 179 ms known)."""
    return hash_password("hotline-dummy-password-never-matches")


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


def find_user(session: Session, username: str) -> User | None:
    if not 0 < len(username) <= 64:
        return None
    return session.exec(select(User).where(User.username == username)).first()


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this password, or None. Exactly one argon2 verification either way."""
    user = find_user(session, username)
    usable = user is not None and user.active
    hashed = user.password_hash if user is not None and usable else _dummy_hash()
    matches = verify_password(password, hashed)
    return user if usable and matches else None


def revoke_tokens(session: Session, user: User) -> None:
    """Every token issued to this user so far stops working (``hotline.units.auth``)."""
    user.token_version = (user.token_version or 0) + 1
    session.add(user)


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"用户 {user_id} 不存在", title="用户不存在")
    return user


def update_user(session: Session, user: User, *, full_name: str | None = None,
                role: Role | None = None, unit_id: int | None = None, active: bool | None = None,
                password: str | None = None) -> User:
    check_role_unit(role or user.role, get_unit(session, unit_id or user.unit_id))
    # A new password, role or unit, or deactivation, ends every session issued before it.
    if (password or (role is not None and role != user.role)
            or (unit_id is not None and unit_id != user.unit_id) or active is False):
        revoke_tokens(session, user)
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
