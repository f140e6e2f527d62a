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
    "crack": _l("Cracks or subsidence"),
    "cover_missing": _l("Manhole cover missing"),
    "flooding": _l("Standing water or flooding"),
    "other": _l("Something else"),
}
# The staff's states of a report. Once it became work its state stays "accepted" and the work order's
# progress is what the citizen sees (see states.py, the one mapping between the two views).
STATUSES = {
    "new": _l("Received"),
    "accepted": _l("Work order created"),
    "review": _l("Under review again"),
    "closed": _l("Closed"),
}
PUBLIC_STATUSES = {
    **STATUSES,
    "in_progress": _l("Being worked on"),
    "done": _l("Done"),
}


class CitizenReport(db.Model):
    """A problem reported by a member of the public, without an account."""

    __table_args__ = (sa.Index("ix_citizen_report_fingerprint_created", "client_fingerprint", "created_at"),
                      sa.Index("ix_citizen_report_device_created", "device_hash", "created_at"),
                      sa.Index("ix_citizen_report_asset_created", "asset_id", "created_at"),
                      sa.Index("ix_citizen_report_photo_state", "photo_state"),
                      sa.Index("ix_citizen_report_key_created", "open311_key_id", "created_at"),
                      sa.Index("ix_citizen_report_geo_key", "geo_key", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(16), unique=True)
    asset_id: Mapped[int | None] = mapped_column(sa.ForeignKey("asset.id"), index=True)
    category: Mapped[str] = mapped_column(sa.String(16))
    description: Mapped[str] = mapped_column(sa.Text)
    photo_path: Mapped[str | None] = mapped_column(sa.String(200))
    thumb_path: Mapped[str | None] = mapped_column(sa.String(200))
    # None without a photo. "pending": photo_path is the upload as it came, thumb_path None, until the
    # report-photos job makes the kept copy ("ready") or finds it damaged and deletes it ("refused").
    photo_state: Mapped[str | None] = mapped_column(sa.String(10))
    # Staff only: the public status page never shows these.
    contact_name: Mapped[str] = mapped_column(sa.String(100), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(40), default="")
    lon: Mapped[float | None] = mapped_column(sa.Float)
    lat: Mapped[float | None] = mapped_column(sa.Float)
    # The position's spatial key (municipal/geo/grid.py), as facilities carry it: reports near a pin are a few
    # key ranges of an index, not a scan.
    geo_key: Mapped[int | None] = mapped_column(sa.BigInteger)
    # A keyed hash of the client's IP: enough to count a client's reports, useless to identify anyone.
    client_fingerprint: Mapped[str] = mapped_column(sa.String(64))
    # The same keyed hash of the form's device cookie: a phone moving between networks is still counted.
    device_hash: Mapped[str | None] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16), default="new", index=True)
    reply: Mapped[str] = mapped_column(sa.Text, default="")
    work_order_id: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Open311: the address the other system gave, the photo it pointed at (kept as given, never fetched),
    # the key it filed with, and the token it may follow the request by.
    address: Mapped[str] = mapped_column(sa.String(250), default="")
    media_url: Mapped[str] = mapped_column(sa.String(1000), default="")
    open311_key_id: Mapped[int | None] = mapped_column(sa.ForeignKey("open311_key.id"))
    token: Mapped[str | None] = mapped_column(sa.String(32), unique=True)
    priority: Mapped[str] = mapped_column(sa.String(10), default="normal")
    # The category's deadlines (config REPORT_SLA_HOURS), from the moment the report arrived.
    response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fix_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When each passed deadline was escalated to the area's supervisors: once each.
    response_escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fix_escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # 满意度回访: the citizen's word once the report is done or closed; "unsatisfied" sends it back for review.
    satisfaction: Mapped[str | None] = mapped_column(sa.String(12))
    # A duplicate is closed into the report that stays open, which the citizen is told to follow.
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("citizen_report.id"))
    satisfaction_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    asset = relationship("Asset")
    accepted_by = relationship("User", foreign_keys=[accepted_by_id])
    closed_by = relationship("User", foreign_keys=[closed_by_id])
    merged_into = relationship("CitizenReport", remote_side=[id])


class Open311Key(db.Model):
    """A key another system (a 12345 platform, a city app) files Open311 requests with. Only its hash is kept:
    the key is shown once, when it is made."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
