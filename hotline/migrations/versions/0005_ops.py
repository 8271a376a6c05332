"""ops: peer outages (the 联动中断 alert and its recovery), the jobs' last runs

Revision ID: 0005_ops
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hotline.core.columns

revision: str = '0005_ops'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('peer_outages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('peer', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('opened_at', hotline.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', hotline.core.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_failure_at', hotline.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('peer_outages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_peer_outages_peer'), ['peer'], unique=False)
    op.create_table('job_runs',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('last_started_at', hotline.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_finished_at', hotline.core.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_ok_at', hotline.core.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_seconds', sa.Float(), nullable=False),
    sa.Column('last_outcome', sa.JSON(), nullable=False),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('runs', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )


def downgrade() -> None:
    op.drop_table('job_runs')
    with op.batch_alter_table('peer_outages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_peer_outages_peer'))
    op.drop_table('peer_outages')
