"""calendar: overdue high-risk items escalated once, facilities known to be risky, feeds per facility;
what each job run counted

Revision ID: 0014_calendar_fixes
Revises: 0013_scan_log_indexes
"""
import sqlalchemy as sa
from alembic import op

import municipal.db

revision = '0014_calendar_fixes'
down_revision = '0013_scan_log_indexes'
branch_labels = None
depends_on = None


def upgrade():
    # When the area's supervisors were told that the overdue item is high-risk: they are told once.
    with op.batch_alter_table('calendar_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('escalated_at', municipal.db.UTCDateTime(), nullable=True))
    # Whether the rules flagged the facility risky when its calendar was last read (a 三类 dam, an overdue
    # appraisal): every overdue standing item there is high-risk.
    with op.batch_alter_table('calendar_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('risky', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('calendar_feed', schema=None) as batch_op:
        batch_op.add_column(sa.Column('asset_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_calendar_feed_asset_id_asset'), 'asset', ['asset_id'], ['id'])
    # Shown to admins with the run's outcome: "12 work orders made from the calendar".
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('count', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.drop_column('count')
    with op.batch_alter_table('calendar_feed', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_calendar_feed_asset_id_asset'), type_='foreignkey')
        batch_op.drop_column('asset_id')
    with op.batch_alter_table('calendar_state', schema=None) as batch_op:
        batch_op.drop_column('risky')
    with op.batch_alter_table('calendar_item', schema=None) as batch_op:
        batch_op.drop_column('escalated_at')
