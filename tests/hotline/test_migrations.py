"""The migrations are the schema: one head, and after `upgrade` the database has every table and
column the models declare (features add revisions side by side; a model change without its
revision would otherwise surface only as a 500 in production)."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import inspect
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
