"""What the calendar knows and makes: each facility's history, the events of the district, the supervisors'
own plans, the due items made into work orders, and private calendar feeds."""
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, utcnow
from ..extensions import db


class FacilityHistory(db.Model):
    """Something done at a facility that the rules count: a patrol, an inspection, an appraisal and its result."""
    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("asset.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    done_on: Mapped[date] = mapped_column(sa.Date)
    result: Mapped[str | None] = mapped_column(sa.String(10))  # 一类/二类/三类 on appraisals
    report_date: Mapped[date | None] = mapped_column(sa.Date)
    finding_class: Mapped[int | None] = mapped_column()
    quick_rating: Mapped[str | None] = mapped_column(sa.String(8))
    grade: Mapped[str | None] = mapped_column(sa.String(2))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    # One entry per completed work order: recording a completion twice changes nothing.
    work_order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("work_order.id"), unique=True)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    asset = relationship("Asset")
    recorded_by = relationship("User")


class CalendarEvent(db.Model):
    """What happened in an area, or at one facility: a rainstorm, an earthquake, high water, a missing
    manhole cover. It sets off special patrols and the other work the rules ask for."""
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("area.id"), index=True)
    asset_id: Mapped[int | None] = mapped_column(sa.ForeignKey("asset.id"), index=True)
    # Events with a moment (a cover reported missing at 09:40) start then; the SLA runs from it.
    start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    start_on: Mapped[date] = mapped_column(sa.Date)
    end_on: Mapped[date] = mapped_column(sa.Date)
    measurements: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Who said it happened: a person ("manual") or the readings of a gauge ("reading"), whose ids are `basis`.
    source: Mapped[str] = mapped_column(sa.String(10), default="manual", server_default="manual")
    basis: Mapped[list | None] = mapped_column(sa.JSON)
    # Events recorded by the platform itself carry a natural key (one per facility, kind and day), so that
    # the same readings sent twice, or a withdrawn event's readings, never record it again.
    natural_key: Mapped[str | None] = mapped_column(sa.String(80), unique=True)
    # A withdrawn event is kept, to be seen and audited, but the rules no longer read it.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    area = relationship("Area")
    asset = relationship("Asset")
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])


# An item still to be done: known ahead (scheduled), or with its work order made (planned).
OPEN_STATUSES = ("scheduled", "planned")


class CalendarItem(db.Model):
    """One due obligation of one facility, as the rules or a plan gave it, and what became of it.

    `key` is the engine's natural key (rule, kind, due): running the job twice, or on two machines,
    finds the item already there and creates nothing.
    """
    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("asset.id"))
    key: Mapped[str] = mapped_column(sa.String(200))
    rule: Mapped[str] = mapped_column(sa.String(40))
    kind: Mapped[str] = mapped_column(sa.String(40))
    due_on: Mapped[date] = mapped_column(sa.Date, index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The day its work order is made: a week ahead for patrols, two months for what needs preparing.
    make_on: Mapped[date] = mapped_column(sa.Date, default=lambda context: context.get_current_parameters()["due_on"])
    why: Mapped[str] = mapped_column(sa.String(300), default="")
    # Obligations that stand until met stay overdue; calendar-bound ones are missed once their day passed.
    standing: Mapped[bool] = mapped_column(default=False)
    # scheduled (known, not yet within its lead time), planned (its work order made), done, missed, superseded
    status: Mapped[str] = mapped_column(sa.String(12), default="scheduled")
    work_order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("work_order.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_on: Mapped[date | None] = mapped_column(sa.Date)  # the local day it was done or marked missed
    # When the area's supervisors were told that this overdue item is high-risk: they are told once.
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    asset = relationship("Asset")
    work_order = relationship("WorkOrder")

    __table_args__ = (
        sa.UniqueConstraint("asset_id", "key", name="uq_calendar_item_asset_key"),
        sa.Index("ix_calendar_item_status_due", "status", "due_on"),
        sa.Index("ix_calendar_item_status_make", "status", "make_on"),
    )


class CalendarState(db.Model):
    """How far ahead a facility's calendar is known: the daily run reads the rules again only for
    facilities whose known stretch runs short, or whose facts changed."""
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("asset.id"), primary_key=True)
    evaluated_on: Mapped[date] = mapped_column(sa.Date)
    covered_until: Mapped[date] = mapped_column(sa.Date, index=True)
    # Whether the rules flagged the facility risky at that reading (a 三类 dam, an overdue appraisal).
    risky: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


class Plan(db.Model):
    """A supervisor's own recurring work at one facility: every N days, weeks or months, on given weekdays
    or days of the month, within a season or all year."""
    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("asset.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    work_kind: Mapped[str] = mapped_column(sa.String(20), default="inspection")
    every: Mapped[int] = mapped_column(default=1)
    unit: Mapped[str] = mapped_column(sa.String(6))  # day, week, month
    weekdays: Mapped[str] = mapped_column(sa.String(20), default="")  # ISO weekdays "1,4"
    month_days: Mapped[str] = mapped_column(sa.String(100), default="")  # "1,15"
    season: Mapped[str] = mapped_column(sa.String(20), default="")  # "", "flood", "outside_flood"
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date | None] = mapped_column(sa.Date)
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    asset = relationship("Asset")


class CalendarFeed(db.Model):
    """A private iCalendar address for a user's, a team's, an area's or a facility's calendar; revoked, it
    answers 404."""
    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the secret in the address: the database never holds a usable address.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    scope: Mapped[str] = mapped_column(sa.String(10))  # user, team, area, facility
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("team.id"))
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("area.id"))
    asset_id: Mapped[int | None] = mapped_column(sa.ForeignKey("asset.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner = relationship("User")
    team = relationship("Team")
    area = relationship("Area")
    asset = relationship("Asset")
