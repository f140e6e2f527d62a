"""`municipal scheduler` (the job process) and `municipal jobs run JOB [--date D]`."""
import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import gettext as _

jobs_group = AppGroup("jobs", help="Scheduled jobs, run by hand.")


@jobs_group.command("run")
@click.argument("name", metavar="JOB")
@click.option("--date", "when", metavar="D",
              help="Run for the period of this local date or time (YYYY-MM-DD or YYYY-MM-DDTHH:MM) instead of now.")
def run_command(name, when):
    """Run JOB now under the same claim rules as the scheduler: a period already done is not run again."""
    from ..cli_support import fail
    from ..db import utcnow
    from . import periods, runner
    from .registry import JOBS

    job = JOBS.get(name)
    if job is None:
        fail(_("Unknown job %(name)s. Known jobs: %(known)s.", name=name, known=", ".join(JOBS)))
    now = utcnow()
    at = now
    if when:
        try:
            at = periods.local_moment(when, runner.zone())
        except ValueError:
            fail(_("%(value)s is not a date (YYYY-MM-DD) or a time (YYYY-MM-DDTHH:MM).", value=when))
        # Claiming a future period now would make the scheduler skip it when it comes.
        if at > now:
            fail(_("%(value)s lies in the future; only a period that has begun can run.", value=when))
    try:
        result = runner.run(job, at)
    except runner.JobLocked as locked:
        click.secho(locked.message(), fg="red", err=True)
        sys.exit(1)
    click.echo(runner.describe(result))
    if result.status == "failed":
        sys.exit(1)


@jobs_group.command("list")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True, help="How many runs.")
def list_command(limit):
    """The latest runs of every job: period, start, end and outcome."""
    from . import runner, services

    rows, _total = services.list_runs(1, limit)
    tz = runner.zone()
    for run in rows:
        finished = run.finished_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if run.finished_at else "-"
        click.echo(f"{run.job:<16} {run.period:<18} {run.claimed_at.astimezone(tz):%Y-%m-%d %H:%M:%S}  "
                   f"{finished:<19}  {run.status:<7} {runner.outcome(run)}")


@click.command("scheduler")
@with_appcontext
def scheduler_command():
    """The job process: runs every job on its cadence until Ctrl-C. Start one per installation, never in web workers."""
    from ..calendar import settings as calendar_settings
    from ..calendar.engine.rules import RuleTableError
    from . import runner

    # The rule table and the district's calendar settings are checked before any job starts: a mistake in
    # them stops the scheduler here, with the reason, instead of failing the calendar half-way through a run.
    try:
        calendar_settings.table()
        calendar_settings.district_settings()
    except RuleTableError as error:
        click.secho(_("The calendar rules cannot be used: %(error)s", error=error), fg="red", err=True)
        sys.exit(2)
    runner.serve(current_app._get_current_object(), runner.echo_line)
