"""team.webhook_url and webhook_message: team group robots (企业微信, 钉钉); the calendar's desk work (appraisals,
registrations, reviews, orders, plans) made office tasks, off the crews' board

Revision ID: 0021_board
Revises: 0020_people
"""
from alembic import op
import sqlalchemy as sa

import municipal.db

revision = '0021_board'
down_revision = '0020_people'
branch_labels = None
depends_on = None

# As municipal/calendar/engine/desk.py classified them when this ran, written out so the migration stays as it ran.
OFFICE_KINDS = ("first_safety_appraisal", "periodic_safety_appraisal", "special_safety_appraisal",
                "dam_break_loss_assessment", "reinforce_downgrade_or_decommission_plan", "restricted_operation",
                "registration_change", "three_persons_review", "stop_use")


def upgrade():
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.add_column(sa.Column('webhook_url', sa.String(length=500), nullable=True))
    op.create_table('webhook_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=False),
    sa.Column('created_at', municipal.db.UTCDateTime(), nullable=False),
    sa.Column('sent_at', municipal.db.UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_webhook_message_team_id_team'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_message'))
    )
    op.create_index('ix_webhook_message_unsent', 'webhook_message', ['id'], unique=False,
                    sqlite_where=sa.text('sent_at IS NULL'), postgresql_where=sa.text('sent_at IS NULL'))
    # Work the calendar already made for desk obligations leaves the crews' board for the office list.
    kinds = ", ".join(f"'{kind}'" for kind in OFFICE_KINDS)
    op.execute("UPDATE work_order SET kind = 'office' WHERE kind = 'inspection' AND id IN "
               f"(SELECT work_order_id FROM calendar_item WHERE work_order_id IS NOT NULL AND kind IN ({kinds}))")


def downgrade():
    kinds = ", ".join(f"'{kind}'" for kind in OFFICE_KINDS)
    op.execute("UPDATE work_order SET kind = 'inspection' WHERE kind = 'office' AND id IN "
               f"(SELECT work_order_id FROM calendar_item WHERE work_order_id IS NOT NULL AND kind IN ({kinds}))")
    op.drop_index('ix_webhook_message_unsent', table_name='webhook_message',
                  sqlite_where=sa.text('sent_at IS NULL'), postgresql_where=sa.text('sent_at IS NULL'))
    op.drop_table('webhook_message')
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_column('webhook_url')
