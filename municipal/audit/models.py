"""One row per change, each sealed by a hash over its content and the hash of the row before it."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, utcnow
from ..extensions import db

# The prev_hash of the first entry: the chain has to start somewhere known, or deleting its head goes unseen.
GENESIS = "0" * 64


class AuditEntry(db.Model):
    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    # The name as it was then: renaming the user later must neither change history nor break its hashes.
    actor_name: Mapped[str] = mapped_column(sa.String(100), default="")
    entity_type: Mapped[str] = mapped_column(sa.String(32))
    entity_id: Mapped[str] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(40))
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # Unique, so two writers that both saw the same last entry cannot both commit: the chain never forks.
    prev_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    hash: Mapped[str] = mapped_column(sa.String(64))

    actor = relationship("User")

    __table_args__ = (sa.Index("ix_audit_entry_entity", "entity_type", "entity_id", "id"),)


class AuditHead(db.Model):
    """The trail's end as the platform last wrote it: one row, from the schema's creation on (last_id 0 and
    GENESIS while the trail is empty), updated in the transaction of every append. The chain alone cannot
    show that its newest entries were deleted, since what is left is still a valid chain; comparing its end
    with this row can."""

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    last_id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"))
    last_hash: Mapped[str] = mapped_column(sa.String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # HMAC of (last_id, last_hash) under the installation's secret key: whoever can write to the database
    # but does not hold the key cannot move the end back over deleted entries, or re-chain edited ones.
    seal: Mapped[str | None] = mapped_column(sa.String(64))
