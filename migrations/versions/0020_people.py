"""responsible persons' unit and user account; assignment rules; what assigned a work order

Revision ID: 0020_people
Revises: 0019_defects
"""
from alembic import op
import sqlalchemy as sa

import municipal.db

revision = '0020_people'
down_revision = '0019_defects'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('assignment_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('asset_type', sa.String(length=32), server_default='', nullable=False),
    sa.Column('kind', sa.String(length=20), server_default='', nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', municipal.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_assignment_rule_area_id_area')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_assignment_rule_created_by_id_user')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_assignment_rule_team_id_team')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_assignment_rule_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment_rule'))
    )
    with op.batch_alter_table('assignment_rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_rule_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignment_rule_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignment_rule_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('responsible_person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_responsible_person_user_id'), ['user_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_responsible_person_user_id_user'), 'user', ['user_id'], ['id'],
                                    ondelete='SET NULL')

    with op.batch_alter_table('work_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assigned_by', sa.String(length=20), server_default='', nullable=False))
        batch_op.add_column(sa.Column('assignment_rule_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_work_order_assignment_rule_id_assignment_rule'),
                                    'assignment_rule', ['assignment_rule_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('work_order', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_work_order_assignment_rule_id_assignment_rule'), type_='foreignkey')
        batch_op.drop_column('assignment_rule_id')
        batch_op.drop_column('assigned_by')

    with op.batch_alter_table('responsible_person', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_responsible_person_user_id_user'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_responsible_person_user_id'))
        batch_op.drop_column('user_id')
        batch_op.drop_column('unit')

    with op.batch_alter_table('assignment_rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignment_rule_user_id'))
        batch_op.drop_index(batch_op.f('ix_assignment_rule_team_id'))
        batch_op.drop_index(batch_op.f('ix_assignment_rule_area_id'))

    op.drop_table('assignment_rule')
