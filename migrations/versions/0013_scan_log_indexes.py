"""scan log: only the index its reader uses

Revision ID: 0013_scan_log_indexes
Revises: 0012_calendar
"""
from alembic import op

revision = '0013_scan_log_indexes'
down_revision = '0012_calendar'
branch_labels = None
depends_on = None


# Every scan adds a row, and each index on a random key costs the write more than the row itself. The log
# is read by facility only; a position finds its scan through scan_position's own unique token.
def upgrade():
    with op.batch_alter_table('scan_log', schema=None) as batch_op:
        batch_op.drop_index('ix_scan_log_token')
        batch_op.drop_index('ix_scan_log_code_id')


def downgrade():
    with op.batch_alter_table('scan_log', schema=None) as batch_op:
        batch_op.create_index('ix_scan_log_code_id', ['code_id'], unique=False)
        batch_op.create_index('ix_scan_log_token', ['token'], unique=False)
