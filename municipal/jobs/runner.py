"""Running a job for one period: claim, run in a transaction of its own, record the end. Also the
scheduler process that does this on the clock.

What a crash leaves, and why it is safe: the claim is committed alone, before the body runs; the
body's writes and the "ok" mark are committed together, in one transaction. So a run that dies
half-way leaves its claim "running" and none of its writes; the period is taken again once the claim
is STALE_AFTER old (services.claim). A body that raises is rolled back and marked "failed", which the
next run of that period takes at once. Everything a job writes also carries a natural unique key,
so even two runs of one period could not create anything twice. (Email is the exception the mailer
has anyway: a run that dies between sending and committing sends those messages again.)
"""
import logging
import os
import secrets
import signal
import socket
import time
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError

from .. import clock
from ..db import utcnow
from ..extensions import db
from . import periods, services
from .registry import JOBS, Context, Job

log = logging.getLogger(__name__)

# How often a run waiting for a job's lock looks again.
LOCK_POLL_SECONDS = 0.5


class JobLocked(Exception):
    """Another run holds the job's lock and did not let go within JOB_LOCK_WAIT_SECONDS."""

    def __init__(self, job: str, holder: services.Holder | None):
        self.job, self.holder = job, holder
        super().__init__(job)

    def message(self) -> str:
        if self.holder is None:
            return _("%(job)s is being run by another process; try again later.", job=self.job)
        since = self.holder.since.astimezone(zone()).strftime("%Y-%m-%d %H:%M:%S")
        return _("%(job)s is being run by %(holder)s since %(since)s; not run now.", job=self.job,
                 holder=self.holder.holder, since=since)


@dataclass(frozen=True)
class Result:
    job: str
    period: str
    status: str  # "ok", "failed", or "taken" (another run has or had this period)
    count: int = 0
    error: str = ""


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


@contextmanager
def exclusive(name: str):
    """Hold the job's lock while the block runs; wait JOB_LOCK_WAIT_SECONDS for it, then raise JobLocked."""
    holder = f"{socket.gethostname()} pid {os.getpid()} #{secrets.token_hex(4)}"
    deadline = time.monotonic() + current_app.config["JOB_LOCK_WAIT_SECONDS"]
    while True:
        try:
            taken = services.take_lock(name, holder)
            db.session.commit()
        except OperationalError:
            # SQLite: the holder is writing and the database stayed locked past its busy timeout.
            db.session.rollback()
            taken = False
        if taken:
            break
        if time.monotonic() >= deadline:
            other = services.lock_holder(name)
            db.session.rollback()
            raise JobLocked(name, other)
        time.sleep(LOCK_POLL_SECONDS)
    try:
        yield
    finally:
        db.session.rollback()
        services.release_lock(name, holder)
        db.session.commit()


def run(job: Job, at: datetime) -> Result:
    """Run `job` for the period `at` lies in, unless another run has it or finished it well. An exclusive
    job waits for another run of it to end (JobLocked when it does not in time)."""
    if job.exclusive:
        with exclusive(job.name):
            return _run(job, at)
    return _run(job, at)


def _run(job: Job, at: datetime) -> Result:
    tz = zone()
    period = job.cadence.key(at, tz)
    claimed = services.claim(job.name, period)
    db.session.commit()
    if claimed is None:
        return Result(job.name, period, "taken")
    previous = services.last_ok(job.name, before=period)
    context = Context(at=at, period=period, since=job.cadence.start(previous, tz) if previous else None, tz=tz,
                      step=unit_of_work)
    try:
        count = job.body(context)
        if not services.finish(claimed, "ok", count=count):
            # Taken over as stale while this run went on: the other run's result stands.
            db.session.rollback()
            return Result(job.name, period, "taken")
        services.prune(job.name, before=job.cadence.key(at - services.KEEP_RUNS, tz))
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        log.exception("job %s failed for %s", job.name, period)
        services.finish(claimed, "failed", error=traceback.format_exc()[-4000:])
        db.session.commit()
        return Result(job.name, period, "failed", error=f"{type(error).__name__}: {error}")
    return Result(job.name, period, "ok", count)


@contextmanager
def unit_of_work():
    """One piece of a job's work, committed on its own as soon as it is done, for a job whose pieces others
    wait for one by one (the report a page is waiting for); an error rolls the piece back and goes on up."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def due(job: Job, now: datetime) -> list[datetime]:
    """The moments to run `job` for at `now`: the periods it missed first if it catches up, then now."""
    if not job.catch_up:
        return [now]
    tz = zone()
    current = job.cadence.key(now, tz)
    previous = services.last_ok(job.name, before=current)
    if previous is None:
        return [now]
    missed = periods.keys_between(job.cadence, previous, job.cadence.before(current, tz), tz)
    if missed:
        log.warning("job %s catching up %d missed periods, %s to %s", job.name, len(missed), missed[0], missed[-1])
    return [job.cadence.start(key, tz) for key in missed] + [now]


def outcome(run) -> str:
    """A recorded run's outcome in the reader's language: its summary, its error, or that it is running."""
    if run.status == "ok":
        job = JOBS.get(run.job)
        return _(job.summary, count=run.count or 0) if job is not None else _("done")
    if run.status == "running":
        return _("running since %(when)s", when=run.claimed_at.astimezone(zone()).strftime("%Y-%m-%d %H:%M"))
    return _("failed: %(error)s", error=(run.error or "").strip().splitlines()[-1] if run.error else "")


def describe(result: Result) -> str:
    if result.status == "ok":
        outcome = _(JOBS[result.job].summary, count=result.count)
    elif result.status == "taken":
        outcome = _("already run or running for this period; not run again")
    else:
        outcome = _("failed: %(error)s", error=result.error)
    return f"{result.job} {result.period}: {outcome}"


def tick(app, name: str, echo: Callable[[str], None]) -> None:
    """One firing of the scheduler: run the job for every period it is due, print a line for each."""
    with app.app_context():
        job = JOBS[name]
        try:
            for at in due(job, utcnow()):
                echo(describe(run(job, at)))
        except JobLocked as locked:
            echo(locked.message())
        except Exception as error:
            db.session.rollback()
            log.exception("job %s could not run", name)
            echo(_("%(job)s could not run: %(error)s", job=name, error=f"{type(error).__name__}: {error}"))


def build_scheduler(app, echo: Callable[[str], None]):
    """A BlockingScheduler with every job on its cadence, each also started once at once to catch up."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger

    with app.app_context():
        tz = zone()
    # One job at a time: they take seconds, and SQLite lets only one writer in anyway.
    scheduler = BlockingScheduler(
        timezone=tz, executors={"default": ThreadPoolExecutor(1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 600})
    with app.app_context():
        start = clock.local_now()
    for job in JOBS.values():
        scheduler.add_job(tick, CronTrigger(**job.cadence.cron(tz)), args=[app, job.name, echo], id=job.name,
                          name=job.name, replace_existing=True)
        scheduler.add_job(tick, "date", run_date=start, args=[app, job.name, echo], id=f"{job.name}:start",
                          name=job.name)
    return scheduler


def serve(app, echo: Callable[[str], None]) -> None:
    """Run the scheduler until Ctrl-C or SIGTERM; a job under way is allowed to finish."""
    scheduler = build_scheduler(app, echo)

    def stop(_signum, _frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    with app.app_context():
        echo(_("Scheduler started (%(database)s); jobs: %(jobs)s. Stop with Ctrl-C.",
               database=db.engine.url.render_as_string(hide_password=True), jobs=", ".join(JOBS)))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        with app.app_context():
            echo(_("Stopping: waiting for the running job to finish…"))
        scheduler.shutdown(wait=True)
    with app.app_context():
        echo(_("Scheduler stopped."))


def echo_line(line: str) -> None:
    """A progress line stamped with the district's time; call in an app context."""
    click.echo(f"{clock.local_now():%Y-%m-%d %H:%M:%S} {line}")
