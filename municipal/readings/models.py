"""Water levels and rainfall as measured at a facility, and their hourly and daily summaries."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import UTCDateTime, utcnow
from ..extensions import db

KINDS = ("water_level", "rainfall")
SOURCES = ("manual", "device", "import")


class Reading(db.Model):
    """One measurement: a water level in metres (the facility's datum) at a moment, or the rainfall in mm
    over the `period_minutes` ending at that moment."""
    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("asset.id"))
    kind: Mapped[str] = mapped_column(sa.String(12))
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    value: Mapped[float] = mapped_column(sa.Float)
    period_minutes: Mapped[int | None] = mapped_column()
    source: Mapped[str] = mapped_column(sa.String(8))
    work_order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("work_order.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # One value per facility, kind and moment: the index every chart and rule reads by, and what makes a
    # device's repeat a no-op and a different value at the same moment a conflict.
    __table_args__ = (sa.UniqueConstraint("asset_id", "kind", "observed_at", name="uq_reading_asset_kind_time"),)


class ReadingRollup(db.Model):
    """Count, sum, minimum and maximum of a facility's readings of one kind in one hour or one local day
    (`grain` "h" or "d"), kept up to date as readings arrive: long charts read these, never raw rows."""
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("asset.id"))
    kind: Mapped[str] = mapped_column(sa.String(12))
    grain: Mapped[str] = mapped_column(sa.String(1))
    bucket_at: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column()
    total: Mapped[float] = mapped_column(sa.Float)
    low: Mapped[float] = mapped_column(sa.Float)
    high: Mapped[float] = mapped_column(sa.Float)

    # A decade of one facility's days is then a few adjacent pages, not 3,650 rows scattered among the hours
    # written between them: kept in key order on SQLite, read from the key's index alone on PostgreSQL.
    __table_args__ = (sa.PrimaryKeyConstraint("asset_id", "kind", "grain", "bucket_at", name="pk_reading_rollup",
                                              postgresql_include=["count", "total", "low", "high"]),
                      {"sqlite_with_rowid": False})
