"""The claim table: one row per job and period, so every period runs once however many schedulers there are."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import UTCDateTime, utcnow
from ..extensions import db


class JobRun(db.Model):
    __tablename__ = "job_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(sa.String(64))
    # Sortable within a job: "2026-11-26T02:15Z" (a UTC slot) or "2026-11-26" (a local day).
    period: Mapped[str] = mapped_column(sa.String(32))
    # "running" from the claim until the run ends "ok" or "failed"; a failed period may be claimed again.
    status: Mapped[str] = mapped_column(sa.String(10), default="running")
    # Raised each time a failed or abandoned claim is taken again; a run may finish only its own attempt.
    attempt: Mapped[int] = mapped_column(default=1)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(sa.Text)
    # What a successful run counted (work orders made, notifications, emails), for the job's summary line.
    count: Mapped[int | None] = mapped_column()

    __table_args__ = (sa.UniqueConstraint("job", "period", name="uq_job_run_job_period"),)


class JobLock(db.Model):
    """Who runs a job now, for jobs whose runs must not overlap even for different periods (the calendar):
    one row per job while a run holds it, taken by an atomic insert, or by an update once it is stale."""

    __tablename__ = "job_lock"

    job: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    # Host, process and a random tag: named in the refusal of a second run, and matched on release.
    holder: Mapped[str] = mapped_column(sa.String(200))
    locked_at: Mapped[datetime] = mapped_column(UTCDateTime)
