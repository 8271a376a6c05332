"""A new row written by one Core statement, answered as the persistent ORM object it would load as.

Why: a command that creates an object and then goes on working with it (the registration: its
history, its SMS, the agent's decision, the answer) paid for the object twice in the ORM —
SQLModel's constructor sets every field through pydantic's and SQLAlchemy's attribute machinery
(~800 calls for a ticket), and the unit of work's flush plans and writes it (~580 more). One
Core ``INSERT`` and the object put together the way a query's loader puts it together (the
instance dict filled, the identity-map entry made) is about a quarter of that
(bench/RESULTS.md, "Intake: the ticket without the unit of work").

What the object is afterwards: persistent in ``session``, with every column loaded and no
pending change, exactly as if a ``SELECT`` had just read the row — a later change to it is an
ordinary UPDATE (with the version check where the model has one). Like SQLAlchemy's own ORM
bulk ``INSERT … RETURNING``, the row is not the session's "new" object: if the transaction rolls
back, the object is expired rather than expunged, and must not be used after that (no caller
does: a failed command answers an error); a later row given the same id (SQLite reuses it)
replaces it in the identity map.

The values are taken as given: no validation (SQLModel's table models validate nothing either)
but the columns' own bind processing (``EnumText`` still refuses a stranger, ``UTCDateTime`` a
naive time). Fields left out get the model's defaults, as the constructor would give them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from pydantic_core import PydanticUndefined
from sqlalchemy import Insert, inspect
from sqlalchemy.orm import Mapper, make_transient_to_detached
from sqlmodel import Session, SQLModel

from hotline.core.columns import table_of

M = TypeVar("M", bound=SQLModel)


@dataclass(frozen=True)
class _Plan:
    mapper: Mapper[Any]
    insert: Insert
    pk: str
    #: Column attribute → its default (a constant), for fields the caller may leave out.
    defaults: dict[str, Any]
    #: Column attribute → its default factory (called once per row, as the constructor does).
    factories: dict[str, Any]
    required: frozenset[str]
    columns: frozenset[str]


@cache
def _plan(model: type[SQLModel]) -> _Plan:
    mapper = inspect(model)
    table = table_of(model)
    (pk_column,) = table.primary_key.columns
    pk = mapper.get_property_by_column(pk_column).key
    defaults: dict[str, Any] = {}
    factories: dict[str, Any] = {}
    required: set[str] = set()
    for prop in mapper.column_attrs:
        if prop.key == pk:
            continue
        assert prop.columns[0].key == prop.key, "the row is keyed by attribute = column key"
        field = model.model_fields[prop.key]
        if field.default_factory is not None:
            factories[prop.key] = field.default_factory
        elif field.default is not PydanticUndefined:
            defaults[prop.key] = field.default
        else:
            required.add(prop.key)
    insert = table.insert().returning(pk_column)
    columns = frozenset(prop.key for prop in mapper.column_attrs)
    return _Plan(mapper, insert, pk, defaults, factories, frozenset(required), columns)


def insert_loaded(session: Session, model: type[M], values: dict[str, Any]) -> M:
    """Write one ``model`` row from ``values`` now, and answer it as a persistent object."""
    plan = _plan(model)
    missing, unknown = plan.required - values.keys(), values.keys() - plan.columns
    if missing or unknown:  # programming errors: say which before anything is written
        raise TypeError(f"{model.__name__}: no value for {sorted(missing)}, "
                        f"no column for {sorted(unknown)}")
    row = {**plan.defaults, **{k: f() for k, f in plan.factories.items() if k not in values},
           **values}
    session.flush()  # pending ORM rows go first, in the order the command made them
    row[plan.pk] = session.execute(plan.insert, row).scalar_one()
    stale = session.identity_map.get(plan.mapper.identity_key_from_primary_key((row[plan.pk],)))
    if stale is not None:
        # The database just gave out this id, so a mapped object of it is a row that is gone:
        # one of ours from a transaction that rolled back (SQLite reuses the id).
        session.expunge(stale)
    obj: M = plan.mapper.class_manager.new_instance()
    obj.__dict__.update(row)  # what a query's loader does: the committed state, no history
    make_transient_to_detached(obj)
    session.add(obj)  # detached with an identity → persistent, in the identity map
    return obj
