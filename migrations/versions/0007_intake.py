"""citizen reports

Revision ID: 0007_intake
Revises: 0006_auth
Create Date: 2026-11-27 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import municipal.db


# revision identifiers, used by Alembic.
revision = '0007_intake'
down_revision = '0006_auth'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('citizen_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=16), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('photo_path', sa.String(length=200), nullable=True),
    sa.Column('thumb_path', sa.String(length=200), nullable=True),
    sa.Column('contact_name', sa.String(length=100), nullable=False),
    sa.Column('contact_phone', sa.String(length=40), nullable=False),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('client_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reply', sa.Text(), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=True),
    sa.Column('created_at', municipal.db.UTCDateTime(), nullable=False),
    sa.Column('accepted_at', municipal.db.UTCDateTime(), nullable=True),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', municipal.db.UTCDateTime(), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['asset_id'], ['asset.id'], name=op.f('fk_citizen_report_asset_id_asset')),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['user.id'], name=op.f('fk_citizen_report_accepted_by_id_user')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['user.id'], name=op.f('fk_citizen_report_closed_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_citizen_report')),
    sa.UniqueConstraint('number', name=op.f('uq_citizen_report_number'))
    )
    with op.batch_alter_table('citizen_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_citizen_report_asset_id'), ['asset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_citizen_report_status'), ['status'], unique=False)
        batch_op.create_index('ix_citizen_report_fingerprint_created', ['client_fingerprint', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('citizen_report', schema=None) as batch_op:
        batch_op.drop_index('ix_citizen_report_fingerprint_created')
        batch_op.drop_index(batch_op.f('ix_citizen_report_status'))
        batch_op.drop_index(batch_op.f('ix_citizen_report_asset_id'))

    op.drop_table('citizen_report')
