"""The map's cell counts: how many located facilities of each type and status lie in each cell of each
level (geo/grid.py), with the sums of their positions, so a zoomed-out map is counted from a few thousand
rows instead of every facility in view. Kept by assets/map_cells.py, never written anywhere else."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class MapCell(db.Model):
    """Every located facility, by cell, type and status: what a map limited by no area counts."""

    level: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    cell: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    n: Mapped[int] = mapped_column()
    sum_lon: Mapped[float] = mapped_column(sa.Float)
    sum_lat: Mapped[float] = mapped_column(sa.Float)


class MapCellArea(db.Model):
    """The same by area as well (facilities without one are not here): what a map limited to areas, by
    its filter or by the person's scope, counts. Fewer levels: a cell holds a row per area in it."""

    level: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("area.id"), primary_key=True)
    cell: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    n: Mapped[int] = mapped_column()
    sum_lon: Mapped[float] = mapped_column(sa.Float)
    sum_lat: Mapped[float] = mapped_column(sa.Float)
