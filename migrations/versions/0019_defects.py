"""job_lock: runs of one job never overlap; user.session_epoch: sign-out and a new password end sessions

Revision ID: 0019_defects
Revises: 0018_report_fields
"""
from alembic import op
import sqlalchemy as sa

import municipal.db

revision = '0019_defects'
down_revision = '0018_report_fields'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_lock',
    sa.Column('job', sa.String(length=64), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=False),
    sa.Column('locked_at', municipal.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('job', name=op.f('pk_job_lock'))
    )
    with op.batch_alter_table('user', schema=None) as batch_op:
        # Sessions signed in before this migration carry no epoch and end: everyone signs in once more.
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_epoch')
    op.drop_table('job_lock')
