"""i13 numbers: PostgreSQL draws ticket numbers from a sequence, not a locked counter row

The counter row of the day was locked from a registration's first write to its commit, so on
PostgreSQL registrations went one at a time (``tickets.numbering`` says how numbers are drawn
now). ``ticket_days`` holds each day's base; the days already counted get a base that continues
their numbering where the counter left it. SQLite keeps the counter (one writer at a time).

Also drops ``ix_ticket_events_ticket_id``: the unique (ticket_id, seq) index serves every lookup
by ticket, and events are the most written table (one more index write per command for nothing).

Revision ID: 0009_i13_numbers
Revises: 0008_join
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_i13_numbers"
down_revision: str | None = "0008_join"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Numbers left for the previous version's processes on the day of the upgrade.
MARGIN = 1000


def upgrade() -> None:
    op.create_table(
        "ticket_days",
        sa.Column("day", sa.String(length=8), nullable=False),
        sa.Column("base", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE ticket_serial AS bigint")
        # nextval gives 1 first: a day counted to `last` goes on at last + 1 + MARGIN. The margin
        # is for API processes of the previous version still registering during the rollout:
        # they go on counting from `last` in ticket_counters and must not meet the new numbers.
        op.execute(f"INSERT INTO ticket_days (day, base) SELECT day, -(last + {MARGIN}) "
                   "FROM ticket_counters")
    op.drop_index("ix_ticket_events_ticket_id", table_name="ticket_events")


def downgrade() -> None:
    op.create_index("ix_ticket_events_ticket_id", "ticket_events", ["ticket_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # Put each day's counter where its numbers reached, for the counter to go on from there.
        op.execute("""
            INSERT INTO ticket_counters (day, last)
            SELECT substr(number, 1, 8), max(CAST(substr(number, 10) AS integer)) FROM tickets
            WHERE number ~ '^[0-9]{8}-[0-9]{6}$' GROUP BY substr(number, 1, 8)
            ON CONFLICT (day) DO UPDATE SET last = GREATEST(ticket_counters.last, excluded.last)""")
        op.execute("DROP SEQUENCE ticket_serial")
    op.drop_table("ticket_days")
