"""callers: caller messages (SMS outbox with delivery receipts)

Revision ID: 0005_callers_sms
Revises: 0004
Create Date: 2026-12-03 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hotline.core.columns

revision: str = '0005_callers_sms'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('caller_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('occasion', sa.String(length=12), nullable=False),
    sa.Column('template_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('out_id', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', hotline.core.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('gateway_message_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('accepted_at', hotline.core.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('receipt_status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('receipt_error', sqlmodel.sql.sqltypes.AutoString(length=240), nullable=True),
    sa.Column('receipt_at', hotline.core.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', hotline.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('out_id')
    )
    with op.batch_alter_table('caller_messages', schema=None) as batch_op:
        batch_op.create_index('ix_caller_messages_due', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_caller_messages_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_caller_messages_gateway_message_id'),
                              ['gateway_message_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('caller_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_caller_messages_gateway_message_id'))
        batch_op.drop_index(batch_op.f('ix_caller_messages_ticket_id'))
        batch_op.drop_index('ix_caller_messages_due')
    op.drop_table('caller_messages')
