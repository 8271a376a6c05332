"""Join the revisions that features added side by side on 0004 into one head.

Revision ID: 0006_join
Revises: 0005_callers_sms, 0005_i13, 0005_i14b, 0005_i15a_security, 0005_kb, 0005_ops,
         0005_security_i15b
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0006_join"
down_revision: str | Sequence[str] | None = (
    "0005_callers_sms", "0005_i13", "0005_i14b", "0005_i15a_security", "0005_kb", "0005_ops",
    "0005_security_i15b",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to do: each joined revision touches its own tables and columns."""


def downgrade() -> None:
    """Nothing to undo."""
