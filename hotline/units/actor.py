"""Who is acting: the authenticated user with their unit, loaded once per request or job."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from hotline.units.models import Role, Unit, User
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
    def role(self) -> str:
        return self.user.role

    @property
    def hotline_side(self) -> bool:
        return self.user.role in HOTLINE_SIDE


def actor_for(session: Session, user: User) -> Actor:
    return Actor(user=user, unit=get_unit(session, user.unit_id))
