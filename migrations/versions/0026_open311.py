"""citizen reports: Open311 keys and requests, priorities and deadlines

Revision ID: 0026_open311
Revises: 0025_readings
"""
from alembic import op
import sqlalchemy as sa

import municipal.db


revision = '0026_open311'
down_revision = '0025_readings'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'open311_key',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('prefix', sa.String(length=12), nullable=False),
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', municipal.db.UTCDateTime(), nullable=False),
        sa.Column('revoked_at', municipal.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_open311_key')),
        sa.UniqueConstraint('key_hash', name=op.f('uq_open311_key_key_hash')),
        sa.UniqueConstraint('name', name=op.f('uq_open311_key_name')),
    )
    with op.batch_alter_table('citizen_report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=250), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('media_url', sa.String(length=1000), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('open311_key_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('priority', sa.String(length=10), nullable=False, server_default='normal'))
        batch_op.add_column(sa.Column('response_due_at', municipal.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('fix_due_at', municipal.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('response_escalated_at', municipal.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('fix_escalated_at', municipal.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('satisfaction', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('satisfaction_at', municipal.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('device_hash', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_citizen_report_device_created', ['device_hash', 'created_at'], unique=False)
        batch_op.create_index('ix_citizen_report_asset_created', ['asset_id', 'created_at'], unique=False)
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_citizen_report_merged_into_id_citizen_report'), 'citizen_report',
                                    ['merged_into_id'], ['id'])
        batch_op.create_unique_constraint(batch_op.f('uq_citizen_report_token'), ['token'])
        batch_op.create_foreign_key(batch_op.f('fk_citizen_report_open311_key_id_open311_key'), 'open311_key',
                                    ['open311_key_id'], ['id'])


def downgrade():
    with op.batch_alter_table('citizen_report', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_citizen_report_open311_key_id_open311_key'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_citizen_report_token'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_citizen_report_merged_into_id_citizen_report'), type_='foreignkey')
        batch_op.drop_index('ix_citizen_report_asset_created')
        batch_op.drop_index('ix_citizen_report_device_created')
        for column in ('satisfaction_at', 'satisfaction', 'fix_escalated_at', 'response_escalated_at', 'fix_due_at', 'response_due_at', 'priority', 'token', 'open311_key_id',
                       'media_url', 'address', 'device_hash', 'merged_into_id'):
            batch_op.drop_column(column)
    op.drop_table('open311_key')
