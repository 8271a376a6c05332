"""knowledge base: impact-ordered posting lists (kb_postings), filled from the stored tokens

Revision ID: 0007_i16search
Revises: 0006_join
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hotline.kb.index import post_all

revision: str = "0007_i16search"
down_revision: str | None = "0006_join"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kb_postings",
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.Column("impact", sa.Float(precision=53), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["kb_entries.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("entry_id", "term"),
    )
    op.create_index("ix_kb_postings_term_impact", "kb_postings",
                    ["term", sa.text("impact DESC"), "entry_id"])
    post_all(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_kb_postings_term_impact", table_name="kb_postings")
    op.drop_table("kb_postings")
