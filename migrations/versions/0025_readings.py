"""reading, reading_rollup: water levels and rainfall and their hourly and daily summaries; calendar_event:
where an event came from (source, basis), its natural key, its withdrawal; api_token.facility_ids: a device
token's facilities

Revision ID: 0025_readings
Revises: 0024_field
"""
from alembic import op
import sqlalchemy as sa

import municipal.db

revision = '0025_readings'
down_revision = '0024_field'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reading',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('observed_at', municipal.db.UTCDateTime(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('period_minutes', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=True),
    sa.Column('created_at', municipal.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['asset.id'], name=op.f('fk_reading_asset_id_asset')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_order.id'], name=op.f('fk_reading_work_order_id_work_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reading')),
    sa.UniqueConstraint('asset_id', 'kind', 'observed_at', name='uq_reading_asset_kind_time')
    )
    op.create_table('reading_rollup',
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('grain', sa.String(length=1), nullable=False),
    sa.Column('bucket_at', municipal.db.UTCDateTime(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('total', sa.Float(), nullable=False),
    sa.Column('low', sa.Float(), nullable=False),
    sa.Column('high', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['asset.id'], name=op.f('fk_reading_rollup_asset_id_asset')),
    sa.PrimaryKeyConstraint('asset_id', 'kind', 'grain', 'bucket_at', name=op.f('pk_reading_rollup'),
                            postgresql_include=['count', 'total', 'low', 'high']),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('calendar_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=10), server_default='manual', nullable=False))
        batch_op.add_column(sa.Column('basis', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('natural_key', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_at', municipal.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_by_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_calendar_event_natural_key'), ['natural_key'])
        batch_op.create_foreign_key(batch_op.f('fk_calendar_event_withdrawn_by_id_user'), 'user',
                                    ['withdrawn_by_id'], ['id'])
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('facility_ids', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('facility_ids')
    with op.batch_alter_table('calendar_event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_calendar_event_withdrawn_by_id_user'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_calendar_event_natural_key'), type_='unique')
        batch_op.drop_column('withdrawn_by_id')
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('natural_key')
        batch_op.drop_column('basis')
        batch_op.drop_column('source')
    op.drop_table('reading_rollup')
    op.drop_table('reading')
