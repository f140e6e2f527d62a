"""indexes for the board and "my work"

Revision ID: 0011_board_indexes
Revises: 0010_jobs
"""
from alembic import op
import sqlalchemy as sa

revision = '0011_board_indexes'
down_revision = "0010_jobs"
branch_labels = None
depends_on = None

# As the model writes it: SQLite matches a partial index only against the same literal condition.
OPEN = sa.text("status IN ('new', 'assigned', 'in_progress', 'on_hold')")


def upgrade():
    with op.batch_alter_table('work_order', schema=None) as batch_op:
        batch_op.drop_index('ix_work_order_assignee_user_id')
        batch_op.drop_index('ix_work_order_assignee_team_id')
        batch_op.create_index('ix_work_order_open_due', ['due_at', 'id'], unique=False,
                              sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.create_index('ix_work_order_open_priority_due', ['priority', 'due_at', 'id'], unique=False,
                              sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.create_index('ix_work_order_assignee_user_status_due', ['assignee_user_id', 'status', 'due_at'],
                              unique=False)
        batch_op.create_index('ix_work_order_assignee_team_status_due', ['assignee_team_id', 'status', 'due_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('work_order', schema=None) as batch_op:
        batch_op.drop_index('ix_work_order_assignee_team_status_due')
        batch_op.drop_index('ix_work_order_assignee_user_status_due')
        batch_op.drop_index('ix_work_order_open_priority_due')
        batch_op.drop_index('ix_work_order_open_due')
        batch_op.create_index('ix_work_order_assignee_team_id', ['assignee_team_id'], unique=False)
        batch_op.create_index('ix_work_order_assignee_user_id', ['assignee_user_id'], unique=False)
