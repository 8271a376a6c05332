"""Column types shared by every table."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import DateTime, String, Table, event, func, inspect
from sqlalchemy.orm import Mapper
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on PostgreSQL (timestamptz) and SQLite (which drops offsets).

    Naive datetimes are refused on the way in: a naive time is a bug waiting for a
    deadline to be eight hours off.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused; store aware UTC")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


E = TypeVar("E", bound=StrEnum)


class EnumText(TypeDecorator[E]):
    """A ``StrEnum`` stored as its plain text value (VARCHAR, no database enum type to migrate).

    Values are checked on the way in, so a typo'd status can never reach a row, and come back
    as enum members, so the models' status fields are real enums.
    """

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: E | str | None, dialect: Any) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: str | None, dialect: Any) -> E | None:
        return None if value is None else self.enum(value)


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a table model, for bulk inserts and set-based updates."""
    table = inspect(model).local_table
    assert isinstance(table, Table)
    return table


@event.listens_for(Mapper, "mapper_configured")
def _enum_columns_refuse_strangers(mapper: Mapper[Any], class_: type) -> None:
    """A value outside an ``EnumText`` column's enum is refused when it is assigned (ValueError),
    not at flush time. (The attribute keeps what was assigned — a member or its equal plain
    string — until the row is read back as a member: compare with ``==``, print with ``str``.)"""
    for prop in mapper.column_attrs:
        column_type = prop.columns[0].type
        if isinstance(column_type, EnumText):
            event.listen(getattr(class_, prop.key), "set", partial(_check, column_type.enum))


def _check(enum: type[StrEnum], _target: object, value: object, _old: object,
           _initiator: object) -> None:
    if value is not None:
        enum(str(value))


def local_date(column: Any, dialect: str) -> Any:
    """A ``UTCDateTime`` column's calendar day in Asia/Shanghai, computed by the database, so a
    count per day is one ``GROUP BY`` instead of every row's timestamp sent to Python. China has
    kept UTC+8 without daylight saving since 1991, so SQLite's fixed offset is exact."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("Asia/Shanghai", column), "YYYY-MM-DD")
    return func.date(column, "+8 hours")
