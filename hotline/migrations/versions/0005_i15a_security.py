"""security: token version per user, sign-in audit

Revision ID: 0005_i15a_security
Revises: 0004
Create Date: 2026-12-03 16:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hotline.core.columns

revision: str = '0005_i15a_security'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_version', sa.Integer(), server_default='0', nullable=False))
    op.create_table('login_audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', hotline.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('client', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('login_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_audit_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_audit_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_audit_username'), ['username'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('login_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_audit_username'))
        batch_op.drop_index(batch_op.f('ix_login_audit_user_id'))
        batch_op.drop_index(batch_op.f('ix_login_audit_at'))
    op.drop_table('login_audit')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('token_version')
