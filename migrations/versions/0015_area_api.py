"""areas: a version for edits through the API, and retirement

Revision ID: 0015_area_api
Revises: 0014_calendar_fixes
"""
from alembic import op
import sqlalchemy as sa

import municipal.db


revision = '0015_area_api'
down_revision = '0014_calendar_fixes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('area', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retired_at', municipal.db.UTCDateTime(), nullable=True))
        # Existing areas start at version 1, as new ones do.
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('area', schema=None) as batch_op:
        batch_op.drop_column('version')
        batch_op.drop_column('retired_at')
