"""Notifications: what a user should look at, shown in the app and optionally sent by email."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, utcnow
from ..extensions import db

KINDS = ("assigned", "sent_back", "overdue", "citizen_report", "finding", "escalation", "assigned_many", "submitted",
         "report_overdue")


class Notification(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    # Values, not text: the message is rendered in the reader's language when it is shown or mailed.
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    link: Mapped[str] = mapped_column(sa.String(500))
    # The event's natural key, e.g. "overdue:wo:123": a job that runs twice notifies once.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why the mail server refused the message for good; set with emailed_at so it is not retried.
    email_error: Mapped[str | None] = mapped_column(sa.String(300))

    user = relationship("User")

    __table_args__ = (
        sa.UniqueConstraint("user_id", "dedupe_key", name="uq_notification_user_id_dedupe_key"),
        # The list pages by id within one user.
        sa.Index("ix_notification_user_id_id", "user_id", "id"),
        # The bell on every page counts only unread rows, so only they are indexed for it.
        sa.Index("ix_notification_unread", "user_id",
                 sqlite_where=sa.text("read_at IS NULL"), postgresql_where=sa.text("read_at IS NULL")),
        # The mailer looks only at recent unsent rows.
        sa.Index("ix_notification_unsent", "created_at",
                 sqlite_where=sa.text("emailed_at IS NULL"), postgresql_where=sa.text("emailed_at IS NULL")),
    )


class WebhookMessage(db.Model):
    """A message for a team's group robot (企业微信 or 钉钉), queued in the transaction of the change it tells
    of and posted after it committed, by the send-webhooks job: a slow or unreachable robot never holds up
    or fails the request that caused it."""
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("team.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    link: Mapped[str] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.String(300))

    team = relationship("Team")

    __table_args__ = (
        # The sender looks only at what is still to send.
        sa.Index("ix_webhook_message_unsent", "id",
                 sqlite_where=sa.text("sent_at IS NULL"), postgresql_where=sa.text("sent_at IS NULL")),
    )
