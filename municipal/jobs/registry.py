"""The jobs the scheduler runs: name → body, and how a moment maps to the period the job claims.

Catching up after downtime: a job with catch_up runs every period it missed since its last successful
run, oldest first, before the current one, however many there are; right for daily work that belongs to a
date, as the calendar's does (a day's run is small, and a day skipped would leave its patrols uncounted).
notify-overdue and send-email need none: each run covers everything since the last successful one
(notify-overdue is given `since`, send-email sends whatever is pending).
"""
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from ..i18n import N_
from .periods import Day, Slot


@dataclass(frozen=True)
class Context:
    """What a job body is told: the moment it runs as of, its period, where the last success began, and
    `step`: the runner's unit of work, for a body that commits its pieces one by one."""

    at: datetime
    period: str
    since: datetime | None
    tz: ZoneInfo
    step: Callable[[], AbstractContextManager] = nullcontext


@dataclass(frozen=True)
class Job:
    name: str
    cadence: Slot | Day
    body: Callable[[Context], int]
    # An N_ msgid with %(count)s for what the body's return value counts.
    summary: str
    catch_up: bool = False
    # Runs never overlap, even for different periods: the calendar's plan is one whole, and two runs
    # interleaving their reading and writing of it would corrupt it.
    exclusive: bool = False


def _notify_overdue(context: Context) -> int:
    from .overdue import notify_overdue

    return notify_overdue(context.at, context.since, context.tz)


def _send_email(context: Context) -> int:
    from ..notify.services import send_pending

    return send_pending()


def _send_webhooks(context: Context) -> int:
    from ..notify.webhooks import send_pending

    return send_pending()


def _calendar(context: Context) -> int:
    """The day's calendar: completions recorded, passed patrols marked missed, coming work made, overdue
    high-risk work escalated. It catches up day by day, so a scheduler that was down makes what each
    missed day owed."""
    from ..calendar import lifecycle, materialise

    lifecycle.record_completions(context.at)
    lifecycle.mark_missed(context.at)
    made = materialise.materialise(context.at)["work_orders"]
    lifecycle.escalate_overdue(context.at)
    return made


def _reports(context: Context) -> int:
    """Render the reports people and the 1 January run queued: never in a web worker. Each report's claim,
    rendering or failure is committed as it happens (the page waiting for it shows it), by the job wrapper's
    unit of work."""
    from ..reports.services import process_queue

    return process_queue(context.at, step=context.step)


def _annual_reports(context: Context) -> int:
    """Queue last year's reports in January; days after the 1st catch up a scheduler that was down then,
    and catch_up runs the January days of a scheduler down all month (a day outside January costs nothing)."""
    from ..reports.services import queue_previous_year

    day = context.at.astimezone(context.tz).date()
    return queue_previous_year(day) if day.month == 1 else 0


def _report_deadlines(context: Context) -> int:
    from ..intake.followup import escalate_overdue

    return escalate_overdue(context.at)


def _report_photos(context: Context) -> int:
    """Make the kept copy of the photos citizens sent, out of the request (see intake/photos.py); each photo
    is committed as it is done."""
    from ..intake.photos import process_pending

    return process_pending(step=context.step)


def _report_contacts(context: Context) -> int:
    from ..intake.followup import purge_contacts

    return purge_contacts(context.at)


JOBS = {job.name: job for job in (
    Job("calendar", Day(), _calendar, N_("%(count)s work orders made from the calendar"), catch_up=True,
        exclusive=True),
    Job("notify-overdue", Slot(15), _notify_overdue, N_("%(count)s overdue notifications")),
    Job("send-email", Slot(1), _send_email, N_("%(count)s emails sent")),
    Job("send-webhooks", Slot(1), _send_webhooks, N_("%(count)s group robot messages sent")),
    Job("reports", Slot(1), _reports, N_("%(count)s reports made")),
    Job("annual-reports", Day(time(1, 0)), _annual_reports, N_("%(count)s annual reports queued"), catch_up=True),
    Job("report-deadlines", Slot(15), _report_deadlines, N_("%(count)s citizen report deadlines escalated")),
    Job("report-photos", Slot(1), _report_photos, N_("%(count)s citizen report photos processed")),
    Job("report-contacts", Day(time(3, 0)), _report_contacts, N_("%(count)s reporters' contact details forgotten")),
)}
