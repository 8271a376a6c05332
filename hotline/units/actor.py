"""Who is acting: the authenticated user with their unit, loaded once per request or job."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from hotline.core.times import utcnow
from hotline.units.models import Role, Unit, UnitKind, User
from hotline.units.tree import get_unit

HOTLINE_SIDE = frozenset({Role.agent, Role.supervisor, Role.admin})


@dataclass(frozen=True)
class Actor:
    """The authenticated user with their unit."""

    user: User
    unit: Unit

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def role(self) -> Role:
        return self.user.role

    @property
    def hotline_side(self) -> bool:
        return self.user.role in HOTLINE_SIDE


def actor_for(session: Session, user: User) -> Actor:
    return Actor(user=user, unit=get_unit(session, user.unit_id))


def system_actor(session: Session, username: str, full_name: str) -> Actor:
    """A system identity for the history (the 110 bridge, say): an agent of the hotline that
    cannot log in, created the first time it acts."""
    row = session.exec(select(User, Unit).join(Unit, col(Unit.id) == col(User.unit_id))
                       .where(User.username == username)).first()
    if row is not None:
        return Actor(user=row[0], unit=row[1])
    hotline = session.exec(select(Unit).where(Unit.kind == UnitKind.hotline)).one()
    user = User(username=username, full_name=full_name, role=Role.agent, unit_id=hotline.id,
                password_hash="!", active=False, created_at=utcnow())
    session.add(user)
    session.flush()
    return Actor(user=user, unit=hotline)
