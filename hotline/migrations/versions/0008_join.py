"""Join the revisions that features added side by side on 0006_join into one head.

Revision ID: 0008_join
Revises: 0007_i16hot, 0007_i16search, 0007_i17_pages
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0008_join"
down_revision: str | Sequence[str] | None = ("0007_i16hot", "0007_i16search", "0007_i17_pages")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to do: each joined revision touches its own tables and indexes."""


def downgrade() -> None:
    """Nothing to undo."""
