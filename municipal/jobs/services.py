"""Claiming a job's period and recording how the run ended. Flushes, never commits.

The claim is a row under UNIQUE(job, period), inserted with ON CONFLICT DO NOTHING: of any number of
processes on any number of hosts, exactly one gets the row, and the database says which.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from ..db import utcnow
from ..extensions import db
from .models import JobLock, JobRun

# A claim still "running" after this long belongs to a process that died (jobs take seconds):
# it may be taken again, so a crash never loses the period.
STALE_AFTER = timedelta(hours=1)
# Finished runs older than this are deleted after a successful run: a one-minute job adds 1440 rows a day.
KEEP_RUNS = timedelta(days=30)


@dataclass(frozen=True)
class Holder:
    holder: str
    since: datetime


@dataclass(frozen=True)
class Claim:
    id: int
    attempt: int


def claim(job: str, period: str, now: datetime | None = None) -> Claim | None:
    """Take (job, period) for this process; None when another run has it or has finished it well.

    A period whose run failed, or whose claimant vanished more than STALE_AFTER ago, is taken again.
    """
    now = now or utcnow()
    inserted = db.session.execute(
        _insert()(JobRun).values(job=job, period=period, status="running", attempt=1, claimed_at=now)
        .on_conflict_do_nothing(index_elements=["job", "period"])
        .returning(JobRun.id, JobRun.attempt)).first()
    if inserted is not None:
        db.session.flush()
        return Claim(*inserted)
    # One UPDATE with the condition in its WHERE: of two processes retaking the row, only one matches.
    retaken = db.session.execute(
        sa.update(JobRun)
        .where(JobRun.job == job, JobRun.period == period,
               sa.or_(JobRun.status == "failed",
                      sa.and_(JobRun.status == "running", JobRun.claimed_at < now - STALE_AFTER)))
        .values(status="running", attempt=JobRun.attempt + 1, claimed_at=now, finished_at=None, error=None)
        .returning(JobRun.id, JobRun.attempt)
        .execution_options(synchronize_session=False)).first()
    db.session.flush()
    return Claim(*retaken) if retaken is not None else None


def take_lock(job: str, holder: str, now: datetime | None = None) -> bool:
    """Take the job's lock for `holder`; False while another run holds it (lock_holder says who).

    The insert is atomic on every database: of two processes, the primary key lets one have the row. A
    lock older than STALE_AFTER belongs to a run that died, and one UPDATE with that condition retakes it.
    """
    now = now or utcnow()
    inserted = db.session.execute(
        _insert()(JobLock).values(job=job, holder=holder, locked_at=now)
        .on_conflict_do_nothing(index_elements=["job"]).returning(JobLock.job)).first()
    if inserted is None:
        inserted = db.session.execute(
            sa.update(JobLock).where(JobLock.job == job, JobLock.locked_at < now - STALE_AFTER)
            .values(holder=holder, locked_at=now).returning(JobLock.job)
            .execution_options(synchronize_session=False)).first()
    db.session.flush()
    return inserted is not None


def lock_holder(job: str) -> Holder | None:
    row = db.session.execute(sa.select(JobLock.holder, JobLock.locked_at).where(JobLock.job == job)).first()
    return Holder(*row) if row is not None else None


def release_lock(job: str, holder: str) -> None:
    """Give the lock back, unless a run that found it stale has taken it meanwhile."""
    db.session.execute(sa.delete(JobLock).where(JobLock.job == job, JobLock.holder == holder)
                       .execution_options(synchronize_session=False))
    db.session.flush()


def finish(claimed: Claim, status: str, error: str | None = None, now: datetime | None = None,
           count: int | None = None) -> bool:
    """Record how the claimed run ended (and what it counted); False when the claim was taken over meanwhile
    (it was stale)."""
    result = db.session.execute(
        sa.update(JobRun)
        .where(JobRun.id == claimed.id, JobRun.attempt == claimed.attempt, JobRun.status == "running")
        .values(status=status, finished_at=now or utcnow(), error=error, count=count)
        .execution_options(synchronize_session=False))
    db.session.flush()
    return result.rowcount == 1


def last_ok(job: str, before: str) -> str | None:
    """The latest period before `before` whose run succeeded (the unique index serves this)."""
    return db.session.scalar(
        sa.select(JobRun.period)
        .where(JobRun.job == job, JobRun.status == "ok", JobRun.period < before)
        .order_by(JobRun.period.desc()).limit(1))


def prune(job: str, before: str) -> int:
    """Delete the job's finished runs of periods before `before`."""
    result = db.session.execute(
        sa.delete(JobRun).where(JobRun.job == job, JobRun.period < before, JobRun.status != "running")
        .execution_options(synchronize_session=False))
    db.session.flush()
    return result.rowcount


def _insert():
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def list_runs(page: int = 1, per_page: int = 50) -> tuple[list[JobRun], int]:
    """One page of the recorded runs, the latest claimed first, and how many there are in all."""
    total = db.session.scalar(sa.select(sa.func.count(JobRun.id)))
    rows = db.session.scalars(sa.select(JobRun).order_by(JobRun.claimed_at.desc(), JobRun.id.desc())
                              .limit(per_page).offset((max(page, 1) - 1) * per_page))
    return list(rows), total
