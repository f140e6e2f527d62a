"""people fixes: the audit trail's recorded end, the facility types a user answers for

Revision ID: 0017_people_fixes
Revises: 0016_reports
"""
import sqlalchemy as sa
from alembic import op

import municipal.db

revision = '0017_people_fixes'
down_revision = '0016_reports'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'audit_head',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('last_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('last_hash', sa.String(length=64), nullable=False),
        sa.Column('updated_at', municipal.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head')),
    )
    # The end of the trail as it stands: from here on, deleting its newest entries shows. Times are naive UTC.
    now = "CURRENT_TIMESTAMP" if op.get_bind().dialect.name == "sqlite" else "(CURRENT_TIMESTAMP AT TIME ZONE 'UTC')"
    op.execute(sa.text(
        f"INSERT INTO audit_head (id, last_id, last_hash, updated_at) "
        f"SELECT 1, id, hash, {now} FROM audit_entry WHERE id = (SELECT MAX(id) FROM audit_entry)"))


    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('asset_types', sa.String(length=300), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('asset_types')
    op.drop_table('audit_head')
