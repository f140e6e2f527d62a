"""citizen_report.geo_key: the spatial key of a report's position, so reports near a pin are found by an index

Revision ID: 0029_pin
Revises: 0028_cit
"""
from alembic import op
import sqlalchemy as sa

from municipal.geo.grid import geo_key

revision = '0029_pin'
down_revision = '0028_cit'
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade():
    with op.batch_alter_table('citizen_report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('geo_key', sa.BigInteger(), nullable=True))
    report = sa.table('citizen_report', sa.column('id', sa.Integer), sa.column('lon', sa.Float),
                      sa.column('lat', sa.Float), sa.column('geo_key', sa.BigInteger))
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(sa.select(report.c.id, report.c.lon, report.c.lat)
                                  .where(report.c.id > last, report.c.lat.is_not(None), report.c.lon.is_not(None))
                                  .order_by(report.c.id).limit(BATCH)).all()
        if not rows:
            break
        connection.execute(report.update().where(report.c.id == sa.bindparam("row_id"))
                           .values(geo_key=sa.bindparam("key")),
                           [{"row_id": row.id, "key": geo_key(row.lon, row.lat)} for row in rows])
        last = rows[-1].id
    op.create_index('ix_citizen_report_geo_key', 'citizen_report', ['geo_key', 'created_at'], unique=False)


def downgrade():
    op.drop_index('ix_citizen_report_geo_key', table_name='citizen_report')
    with op.batch_alter_table('citizen_report', schema=None) as batch_op:
        batch_op.drop_column('geo_key')
