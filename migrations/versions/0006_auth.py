"""sign-in attempts and API token scopes

Revision ID: 0006_auth
Revises: 0005_notifications
Create Date: 2026-11-27 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import municipal.db


# revision identifiers, used by Alembic.
revision = '0006_auth'
down_revision = '0005_notifications'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=False),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.Column('created_at', municipal.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempt'))
    )
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_attempt_username'), ['username'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_attempt_ip'), ['ip'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_attempt_created_at'), ['created_at'], unique=False)

    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scopes', sa.String(length=40), server_default='read write', nullable=False))


def downgrade():
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('scopes')

    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_attempt_created_at'))
        batch_op.drop_index(batch_op.f('ix_login_attempt_ip'))
        batch_op.drop_index(batch_op.f('ix_login_attempt_username'))

    op.drop_table('login_attempt')
