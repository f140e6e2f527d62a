"""Date math for the inspection calendar (inspection-rules.md §4). Pure: no clock, no Flask.

Years and months follow 民法典 art. 202: a period ends on the corresponding day of the final month, or on
that month's last day when there is none (2020-02-29 + 5 years = 2025-02-28). Recurrences are computed
as anchor + k·period, never by adding a period to the previous result, so month ends do not drift.
"""
import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

_PERIOD = re.compile(r"^(\d+)(y|mo|d|h)$")


@dataclass(frozen=True)
class Period:
    months: int = 0
    days: int = 0
    hours: int = 0

    def __str__(self) -> str:
        if self.months and self.months % 12 == 0:
            return _plural(self.months // 12, "year")
        if self.months:
            return _plural(self.months, "month")
        if self.hours:
            return _plural(self.hours, "hour")
        return _plural(self.days, "day")


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def parse_period(text: str) -> Period:
    """"5y", "3mo", "180d", "6h"."""
    match = _PERIOD.match(str(text).strip())
    if not match:
        raise ValueError(f"not a period: {text!r} (write 5y, 3mo, 180d or 6h)")
    count, unit = int(match.group(1)), match.group(2)
    return {"y": Period(months=12 * count), "mo": Period(months=count),
            "d": Period(days=count), "h": Period(hours=count)}[unit]


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: date, months: int) -> date:
    """Art. 202: the corresponding day, or the month's last day when that month has none."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: date, years: int) -> date:
    return add_months(day, 12 * years)


def add(day: date, period: Period, times: int = 1) -> date:
    """day + times·period, computed from `day` in one step (no drift)."""
    if period.hours:
        raise ValueError("hours apply to date-times, not dates")
    return add_months(day, period.months * times) + timedelta(days=period.days * times)


def iso_week_end(day: date) -> date:
    """The Sunday of the ISO-8601 week (Mon–Sun) that holds `day`."""
    return day + timedelta(days=6 - day.weekday())


def iso_week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarter_end(day: date) -> date:
    return month_end(day.year, 3 * ((day.month - 1) // 3) + 3)


def period_bounds(day: date, per: str) -> tuple[date, date]:
    """The calendar period (`day`, `iso_week`, `month` or `quarter`) that holds `day`: first and last day."""
    if per == "day":
        return day, day
    if per == "iso_week":
        return iso_week_start(day), iso_week_end(day)
    if per == "month":
        return day.replace(day=1), month_end(day.year, day.month)
    if per == "quarter":
        return quarter_start(day), quarter_end(day)
    raise ValueError(f"unknown calendar period {per!r}")


def periods_due_in(per: str, start: date, end: date) -> list[tuple[date, date]]:
    """Every period whose due day (its last day) lies in start..end, as (first day, last day)."""
    found = []
    first, last = period_bounds(start, per)
    while first <= end:
        if start <= last <= end:
            found.append((first, last))
        first, last = period_bounds(last + timedelta(days=1), per)
    return found


def days(start: date, end: date):
    """Every day from start to end, both included."""
    for offset in range((end - start).days + 1):
        yield start + timedelta(days=offset)


@dataclass(frozen=True)
class MonthDay:
    """A day of the year such as 04-01, resolved per year; 02-29 is 02-28 in other years (art. 202)."""

    month: int
    day: int

    @classmethod
    def parse(cls, text: str) -> "MonthDay":
        match = re.match(r"^(\d{2})-(\d{2})$", str(text))
        if not match:
            raise ValueError(f"not a month-day: {text!r} (write MM-DD)")
        month, day = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(2000, month)[1]:
            raise ValueError(f"no such day of the year: {text!r}")
        return cls(month, day)

    def in_year(self, year: int) -> date:
        return date(year, self.month, min(self.day, calendar.monthrange(year, self.month)[1]))

    def __str__(self) -> str:
        return f"{self.month:02d}-{self.day:02d}"


def parse_date(text) -> date:
    if not isinstance(text, str) or not re.match(r"^\d{4}-\d{2}-\d{2}$", text):
        raise ValueError("expected a date YYYY-MM-DD")
    return date.fromisoformat(text)


def parse_datetime(text) -> datetime:
    """An ISO date-time with a UTC offset; a time without one is ambiguous and refused."""
    if not isinstance(text, str) or "T" not in text:
        raise ValueError("expected a date-time with offset, e.g. 2025-06-01T09:30:00+08:00")
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("the date-time needs a UTC offset, e.g. +08:00")
    if not date.min + timedelta(days=1) < value.date() < date.max - timedelta(days=1):
        # Its local day in another zone would not exist (year 0 or 10000).
        raise ValueError("the date-time lies at the edge of the calendar")
    return value


def parse_date_or_datetime(text):
    """A date, or an aware date-time when the text has a time part."""
    if isinstance(text, str) and "T" in text:
        return parse_datetime(text)
    return parse_date(text)


def local_date(value, zone: ZoneInfo) -> date:
    """The local calendar day of a date (itself) or an aware date-time (in `zone`)."""
    if isinstance(value, datetime):
        return value.astimezone(zone).date()
    return value
