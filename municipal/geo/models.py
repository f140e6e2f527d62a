"""The map's cell counts: how many located facilities of each type and status lie in each cell of each
level (geo/grid.py), with the sums of their positions, so a zoomed-out map is counted from a few thousand
rows instead of every facility in view. Kept by assets/map_cells.py, never written anywhere else."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

_SUMS = ["n", "sum_lon", "sum_lat"]


class MapCell(db.Model):
    """Every located facility, by cell, type and status: what a map limited by no area counts."""

    # The sums in the key's index too (PostgreSQL): a viewport's cells are read from the index alone, where
    # fetching each cell's row from the table cost several times more (and more than the map's time).
    __table_args__ = (sa.PrimaryKeyConstraint("level", "cell", "type", "status", postgresql_include=_SUMS),)

    level: Mapped[int] = mapped_column(sa.SmallInteger)
    cell: Mapped[int] = mapped_column(sa.BigInteger)
    type: Mapped[str] = mapped_column(sa.String(32))
    status: Mapped[str] = mapped_column(sa.String(20))
    n: Mapped[int] = mapped_column()
    sum_lon: Mapped[float] = mapped_column(sa.Float)
    sum_lat: Mapped[float] = mapped_column(sa.Float)


class MapCellArea(db.Model):
    """The same by area as well (facilities without one are not here): what a map limited to areas, by
    its filter or by the person's scope, counts. Fewer levels: a cell holds a row per area in it."""

    __table_args__ = (sa.PrimaryKeyConstraint("level", "area_id", "cell", "type", "status", postgresql_include=_SUMS),)

    level: Mapped[int] = mapped_column(sa.SmallInteger)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("area.id"))
    cell: Mapped[int] = mapped_column(sa.BigInteger)
    type: Mapped[str] = mapped_column(sa.String(32))
    status: Mapped[str] = mapped_column(sa.String(20))
    n: Mapped[int] = mapped_column()
    sum_lon: Mapped[float] = mapped_column(sa.Float)
    sum_lat: Mapped[float] = mapped_column(sa.Float)
