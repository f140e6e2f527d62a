"""Facilities, the areas they lie in, the people answering for them, and their identity codes."""
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, utcnow
from ..extensions import db


class Area(db.Model):
    """District → town/street → village/community."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    name_en: Mapped[str] = mapped_column(sa.String(100), default="")
    level: Mapped[str] = mapped_column(sa.String(16))  # AREA_LEVELS
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("area.id"))
    # "/1/4/17/": lets a filter on an area take in everything below it with one prefix match.
    path: Mapped[str] = mapped_column(sa.String(255), index=True, default="/")
    # Retired, not deleted: decommissioned facilities, past events and the audit trail still name it.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    parent: Mapped["Area | None"] = relationship(remote_side=[id])

    # Every write still checks the version it read, but only an edit counts as a new version (services bump
    # it): a new area's path, set once its id exists, and paths rewritten under a moved parent do not.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    def display_name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name


def find_area(ref) -> Area | None:
    """An area by its code, its id, or its exact Chinese or English name: the one way an area is named in
    forms, files and filters."""
    if ref is None or ref == "":
        return None
    text = str(ref).strip()
    query = sa.select(Area).where(sa.or_(Area.code == text, Area.name == text, Area.name_en == text))
    if text.isdigit() and int(text) < 2**31:  # ids are 32-bit integers on PostgreSQL
        query = sa.select(Area).where(sa.or_(Area.id == int(text), Area.code == text))
    return db.session.scalars(query).first()


class Asset(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(32), index=True)
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("area.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="in_service", index=True)
    owner_unit: Mapped[str] = mapped_column(sa.String(200), default="")
    maintenance_unit: Mapped[str] = mapped_column(sa.String(200), default="")
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    attributes: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    geometry: Mapped[dict | None] = mapped_column(sa.JSON)
    # Where the map finds the facility: its geometry's representative point and spatial key (geo/grid.py),
    # written with the geometry by clean_asset. The index holds every column the map filters and counts by,
    # so a viewport is counted from the index alone.
    lon: Mapped[float | None] = mapped_column(sa.Float)
    lat: Mapped[float | None] = mapped_column(sa.Float)
    geo_key: Mapped[int | None] = mapped_column(sa.BigInteger)
    chainage_start_m: Mapped[float | None] = mapped_column(sa.Float)
    chainage_end_m: Mapped[float | None] = mapped_column(sa.Float)
    in_service_on: Mapped[date | None] = mapped_column(sa.Date)
    internal_notes: Mapped[str] = mapped_column(sa.Text, default="")
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    area: Mapped[Area | None] = relationship()
    persons: Mapped[list["ResponsiblePerson"]] = relationship(
        back_populates="asset", cascade="all, delete-orphan", order_by="ResponsiblePerson.id"
    )
    code: Mapped["IdentityCode | None"] = relationship(
        primaryjoin="and_(IdentityCode.asset_id == Asset.id, IdentityCode.status == 'bound')",
        viewonly=True,
        uselist=False,
    )
    photos: Mapped[list["AssetPhoto"]] = relationship(back_populates="asset", order_by="AssetPhoto.id")

    __table_args__ = (sa.Index("ix_asset_geo_key", "geo_key", "lon", "lat", "type", "status", "area_id"),)
    __mapper_args__ = {"version_id_col": version}


class ResponsiblePerson(db.Model):
    """Who answers for a facility: a reservoir's 三个责任人, a river's or road's chiefs."""

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(20))
    level: Mapped[str | None] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(100))
    unit: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    position: Mapped[str] = mapped_column(sa.String(200), default="")
    # The number given for 公示 (an office or duty line): the nameplate and the public card show it. A linked
    # user's own contact details are never shown publicly.
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    river_chief_day: Mapped[bool] = mapped_column(default=False)
    # The person's account, when they have one: field work may then be given to them (people/assignment.py).
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)

    asset: Mapped[Asset] = relationship(back_populates="persons")
    user = relationship("User")


class IdentityCode(db.Model):
    """A printed identity. Never deleted, never reused; bound to at most one facility at a time."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(4))
    status: Mapped[str] = mapped_column(sa.String(10), default="unbound")  # unbound | bound | revoked
    asset_id: Mapped[int | None] = mapped_column(sa.ForeignKey("asset.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    bound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    replaced_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("identity_code.id"))

    asset: Mapped[Asset | None] = relationship(foreign_keys=[asset_id])
    replaced_by: Mapped["IdentityCode | None"] = relationship(remote_side=[id])


class CodeEvent(db.Model):
    """The history of a code: issued, bound, revoked, printed."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code_id: Mapped[int] = mapped_column(sa.ForeignKey("identity_code.id"), index=True)
    asset_id: Mapped[int | None] = mapped_column(sa.ForeignKey("asset.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    note: Mapped[str] = mapped_column(sa.String(300), default="")

    code: Mapped[IdentityCode] = relationship()
    user = relationship("User")


class ScanLog(db.Model):
    """One scan of a code. Written in batches (see scanlog.py), so the page cannot wait for its id:
    the random token names the scan instead, for the position the phone sends later."""

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(32))
    code_id: Mapped[int | None] = mapped_column(sa.ForeignKey("identity_code.id"))
    asset_id: Mapped[int | None] = mapped_column(sa.ForeignKey("asset.id"), index=True)
    scanned_text: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    user_agent: Mapped[str] = mapped_column(sa.String(300), default="")

    user = relationship("User")
    position: Mapped["ScanPosition | None"] = relationship(
        primaryjoin="ScanLog.token == foreign(ScanPosition.scan_token)", viewonly=True, uselist=False
    )


class ScanPosition(db.Model):
    """Where the phone was, sent by the scan page once the phone allowed it to read its position."""

    id: Mapped[int] = mapped_column(primary_key=True)
    scan_token: Mapped[str] = mapped_column(sa.String(32), unique=True)
    lon: Mapped[float] = mapped_column(sa.Float)
    lat: Mapped[float] = mapped_column(sa.Float)
    accuracy_m: Mapped[float | None] = mapped_column(sa.Float)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PrintBatch(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    preset: Mapped[str] = mapped_column(sa.String(20))
    label_count: Mapped[int] = mapped_column(default=0)
    selection: Mapped[str] = mapped_column(sa.String(500), default="")

    user = relationship("User")


class PrintBatchItem(db.Model):
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("print_batch.id"), primary_key=True)
    code_id: Mapped[int] = mapped_column(sa.ForeignKey("identity_code.id"), primary_key=True)


class AssetPhoto(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("asset.id"), index=True)
    path: Mapped[str] = mapped_column(sa.String(300))
    thumb_path: Mapped[str] = mapped_column(sa.String(300))
    width: Mapped[int]
    height: Mapped[int]
    caption: Mapped[str] = mapped_column(sa.String(200), default="")
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    asset: Mapped[Asset] = relationship(back_populates="photos")
