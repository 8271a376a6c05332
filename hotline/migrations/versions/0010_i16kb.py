"""knowledge base: each posting carries its entry's filter columns, kept in step by triggers

A filtered search tested each of up to 10 x 40 postings per query term by fetching its entry
row (published and valid now, public, category, unit): 26 ms p95 at 100,000 entries on
PostgreSQL against a goal of 20 (bench/RESULTS.md). With the columns on the posting and in its
index (after the impact order, so only for covering), the test is made on the index entry.

Triggers on kb_entries rewrite an entry's postings when one of those columns changes: every
path that changes an entry (the workflow's steps, the hourly expiry, an import, an edit, a
statement typed by an operator) keeps them in step without knowing about them. New postings
get the columns from ``hotline.kb.index.post``.

Revision ID: 0010_i16kb
Revises: 0009_i13_numbers
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hotline.core.columns import UTCDateTime

revision: str = "0010_i16kb"
down_revision: str | Sequence[str] | None = "0009_i13_numbers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The entry columns a search filters on, as the posting holds them (``published`` is the
#: entry's status = 'published').
_COPIED = ("public", "unit_id", "category", "valid_from", "valid_until")
_SET = ", ".join(["published = ({n}.status = 'published')"] + [f"{c} = {{n}}.{c}" for c in _COPIED])
_CHANGED = " OR ".join(["(OLD.status = 'published') IS DISTINCT FROM (NEW.status = 'published')"]
                       + [f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _COPIED])
_OF = "status, " + ", ".join(_COPIED)


def upgrade() -> None:
    with op.batch_alter_table("kb_postings") as batch:
        batch.add_column(sa.Column("published", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("unit_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("category", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("valid_from", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("valid_until", UTCDateTime(), nullable=True))
    op.drop_index("ix_kb_postings_term_impact", table_name="kb_postings")
    # Fill before indexing: one pass over the table instead of one index update per row.
    op.execute(f"UPDATE kb_postings SET {_SET.format(n='e')} FROM kb_entries e "
               "WHERE e.id = kb_postings.entry_id")
    op.create_index("ix_kb_postings_term_filters", "kb_postings",
                    ["term", sa.text("impact DESC"), "entry_id", "published", "public", "unit_id",
                     "category", "valid_from", "valid_until"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION kb_postings_restamp() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE kb_postings SET {_SET.format(n='NEW')} WHERE entry_id = NEW.id;
                RETURN NULL;
            END $$""")
        op.execute(f"""
            CREATE TRIGGER kb_entries_postings_au AFTER UPDATE OF {_OF} ON kb_entries
            FOR EACH ROW WHEN ({_CHANGED}) EXECUTE FUNCTION kb_postings_restamp()""")
    else:
        op.execute(f"""
            CREATE TRIGGER kb_entries_postings_au AFTER UPDATE OF {_OF} ON kb_entries
            WHEN {_CHANGED.replace("IS DISTINCT FROM", "IS NOT")}
            BEGIN
                UPDATE kb_postings SET {_SET.format(n='NEW')} WHERE entry_id = NEW.id;
            END""")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS kb_entries_postings_au" +
               (" ON kb_entries" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS kb_postings_restamp()")
    op.drop_index("ix_kb_postings_term_filters", table_name="kb_postings")
    with op.batch_alter_table("kb_postings") as batch:
        for name in ("valid_until", "valid_from", "category", "unit_id", "public", "published"):
            batch.drop_column(name)
    op.create_index("ix_kb_postings_term_impact", "kb_postings", ["term", sa.text("impact DESC"), "entry_id"])
