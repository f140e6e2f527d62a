"""scan log written in batches, positions apart

Revision ID: 23b67924be36
(Scans are queued and written in batches, so a scan's position is stored apart, by the scan's token.)
Revises: 00e7c1179401
Create Date: 2026-11-26 17:05:46.529702

"""
from alembic import op
import sqlalchemy as sa

import municipal.db


# revision identifiers, used by Alembic.
revision = '23b67924be36'
down_revision = '00e7c1179401'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scan_position',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scan_token', sa.String(length=32), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('at', municipal.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scan_position')),
    sa.UniqueConstraint('scan_token', name=op.f('uq_scan_position_scan_token'))
    )
    with op.batch_alter_table('scan_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token', sa.String(length=32), nullable=True))
    # Scans logged before this revision are named by their id, and keep their positions.
    op.execute("UPDATE scan_log SET token = 'scan-' || id")
    op.execute(
        "INSERT INTO scan_position (scan_token, lon, lat, accuracy_m, at) "
        "SELECT token, lon, lat, accuracy_m, at FROM scan_log WHERE lon IS NOT NULL AND lat IS NOT NULL"
    )
    with op.batch_alter_table('scan_log', schema=None) as batch_op:
        batch_op.alter_column('token', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_index(batch_op.f('ix_scan_log_token'), ['token'], unique=False)
        batch_op.drop_column('lon')
        batch_op.drop_column('lat')
        batch_op.drop_column('accuracy_m')


def downgrade():
    with op.batch_alter_table('scan_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accuracy_m', sa.FLOAT(), nullable=True))
        batch_op.add_column(sa.Column('lat', sa.FLOAT(), nullable=True))
        batch_op.add_column(sa.Column('lon', sa.FLOAT(), nullable=True))
        batch_op.drop_index(batch_op.f('ix_scan_log_token'))
        batch_op.drop_column('token')

    op.drop_table('scan_position')
