"""work orders: what the work cost, for the annual report

Revision ID: 0018_report_fields
Revises: 0017_people_fixes
"""
from alembic import op
import sqlalchemy as sa


revision = '0018_report_fields'
down_revision = '0017_people_fixes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('work_order', schema=None) as batch_op:
        # Unknown for the work done so far: NULL, which the report shows as not recorded.
        batch_op.add_column(sa.Column('cost_yuan', sa.Numeric(precision=12, scale=2), nullable=True))


def downgrade():
    with op.batch_alter_table('work_order', schema=None) as batch_op:
        batch_op.drop_column('cost_yuan')
