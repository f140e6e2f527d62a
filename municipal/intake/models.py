"""Citizen reports."""
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, utcnow
from ..extensions import db

CATEGORIES = {
    "damaged": _l("Damaged or broken"),
    "blocked": _l("Blocked or overflowing"),
    "leaking": _l("Leaking"),
    "dirty": _l("Dirty or littered"),
    "dangerous": _l("Dangerous"),
    "other": _l("Something else"),
}
STATUSES = {
    "new": _l("Received"),
    "accepted": _l("Work order created"),
    "closed": _l("Closed"),
}
# What the public status page says once a report became work: its stored status stays "accepted", and the
# work order's progress is shown instead (see services.report_status).
PUBLIC_STATUSES = {
    **STATUSES,
    "in_progress": _l("Being worked on"),
    "done": _l("Done"),
}


class CitizenReport(db.Model):
    """A problem reported by a member of the public, without an account."""

    __table_args__ = (sa.Index("ix_citizen_report_fingerprint_created", "client_fingerprint", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(16), unique=True)
    asset_id: Mapped[int | None] = mapped_column(sa.ForeignKey("asset.id"), index=True)
    category: Mapped[str] = mapped_column(sa.String(16))
    description: Mapped[str] = mapped_column(sa.Text)
    photo_path: Mapped[str | None] = mapped_column(sa.String(200))
    thumb_path: Mapped[str | None] = mapped_column(sa.String(200))
    # Staff only: the public status page never shows these.
    contact_name: Mapped[str] = mapped_column(sa.String(100), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(40), default="")
    lon: Mapped[float | None] = mapped_column(sa.Float)
    lat: Mapped[float | None] = mapped_column(sa.Float)
    # A keyed hash of IP and user agent: enough to count a client's reports, useless to identify anyone.
    client_fingerprint: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16), default="new", index=True)
    reply: Mapped[str] = mapped_column(sa.Text, default="")
    work_order_id: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    asset = relationship("Asset")
    accepted_by = relationship("User", foreign_keys=[accepted_by_id])
    closed_by = relationship("User", foreign_keys=[closed_by_id])
