"""An inspection record (one submission of a work order's checklist), its photos and its findings."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, utcnow
from ..extensions import db


class Inspection(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # The phone's own id for this submission: a repeat of it returns this record and creates nothing.
    idempotency_key: Mapped[str] = mapped_column(sa.String(36), unique=True)
    work_order_id: Mapped[int] = mapped_column(sa.ForeignKey("work_order.id"), index=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("asset.id"), index=True)
    template_id: Mapped[int | None] = mapped_column(sa.ForeignKey("checklist_template.id"))
    inspector_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answers: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    time_spent_min: Mapped[int | None] = mapped_column()
    latitude: Mapped[float | None] = mapped_column()
    longitude: Mapped[float | None] = mapped_column()
    accuracy_m: Mapped[float | None] = mapped_column()
    distance_m: Mapped[float | None] = mapped_column()
    far_from_facility: Mapped[bool | None] = mapped_column()
    # Proof of presence: the position the phone had when the record was started, beside the one at submission.
    start_latitude: Mapped[float | None] = mapped_column()
    start_longitude: Mapped[float | None] = mapped_column()
    start_accuracy_m: Mapped[float | None] = mapped_column()
    start_distance_m: Mapped[float | None] = mapped_column()
    item_notes: Mapped[dict | None] = mapped_column(sa.JSON)  # item key -> what the crew wrote of its problem

    work_order = relationship("WorkOrder")
    asset = relationship("Asset")
    template = relationship("ChecklistTemplate")
    inspector = relationship("User")
    photos: Mapped[list["InspectionPhoto"]] = relationship(order_by="InspectionPhoto.id")
    findings: Mapped[list["Finding"]] = relationship(order_by="Finding.id", back_populates="inspection")

    @property
    def nearest_m(self) -> float | None:
        """The nearer of the two distances to the facility (at the start, at submission), or None."""
        known = [d for d in (self.start_distance_m, self.distance_m) if d is not None]
        return min(known) if known else None


class InspectionPhoto(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(sa.ForeignKey("inspection.id", ondelete="CASCADE"), index=True)
    item_key: Mapped[str | None] = mapped_column(sa.String(60))  # None: a photo of the whole visit
    path: Mapped[str] = mapped_column(sa.String(300))
    thumb_path: Mapped[str] = mapped_column(sa.String(300))
    width: Mapped[int]
    height: Mapped[int]
    # When and where the phone took it, as the phone said (None for a photo sent without them).
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    latitude: Mapped[float | None] = mapped_column()
    longitude: Mapped[float | None] = mapped_column()


class Finding(db.Model):
    """A problem found (隐患): a failed item, a value out of range. Rectified when its follow-up is verified."""
    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(sa.ForeignKey("inspection.id", ondelete="CASCADE"), index=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("asset.id"), index=True)
    item_key: Mapped[str] = mapped_column(sa.String(60))
    severity: Mapped[str] = mapped_column(sa.String(10))
    value: Mapped[str] = mapped_column(sa.String(200), default="")
    reason: Mapped[str] = mapped_column(sa.String(10))
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    follow_up_id: Mapped[int | None] = mapped_column(sa.ForeignKey("work_order.id"), index=True)

    inspection: Mapped[Inspection] = relationship(back_populates="findings")
    follow_up = relationship("WorkOrder")
