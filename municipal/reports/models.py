"""A generated report: queued by a person or the scheduler, rendered by the scheduler, kept for good."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, utcnow
from ..extensions import db

STATUSES = ("queued", "running", "done", "failed")


class Report(db.Model):
    """One version of one report. Regenerating adds a version; an archived file is never replaced."""
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20), default="annual")
    year: Mapped[int] = mapped_column()
    # "facility:12", "type:reservoir", "area:7" or "district" (see scope.py)
    scope: Mapped[str] = mapped_column(sa.String(60))
    title: Mapped[str] = mapped_column(sa.String(300), default="")
    lang: Mapped[str] = mapped_column(sa.String(5), default="zh")
    version: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(sa.String(10), default="queued")
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The moment the data was read: what happened later is not in the file.
    cutoff_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    generator_version: Mapped[str] = mapped_column(sa.String(40), default="")
    path: Mapped[str | None] = mapped_column(sa.String(300))
    size_bytes: Mapped[int | None] = mapped_column()
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    pages: Mapped[int | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(sa.Text)

    requested_by = relationship("User")

    __table_args__ = (
        sa.UniqueConstraint("kind", "year", "scope", "lang", "version", name="uq_report_version"),
        sa.Index("ix_report_status_requested", "status", "requested_at"),
    )
