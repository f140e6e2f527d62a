"""Work orders, their comments and attachments, and the checklist templates they use."""
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, utcnow
from ..extensions import db
from .states import OPEN

# Written out as literals: SQLite uses a partial index only where the query repeats its condition
# exactly, values included, so queries on open work use open_condition() below.
_OPEN_SQL = "status IN (" + ", ".join(f"'{status}'" for status in OPEN) + ")"


class WorkOrder(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("asset.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    priority: Mapped[str] = mapped_column(sa.String(10), default="normal")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(sa.String(10), default="manual")
    status: Mapped[str] = mapped_column(sa.String(12), default="new")
    assignee_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    assignee_team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("team.id"))
    # What gave the work its first assignee when it was made (people/assignment.py BASES): a rule (named
    # by assignment_rule_id), a fallback, or "" when a person chose.
    assigned_by: Mapped[str] = mapped_column(sa.String(20), default="", server_default="")
    assignment_rule_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assignment_rule.id", ondelete="SET NULL"))
    checklist_template_id: Mapped[int | None] = mapped_column(sa.ForeignKey("checklist_template.id"))
    citizen_report_id: Mapped[int | None] = mapped_column()
    # The work order whose finding this one follows up.
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("work_order.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(500), default="")  # of the last hold, send-back or cancel
    time_spent_min: Mapped[int | None] = mapped_column()
    # What the work cost, in yuan, when the crew records it on completion; the annual report sums it.
    cost_yuan: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    asset = relationship("Asset")
    assignee_user = relationship("User", foreign_keys=[assignee_user_id])
    assignee_team = relationship("Team")
    created_by = relationship("User", foreign_keys=[created_by_id])
    checklist_template = relationship("ChecklistTemplate")
    comments: Mapped[list["WorkOrderComment"]] = relationship(order_by="WorkOrderComment.id")
    attachments: Mapped[list["WorkOrderAttachment"]] = relationship(order_by="WorkOrderAttachment.id")

    __mapper_args__ = {"version_id_col": version}

    def conflict_state(self) -> dict:
        """What a 409 on this work order shows of it (`error.current`), so the client can act again knowingly."""
        return {"id": self.id, "number": self.number, "status": self.status, "version": self.version,
                "assignee_user": self.assignee_user_id, "assignee_team": self.assignee_team_id,
                "due_at": self.due_at.isoformat(), "priority": self.priority}

    __table_args__ = (
        # The board filtered by one status, in due order.
        sa.Index("ix_work_order_status_due", "status", "due_at", "id"),
        # The board: open work by due date, which puts the overdue first. With the statuses in the key
        # instead, four ranges would have to be merged by sorting every open work order on each page.
        sa.Index("ix_work_order_open_due", "due_at", "id",
                 sqlite_where=sa.text(_OPEN_SQL), postgresql_where=sa.text(_OPEN_SQL)),
        sa.Index("ix_work_order_open_priority_due", "priority", "due_at", "id",
                 sqlite_where=sa.text(_OPEN_SQL), postgresql_where=sa.text(_OPEN_SQL)),
        # A person's or a team's open work ("my work"), and the assignee lookups of the foreign keys.
        sa.Index("ix_work_order_assignee_user_status_due", "assignee_user_id", "status", "due_at"),
        sa.Index("ix_work_order_assignee_team_status_due", "assignee_team_id", "status", "due_at"),
    )

    @property
    def number(self) -> str:
        return f"WO-{self.id:06d}"


def open_condition():
    """status IN (the open statuses), rendered with literal values so that the partial indexes apply."""
    return WorkOrder.status.in_(sa.bindparam("open_statuses", list(OPEN), expanding=True, literal_execute=True))


class WorkOrderComment(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(sa.ForeignKey("work_order.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    body: Mapped[str] = mapped_column(sa.Text)

    author = relationship("User")


class WorkOrderAttachment(db.Model):
    """A photo or a PDF added to a work order (a quote, a drawing, a photo of the damage)."""
    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(sa.ForeignKey("work_order.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(50))
    size_bytes: Mapped[int]
    path: Mapped[str] = mapped_column(sa.String(300))
    thumb_path: Mapped[str | None] = mapped_column(sa.String(300))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    uploaded_by = relationship("User")

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class ChecklistTemplate(db.Model):
    """One version of a checklist. Versions are never changed: results keep the one they used."""
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(80))
    version: Mapped[int] = mapped_column(default=1)
    asset_type: Mapped[str] = mapped_column(sa.String(30))  # "*" serves every type
    kind: Mapped[str] = mapped_column(sa.String(20))
    name_zh: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    source: Mapped[str] = mapped_column(sa.String(200), default="")
    items: Mapped[list] = mapped_column(sa.JSON)
    digest: Mapped[str] = mapped_column(sa.String(64))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("key", "version", name="uq_checklist_template_key_version"),)

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_zh
