"""A new row written by one Core statement, answered as the persistent ORM object it would load as.

Why: a command that creates an object and then goes on working with it (the registration: its
history, its SMS, the agent's decision, the answer) paid for the object twice in the ORM —
SQLModel's constructor sets every field through pydantic's and SQLAlchemy's attribute machinery
(~800 calls for a ticket), and the unit of work's flush plans and writes it (~580 more). One
Core ``INSERT`` and the object put together the way a query's loader puts it together (the
instance dict filled, the identity-map entry made) is about a quarter of that
(bench/RESULTS.md, "Intake: the ticket without the unit of work").

What the object is afterwards: persistent in ``session``, with every column loaded and no
pending change, as if a ``SELECT`` had just read the row — enum columns hold members and times
are UTC, as a load gives them — and a later change to it is an ordinary UPDATE (with the version
check where the model has one). If the transaction it was written in rolls back (a savepoint
too), the object leaves the session and becomes transient, as a flushed new object does
(``core.db.on_rollback``).

The values are not validated (SQLModel's table models validate nothing either), but an enum
column refuses a stranger and a time column a naive time before anything is written. Fields left
out get the model's defaults, as the constructor would give them. Models with database-side
defaults are refused: the row would differ from what the ORM writes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from functools import cache, partial
from inspect import Parameter, signature
from typing import Any, TypeVar, cast

from pydantic_core import PydanticUndefined
from sqlalchemy import Insert, inspect
from sqlalchemy.orm import Mapper, make_transient, make_transient_to_detached
from sqlmodel import Session, SQLModel

from hotline.core.columns import EnumText, UTCDateTime, table_of
from hotline.core.db import on_rollback

M = TypeVar("M", bound=SQLModel)

#: Defaults that may be shared by every row (anything else is made anew per row).
_IMMUTABLE = (type(None), bool, int, float, str, bytes, Enum, datetime)


@dataclass(frozen=True)
class _Plan:
    mapper: Mapper[Any]
    insert: Insert
    pk: str
    columns: frozenset[str]
    required: frozenset[str]
    #: Column attribute → its default, for fields the caller may leave out.
    constants: dict[str, Any]
    #: Column attribute → what makes its default per row (a factory, or a mutable default).
    makers: dict[str, Callable[[], Any]]
    #: Column attribute → what a load would turn the given value into.
    loaded_as: dict[str, Callable[[Any], Any]]


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime refused; store aware UTC")
    return value.astimezone(UTC)


def _needs_arguments(factory: Callable[..., Any]) -> bool:
    """A default factory that takes the other fields' data (pydantic allows it): not supported."""
    try:
        params = signature(factory).parameters.values()
    except ValueError:  # a builtin without a signature takes nothing we would pass
        return False
    return any(p.default is Parameter.empty and p.kind in (
        Parameter.POSITIONAL_ONLY, Parameter.POSITIONAL_OR_KEYWORD) for p in params)


@cache
def _plan(model: type[SQLModel]) -> _Plan:
    mapper = inspect(model)
    table = table_of(model)
    (pk_column,) = table.primary_key.columns
    pk = mapper.get_property_by_column(pk_column).key
    required: set[str] = set()
    constants: dict[str, Any] = {}
    makers: dict[str, Callable[[], Any]] = {}
    loaded_as: dict[str, Callable[[Any], Any]] = {}
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if column.key != prop.key or column.server_default is not None:
            raise TypeError(f"{model.__name__}.{prop.key}: renamed or database-side default")
        if isinstance(column.type, EnumText):
            loaded_as[prop.key] = column.type.enum
        elif isinstance(column.type, UTCDateTime):
            loaded_as[prop.key] = _utc
        if prop.key == pk:
            continue
        field = model.model_fields[prop.key]
        if field.default_factory is not None:
            if _needs_arguments(field.default_factory):
                raise TypeError(f"{model.__name__}.{prop.key}: a factory of the other fields")
            makers[prop.key] = cast(Callable[[], Any], field.default_factory)
        elif field.default is PydanticUndefined:
            required.add(prop.key)
        elif isinstance(field.default, _IMMUTABLE):
            constants[prop.key] = field.default
        else:
            makers[prop.key] = partial(field.get_default, call_default_factory=True)
    return _Plan(mapper, table.insert().returning(pk_column), pk,
                 frozenset(p.key for p in mapper.column_attrs), frozenset(required), constants,
                 makers, loaded_as)


def insert_loaded(session: Session, model: type[M], values: dict[str, Any]) -> M:
    """Write one ``model`` row from ``values`` now, and answer it as a persistent object."""
    plan = _plan(model)
    missing, unknown = plan.required - values.keys(), values.keys() - plan.columns
    if missing or unknown:  # programming errors: say which before anything is written
        raise TypeError(f"{model.__name__}: no value for {sorted(missing)}, "
                        f"no column for {sorted(unknown)}")
    row = {**plan.constants, **{k: make() for k, make in plan.makers.items() if k not in values},
           **values}
    for key, load in plan.loaded_as.items():
        if row.get(key) is not None:
            row[key] = load(row[key])
    session.flush()  # pending ORM rows go first, in the order the command made them
    row[plan.pk] = session.execute(plan.insert, row).scalar_one()
    stale = session.identity_map.get(plan.mapper.identity_key_from_primary_key((row[plan.pk],)))
    if stale is not None:
        # The database just gave out this id, so a mapped object of it is a row that is gone
        # (deleted in this session by a statement the identity map did not see).
        session.expunge(stale)
    obj: M = plan.mapper.class_manager.new_instance()
    obj.__dict__.update(row)  # what a query's loader does: the committed state, no history
    make_transient_to_detached(obj)
    session.add(obj)  # detached with an identity → persistent, in the identity map
    on_rollback(session, lambda: _forget(session, obj))
    return obj


def _forget(session: Session, obj: SQLModel) -> None:
    """The row was rolled back: the object goes, as a flushed new object would."""
    if obj in session:
        session.expunge(obj)
    make_transient(obj)
