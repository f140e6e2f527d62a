"""map_cell, map_cell_area: the map's counts of located facilities per cell, type, status (and area), filled
from the facilities

Revision ID: 0030_mapcells
Revises: 0029_pin
"""
from alembic import op
import sqlalchemy as sa

from municipal.assets.map_cells import rebuild

revision = '0030_mapcells'
down_revision = '0029_pin'
branch_labels = None
depends_on = None


def _sums():
    return [sa.Column('n', sa.Integer(), nullable=False), sa.Column('sum_lon', sa.Float(), nullable=False),
            sa.Column('sum_lat', sa.Float(), nullable=False)]


def upgrade():
    op.create_table(
        'map_cell',
        sa.Column('level', sa.SmallInteger(), nullable=False),
        sa.Column('cell', sa.BigInteger(), nullable=False),
        sa.Column('type', sa.String(length=32), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        *_sums(),
        sa.PrimaryKeyConstraint('level', 'cell', 'type', 'status', name=op.f('pk_map_cell')),
    )
    op.create_table(
        'map_cell_area',
        sa.Column('level', sa.SmallInteger(), nullable=False),
        sa.Column('area_id', sa.Integer(), nullable=False),
        sa.Column('cell', sa.BigInteger(), nullable=False),
        sa.Column('type', sa.String(length=32), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        *_sums(),
        sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_map_cell_area_area_id_area')),
        sa.PrimaryKeyConstraint('level', 'area_id', 'cell', 'type', 'status', name=op.f('pk_map_cell_area')),
    )
    rebuild(op.get_bind())


def downgrade():
    op.drop_table('map_cell_area')
    op.drop_table('map_cell')
