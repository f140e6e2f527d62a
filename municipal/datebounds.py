"""The dates the platform accepts: one range for every date a person or a file gives.

Pure: no Flask, no database. A date far outside any working life (year 9999) breaks date arithmetic
downstream (a day after it does not exist), so every date is bounded where it enters, and the bound
names the field. Messages are N_-marked msgids with %(earliest)s and %(latest)s; callers translate.
"""
from datetime import date, datetime
from zoneinfo import ZoneInfo

# Older than any facility the district registers, and far enough from date.min for any date arithmetic.
EARLIEST = date(1900, 1, 1)
# How far ahead a plan, a due date or an event may reach.
YEARS_AHEAD = 10


def N_(message: str) -> str:
    return message


class OutOfRange(ValueError):
    """A date outside the accepted range: `template` is an N_-marked msgid, `params` fill it in."""

    def __init__(self, template: str, **params):
        super().__init__(template % params)
        self.template = template
        self.params = params


def latest(today: date) -> date:
    """The last date accepted as of `today`: YEARS_AHEAD years on (28 February for a 29 February)."""
    year = today.year + YEARS_AHEAD
    return today.replace(year=year, day=28) if (today.month, today.day) == (2, 29) else today.replace(year=year)


def check(value: date | datetime, today: date, *, past: bool = False, zone: ZoneInfo | None = None) -> None:
    """Raise OutOfRange unless `value` lies between EARLIEST and `latest(today)` — or `today` with `past`.
    An aware date-time is judged by its local day in `zone`."""
    try:
        day = value.astimezone(zone).date() if isinstance(value, datetime) and zone else (
            value.date() if isinstance(value, datetime) else value)
    except OverflowError:
        # A moment at the very edge of the calendar (9999-12-31T23:00-10:00) has no local day at all.
        day = date.max if value.year > EARLIEST.year else date.min
    if day < EARLIEST:
        raise OutOfRange(N_("must not be before %(earliest)s"), earliest=EARLIEST.isoformat())
    if past and day > today:
        raise OutOfRange(N_("must not be after today (%(latest)s)"), latest=today.isoformat())
    if day > latest(today):
        raise OutOfRange(N_("must not be after %(latest)s"), latest=latest(today).isoformat())
