"""i13 due index: the overdue lists' index carries the ticket id, (next_due_at, id)

Every overdue list counts the tickets past due and pages them in (next_due_at, id) order. With
the index on next_due_at alone, a unit manager's count read each overdue ticket's heap page to
learn its id for the scope probe (~5,900 pages for the city's ~10,000 overdue tickets at 1M), and
every page sorted each run of equal due times; with the id in the index that count is an
index-only scan and the page needs no sort (bench/RESULTS.md, "The overdue lists at 1M,
2026-12-06"). On SQLite every index carries the rowid already: the same plans, a new name.

A large production table: build the index first by hand without blocking writes,
``CREATE INDEX CONCURRENTLY ix_tickets_next_due_id ON tickets (next_due_at, id)``; the upgrade
then finds it and only drops the old one.

Revision ID: 0012_i13_due_index
Revises: 0011_i16counts
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_i13_due_index"
down_revision: str | None = "0011_i16counts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_tickets_next_due_id", "tickets", ["next_due_at", "id"],
                    if_not_exists=True)
    if op.get_bind().dialect.name == "postgresql":
        # IF NOT EXISTS looks at the name only: an index left INVALID by a cancelled
        # CONCURRENTLY build, or one of other columns, must not replace the working one.
        found = op.get_bind().execute(sa.text(
            "SELECT i.indisvalid, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indexrelid = to_regclass('ix_tickets_next_due_id')")).one()
        if not found[0] or not found[1].endswith("(next_due_at, id)"):
            raise RuntimeError(f"ix_tickets_next_due_id exists but is not valid on "
                               f"(next_due_at, id): {found[1]}; drop it and upgrade again")
    op.drop_index("ix_tickets_next_due_open", table_name="tickets")


def downgrade() -> None:
    op.create_index("ix_tickets_next_due_open", "tickets", ["next_due_at"])
    op.drop_index("ix_tickets_next_due_id", table_name="tickets")
