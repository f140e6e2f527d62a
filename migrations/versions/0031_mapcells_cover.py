"""map_cell, map_cell_area: their counts and sums in their primary keys' indexes (PostgreSQL), so that a map
reads a viewport's cells from the index alone

Revision ID: 0031_mapcells_cover
Revises: 0030_mapcells
"""
from alembic import op

revision = '0031_mapcells_cover'
down_revision = '0030_mapcells'
branch_labels = None
depends_on = None

_KEYS = {'map_cell': 'level, cell, type, status', 'map_cell_area': 'level, area_id, cell, type, status'}


def _primary_keys(include: str) -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return  # SQLite has no INCLUDE, and reads these tables fast enough by their keys
    for table, keys in _KEYS.items():
        op.execute(f'ALTER TABLE {table} DROP CONSTRAINT pk_{table}, '
                   f'ADD CONSTRAINT pk_{table} PRIMARY KEY ({keys}){include}')


def upgrade():
    _primary_keys(' INCLUDE (n, sum_lon, sum_lat)')


def downgrade():
    _primary_keys('')
