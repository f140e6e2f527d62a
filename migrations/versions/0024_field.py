"""Proof of presence and the field app's photo facts: an inspection keeps the position taken when its record was
started beside the one taken at submission, with both distances to the facility, and a note per item with a
problem; each photo keeps when and where it was taken.

Revision ID: 0024_field
Revises: 0021_board
"""
from alembic import op
import sqlalchemy as sa

import municipal.db

revision = '0024_field'
down_revision = '0021_board'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.add_column(sa.Column('start_latitude', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('start_longitude', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('start_accuracy_m', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('start_distance_m', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('item_notes', sa.JSON(), nullable=True))
    with op.batch_alter_table('inspection_photo', schema=None) as batch_op:
        batch_op.add_column(sa.Column('taken_at', municipal.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('latitude', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('longitude', sa.Double(), nullable=True))


def downgrade():
    with op.batch_alter_table('inspection_photo', schema=None) as batch_op:
        batch_op.drop_column('longitude')
        batch_op.drop_column('latitude')
        batch_op.drop_column('taken_at')
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.drop_column('item_notes')
        batch_op.drop_column('start_distance_m')
        batch_op.drop_column('start_accuracy_m')
        batch_op.drop_column('start_longitude')
        batch_op.drop_column('start_latitude')
