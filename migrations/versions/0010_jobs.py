"""job_run: the claim table of scheduled jobs

Revision ID: 0010_jobs
Revises: 0009_inspections
"""
from alembic import op
import sqlalchemy as sa

import municipal.db

revision = '0010_jobs'
down_revision = '0009_inspections'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('claimed_at', municipal.db.UTCDateTime(), nullable=False),
    sa.Column('finished_at', municipal.db.UTCDateTime(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_run')),
    sa.UniqueConstraint('job', 'period', name='uq_job_run_job_period')
    )


def downgrade():
    op.drop_table('job_run')
