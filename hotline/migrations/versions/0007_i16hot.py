"""i16hot: an index on tickets.created_at for the hotspots and the anomaly detector

Both read every ticket created in a time span whatever its status (the last 14 days for the
weekly hotspots, 29 days for the surge baseline); the (status, created_at) index cannot serve a
range without a status, so without this index each board load scanned the table.

Revision ID: 0007_i16hot
Revises: 0006_join
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_i16hot"
down_revision: str | None = "0006_join"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_tickets_created", "tickets", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_tickets_created", table_name="tickets")
