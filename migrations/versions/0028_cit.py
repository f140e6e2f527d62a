"""citizen reports: photos processed after the report is filed (their state), Open311 requests counted per key

Revision ID: 0028_cit
Revises: 0027_map
"""
from alembic import op
import sqlalchemy as sa


revision = '0028_cit'
down_revision = '0027_map'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('citizen_report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('photo_state', sa.String(length=10), nullable=True))
        batch_op.create_index('ix_citizen_report_photo_state', ['photo_state'], unique=False)
        batch_op.create_index('ix_citizen_report_key_created', ['open311_key_id', 'created_at'], unique=False)
    # Photos stored before were processed in the request.
    op.execute("UPDATE citizen_report SET photo_state = 'ready' WHERE photo_path IS NOT NULL")


def downgrade():
    with op.batch_alter_table('citizen_report', schema=None) as batch_op:
        batch_op.drop_index('ix_citizen_report_key_created')
        batch_op.drop_index('ix_citizen_report_photo_state')
        batch_op.drop_column('photo_state')
