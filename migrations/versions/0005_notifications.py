"""notifications and user email

Revision ID: 0005_notifications
Revises: 0004_audit
Create Date: 2026-11-27 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import municipal.db


# revision identifiers, used by Alembic.
revision = '0005_notifications'
down_revision = '0004_audit'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=200), nullable=True))

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=True),
    sa.Column('created_at', municipal.db.UTCDateTime(), nullable=False),
    sa.Column('read_at', municipal.db.UTCDateTime(), nullable=True),
    sa.Column('emailed_at', municipal.db.UTCDateTime(), nullable=True),
    sa.Column('email_error', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notification_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    sa.UniqueConstraint('user_id', 'dedupe_key', name=op.f('uq_notification_user_id_dedupe_key'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_user_id_id'), ['user_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_unread'), ['user_id'], unique=False,
                              sqlite_where=sa.text('read_at IS NULL'), postgresql_where=sa.text('read_at IS NULL'))
        batch_op.create_index(batch_op.f('ix_notification_unsent'), ['created_at'], unique=False,
                              sqlite_where=sa.text('emailed_at IS NULL'),
                              postgresql_where=sa.text('emailed_at IS NULL'))


def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_unsent'))
        batch_op.drop_index(batch_op.f('ix_notification_unread'))
        batch_op.drop_index(batch_op.f('ix_notification_user_id_id'))

    op.drop_table('notification')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('email')
