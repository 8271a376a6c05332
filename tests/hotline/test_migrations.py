"""The migrations are the schema: one head, and after `upgrade` the database has every table and
column the models declare (features add revisions side by side; a model change without its
revision would otherwise surface only as a 500 in production)."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from hotline import tables  # noqa: F401  (every table registered on the metadata)
from hotline.core.migrate import alembic_config


def test_one_head() -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"several heads, add a merge revision: {heads}"


def test_upgraded_schema_has_every_model_column(engine: Engine) -> None:
    found = inspect(engine)
    missing = []
    for table in SQLModel.metadata.sorted_tables:
        if not found.has_table(table.name, schema=table.schema):
            missing.append(table.name)
            continue
        have = {c["name"] for c in found.get_columns(table.name, schema=table.schema)}
        missing += [f"{table.name}.{c.name}" for c in table.columns if c.name not in have]
    assert not missing, f"in the models but not in the migrated database: {missing}"


def test_upgraded_schema_has_every_model_index(engine: Engine) -> None:
    """Indexes too: the overdue lists' (next_due_at, id) is what makes their count index-only
    (migration 0012); a model index without its revision would only show as a slow list."""
    found = inspect(engine)
    wrong = []
    for table in SQLModel.metadata.sorted_tables:
        have = {ix["name"]: list(ix["column_names"])
                for ix in found.get_indexes(table.name, schema=table.schema)}
        for index in table.indexes:
            columns = [_column_of(e) for e in index.expressions]
            if have.get(index.name) != columns:
                wrong.append(f"{index.name}: model {columns}, database {have.get(index.name)}")
    assert not wrong, f"indexes the migrations do not make as the models declare: {wrong}"


def _column_of(expression: object) -> str:
    """An index element's column: a column's name, or the column of ``text("impact DESC")``."""
    name = getattr(expression, "name", None)
    return name if isinstance(name, str) else str(expression).split()[0]


def test_the_due_index_goes_down_and_up_again(engine: Engine) -> None:
    from hotline.core.migrate import downgrade, upgrade

    def due_indexes() -> dict[str, list[str | None]]:
        return {ix["name"]: ix["column_names"] for ix in inspect(engine).get_indexes("tickets")
                if ix["name"].startswith("ix_tickets_next_due")}

    downgrade(engine, "0011_i16counts")
    try:
        assert due_indexes() == {"ix_tickets_next_due_open": ["next_due_at"]}
    finally:
        upgrade(engine)  # the worker's schema goes on serving the tests after this one
    assert due_indexes() == {"ix_tickets_next_due_id": ["next_due_at", "id"]}


@pytest.mark.postgres
def test_an_invalid_due_index_of_that_name_stops_the_upgrade(scratch_pg: Engine) -> None:
    """``IF NOT EXISTS`` goes by the name: one built on other columns (or left invalid by a
    cancelled ``CREATE INDEX CONCURRENTLY``) must not replace the working index."""
    from hotline.core.migrate import upgrade

    upgrade(scratch_pg, "0011_i16counts")
    with scratch_pg.begin() as conn:
        conn.execute(text("CREATE INDEX ix_tickets_next_due_id ON tickets (next_due_at)"))
    with pytest.raises(RuntimeError, match="not valid on"):
        upgrade(scratch_pg)
    assert "ix_tickets_next_due_open" in {
        ix["name"] for ix in inspect(scratch_pg).get_indexes("tickets")}
