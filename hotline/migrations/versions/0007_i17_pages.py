"""i17: figures the board shows, stored (the monthly evaluation, the hotspots)

Computing a month's evaluation replays every ticket whose deadline fell in it; the board showed
it on every view (207 ms of the board's time with the demo city, tens of seconds at 1M tickets).
``board_snapshots`` keeps the last computation of such a figure by key (supervision/snapshots.py).

(The board's 30-day charts also needed an index on ``tickets.created_at`` alone: 1.5 s of the
board at 1M tickets without it. 0007_i16hot, beside this one, adds it for the hotspots.)

Revision ID: 0007_i17_pages
Revises: 0006_join
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hotline.core.columns import UTCDateTime

revision: str = "0007_i17_pages"
down_revision: str | None = "0006_join"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "board_snapshots",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("computed_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("board_snapshots")
