"""Assignment rules: which team or person gets a kind of work on a type of facility in an area."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, utcnow
from ..extensions import db


class AssignmentRule(db.Model):
    """Area × type × kind → a team or a person. An empty area, type or kind matches any; the most specific
    matching rule decides (assignment.py)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("area.id"), index=True)
    asset_type: Mapped[str] = mapped_column(sa.String(32), default="", server_default="")
    kind: Mapped[str] = mapped_column(sa.String(20), default="", server_default="")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("team.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    area = relationship("Area")
    user = relationship("User", foreign_keys=[user_id])
    team = relationship("Team")
