"""asset.lon, asset.lat, asset.geo_key: where the map finds each facility, and the index that serves a viewport

Revision ID: 0027_map
Revises: 0026_open311
"""
from alembic import op
import sqlalchemy as sa

from municipal.geo.grid import spatial_columns

revision = '0027_map'
down_revision = '0026_open311'
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade():
    with op.batch_alter_table('asset', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lon', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('lat', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('geo_key', sa.BigInteger(), nullable=True))
    asset = sa.table('asset', sa.column('id', sa.Integer), sa.column('geometry', sa.JSON),
                     sa.column('lon', sa.Float), sa.column('lat', sa.Float), sa.column('geo_key', sa.BigInteger))
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(sa.select(asset.c.id, asset.c.geometry).where(asset.c.id > last,
                                                                               asset.c.geometry.is_not(None))
                                  .order_by(asset.c.id).limit(BATCH)).all()
        if not rows:
            break
        values = [{"row_id": row.id, **spatial_columns(row.geometry)} for row in rows if row.geometry]
        if values:
            connection.execute(asset.update().where(asset.c.id == sa.bindparam("row_id"))
                               .values(lon=sa.bindparam("lon"), lat=sa.bindparam("lat"),
                                       geo_key=sa.bindparam("geo_key")), values)
        last = rows[-1].id
    op.create_index('ix_asset_geo_key', 'asset', ['geo_key', 'lon', 'lat', 'type', 'status', 'area_id'],
                    unique=False)


def downgrade():
    op.drop_index('ix_asset_geo_key', table_name='asset')
    with op.batch_alter_table('asset', schema=None) as batch_op:
        batch_op.drop_column('geo_key')
        batch_op.drop_column('lat')
        batch_op.drop_column('lon')
