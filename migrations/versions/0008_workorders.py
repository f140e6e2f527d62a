"""work orders and their comments

Revision ID: 0008_workorders
Revises: 0007_intake
"""
from alembic import op
import sqlalchemy as sa

import municipal.db

revision = '0008_workorders'
down_revision = '0007_intake'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('work_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('due_at', municipal.db.UTCDateTime(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('assignee_user_id', sa.Integer(), nullable=True),
    sa.Column('assignee_team_id', sa.Integer(), nullable=True),
    sa.Column('checklist_template_id', sa.Integer(), nullable=True),
    sa.Column('citizen_report_id', sa.Integer(), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('time_spent_min', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', municipal.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', municipal.db.UTCDateTime(), nullable=False),
    sa.Column('started_at', municipal.db.UTCDateTime(), nullable=True),
    sa.Column('completed_at', municipal.db.UTCDateTime(), nullable=True),
    sa.Column('closed_at', municipal.db.UTCDateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['asset.id'], name=op.f('fk_work_order_asset_id_asset')),
    sa.ForeignKeyConstraint(['assignee_team_id'], ['team.id'], name=op.f('fk_work_order_assignee_team_id_team')),
    sa.ForeignKeyConstraint(['assignee_user_id'], ['user.id'], name=op.f('fk_work_order_assignee_user_id_user')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_work_order_created_by_id_user')),
    sa.ForeignKeyConstraint(['parent_id'], ['work_order.id'], name=op.f('fk_work_order_parent_id_work_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_order'))
    )
    with op.batch_alter_table('work_order', schema=None) as batch_op:
        batch_op.create_index('ix_work_order_status_due', ['status', 'due_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_order_asset_id'), ['asset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_order_assignee_team_id'), ['assignee_team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_order_assignee_user_id'), ['assignee_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_order_parent_id'), ['parent_id'], unique=False)

    op.create_table('work_order_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('at', municipal.db.UTCDateTime(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_work_order_comment_author_id_user')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_order.id'], name=op.f('fk_work_order_comment_work_order_id_work_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_order_comment'))
    )
    with op.batch_alter_table('work_order_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_order_comment_work_order_id'), ['work_order_id'], unique=False)


def downgrade():
    op.drop_table('work_order_comment')
    op.drop_table('work_order')
