"""i14b: return lateness, visit method, withheld-number lookup code, co-unit deadlines,
parent review of replies (CQ §6), abusive-caller flags (CQ §26)

Revision ID: 0005_i14b
Revises: 0004
Create Date: 2026-12-03 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hotline.core.columns

revision: str = '0005_i14b'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('ticket_returns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('late', sa.Boolean(), nullable=True))
    with op.batch_alter_table('return_visits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=8),
                                      nullable=True))
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lookup_code', sqlmodel.sql.sqltypes.AutoString(length=12),
                                      nullable=True))
        batch_op.create_index(batch_op.f('ix_tickets_lookup_code'), ['lookup_code'], unique=False)
    with op.batch_alter_table('ticket_units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_at', hotline.core.columns.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('signed_at', hotline.core.columns.UTCDateTime(timezone=True),
                                      nullable=True))
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_replies', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))

    op.create_table('reply_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_unit_id', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('submitted_at', hotline.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', hotline.core.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], ),
    sa.ForeignKeyConstraint(['reviewer_unit_id'], ['units.id'], ),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reply_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reply_reviews_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reply_reviews_reviewer_unit_id'), ['reviewer_unit_id'],
                              unique=False)

    op.create_table('caller_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('caller_phone', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('ticket_numbers', sa.JSON(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('flagged_by_id', sa.Integer(), nullable=False),
    sa.Column('flagged_at', hotline.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', hotline.core.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('expires_at', hotline.core.columns.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['flagged_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('caller_flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_caller_flags_caller_phone'), ['caller_phone'],
                              unique=False)

    op.create_table('caller_flag_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('flag_id', sa.Integer(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('at', hotline.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['flag_id'], ['caller_flags.id'], ),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('caller_flag_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_caller_flag_events_flag_id'), ['flag_id'], unique=False)


def downgrade() -> None:
    op.drop_table('caller_flag_events')
    op.drop_table('caller_flags')
    op.drop_table('reply_reviews')
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_column('review_replies')
    with op.batch_alter_table('ticket_units', schema=None) as batch_op:
        batch_op.drop_column('signed_at')
        batch_op.drop_column('due_at')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tickets_lookup_code'))
        batch_op.drop_column('lookup_code')
    with op.batch_alter_table('return_visits', schema=None) as batch_op:
        batch_op.drop_column('method')
    with op.batch_alter_table('ticket_returns', schema=None) as batch_op:
        batch_op.drop_column('late')
