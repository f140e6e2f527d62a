"""reports: the archive of generated annual reports and their queue

Revision ID: 0016_reports
Revises: 0015_area_api
Create Date: 2026-11-26 22:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

import municipal.db


# revision identifiers, used by Alembic.
revision = '0016_reports'
down_revision = '0015_area_api'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=60), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('lang', sa.String(length=5), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', municipal.db.UTCDateTime(), nullable=False),
    sa.Column('started_at', municipal.db.UTCDateTime(), nullable=True),
    sa.Column('finished_at', municipal.db.UTCDateTime(), nullable=True),
    sa.Column('cutoff_at', municipal.db.UTCDateTime(), nullable=True),
    sa.Column('generator_version', sa.String(length=40), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=True),
    sa.Column('size_bytes', sa.Integer(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('pages', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user.id'], name=op.f('fk_report_requested_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report')),
    sa.UniqueConstraint('kind', 'year', 'scope', 'lang', 'version', name='uq_report_version')
    )
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.create_index('ix_report_status_requested', ['status', 'requested_at'], unique=False)


def downgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_index('ix_report_status_requested')

    op.drop_table('report')
