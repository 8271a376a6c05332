"""security (issue 15, findings 8–9): events keep the actor's name and carry a hash chain;
idempotency keys for commands

Revision ID: 0005_security_i15b
Revises: 0004
Create Date: 2026-12-03 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hotline.core.columns
from hotline.tickets.chain import GENESIS, digest

revision: str = '0005_security_i15b'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor_name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('actor_unit_name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    op.create_table('event_chain_heads',
    sa.Column('ticket_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.PrimaryKeyConstraint('ticket_id')
    )
    op.create_table('idempotency_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('request_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response', sa.JSON(), nullable=True),
    sa.Column('created_at', hotline.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'key')
    )
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_keys_created_at'), ['created_at'], unique=False)
    # Existing events: today's names are the best record of the names then; then seal the chains.
    op.execute("UPDATE ticket_events SET actor_name = (SELECT full_name FROM users "
               "WHERE users.id = ticket_events.actor_id) WHERE actor_id IS NOT NULL")
    op.execute("UPDATE ticket_events SET actor_unit_name = (SELECT name FROM units "
               "WHERE units.id = ticket_events.actor_unit_id) WHERE actor_unit_id IS NOT NULL")
    _seal_existing()


def _seal_existing() -> None:
    conn = op.get_bind()
    events = sa.table('ticket_events', *(sa.column(c) for c in (
        'id', 'ticket_id', 'seq', 'action', 'from_status', 'to_status', 'actor_id', 'actor_unit_id',
        'actor_name', 'actor_unit_name', 'reason', 'prev_hash', 'hash')),
        sa.column('payload', sa.JSON()), sa.column('at', hotline.core.columns.UTCDateTime()))
    heads = sa.table('event_chain_heads', sa.column('ticket_id'), sa.column('seq'), sa.column('hash'))
    current, prev, last_seq = None, GENESIS, 0
    rows = conn.execute(sa.select(events).order_by(events.c.ticket_id, events.c.seq)).mappings().all()
    for row in rows:
        if row['ticket_id'] != current:
            if current is not None:
                conn.execute(heads.insert().values(ticket_id=current, seq=last_seq, hash=prev))
            current, prev = row['ticket_id'], GENESIS
        value = digest(dict(row), prev)
        conn.execute(events.update().where(events.c.id == row['id']).values(prev_hash=prev, hash=value))
        prev, last_seq = value, row['seq']
    if current is not None:
        conn.execute(heads.insert().values(ticket_id=current, seq=last_seq, hash=prev))


def downgrade() -> None:
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_keys_created_at'))
    op.drop_table('idempotency_keys')
    op.drop_table('event_chain_heads')
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('actor_unit_name')
        batch_op.drop_column('actor_name')
