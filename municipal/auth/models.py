"""Users, teams, what each is responsible for, and API tokens."""
import hashlib
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, utcnow
from ..extensions import db

ROLES = ("admin", "supervisor", "crew", "viewer")
# Roles that may change the registry.
EDITOR_ROLES = ("admin", "supervisor")


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(100), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(300))
    role: Mapped[str] = mapped_column(sa.String(16))
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    email: Mapped[str | None] = mapped_column(sa.String(200))
    # Comma-separated facility types a supervisor answers for, within their areas; empty means all.
    asset_types: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Part of the id a browser session carries: raised on sign-out and on a new password, it ends every
    # session signed in before (cookie sessions live in the browser, so the server cannot delete them).
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"

    @property
    def asset_type_list(self) -> list[str]:
        return [t for t in (self.asset_types or "").split(",") if t]

    @property
    def can_edit(self) -> bool:
        return self.role in EDITOR_ROLES


# A user's or a team's areas of responsibility: a supervisor of 鼓山镇 sees and assigns that area's work.
user_area = sa.Table(
    "user_area", db.metadata,
    sa.Column("user_id", sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("area_id", sa.ForeignKey("area.id", ondelete="CASCADE"), primary_key=True),
)
team_member = sa.Table(
    "team_member", db.metadata,
    sa.Column("team_id", sa.ForeignKey("team.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)


class Team(db.Model):
    """A crew: work can be assigned to it, and then any member may take it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("area.id"), index=True)
    # Comma-separated asset types the team looks after; empty means all.
    asset_types: Mapped[str] = mapped_column(sa.String(300), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A 企业微信 or 钉钉 group robot the team's work news is posted to (notify/webhooks.py); it holds the
    # robot's secret key, so only whether one is set is written to the audit trail.
    webhook_url: Mapped[str | None] = mapped_column(sa.String(500))

    members: Mapped[list[User]] = relationship(secondary=team_member, back_populates="teams", order_by="User.username")
    area = relationship("Area")


User.teams = relationship(Team, secondary=team_member, back_populates="members", order_by=Team.name)
User.areas = relationship("Area", secondary=user_area, order_by="Area.path")


class ApiToken(db.Model):
    """An opaque bearer token; only its SHA-256 is stored."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Space-separated: "read" or "read write". Tokens made before scopes existed could write.
    scopes: Mapped[str] = mapped_column(sa.String(40), default="read write", server_default="read write")
    # A device token ("readings:write") may post readings only for these facilities.
    facility_ids: Mapped[list | None] = mapped_column(sa.JSON)

    user: Mapped[User] = relationship()

    def allows(self, scope: str) -> bool:
        return scope in self.scopes.split()

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @staticmethod
    def digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class LoginAttempt(db.Model):
    """One sign-in attempt, kept in the database so every worker process sees the same count."""

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), index=True)
    ip: Mapped[str] = mapped_column(sa.String(45), index=True)
    succeeded: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
