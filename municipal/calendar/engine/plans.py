"""A supervisor's own recurring plan: which days it falls on. Pure.

Every N days, weeks or months from the start day, without drift (the k-th occurrence is counted from
the start, not from the previous one); weeks may name their weekdays and months their days (a day the
month lacks falls on its last day, as the civil code counts); a plan may be limited to the flood season
or to the rest of the year.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from ...i18n import N_
from .dates import add_months, month_end

UNITS = ("day", "week", "month")
SEASONS = ("", "flood", "outside_flood")
MAX_EVERY = 366


class PlanError(ValueError):
    def __init__(self, fields: dict):
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields  # field -> untranslated message


@dataclass(frozen=True)
class PlanSpec:
    every: int
    unit: str
    starts_on: date
    weekdays: tuple = ()
    month_days: tuple = ()
    season: str = ""
    ends_on: date | None = None

    @classmethod
    def parse(cls, *, every, unit, starts_on, weekdays="", month_days="", season="", ends_on=None) -> "PlanSpec":
        problems = {}
        try:
            every = int(every)
            if not 1 <= every <= MAX_EVERY:
                raise ValueError
        except (TypeError, ValueError):
            problems["every"] = N_("a whole number from 1 to 366")
            every = 1
        if unit not in UNITS:
            problems["unit"] = N_("day, week or month")
        days = _numbers(weekdays, 1, 7, "weekdays", N_("weekdays are numbers from 1 (Monday) to 7 (Sunday)"), problems)
        dates = _numbers(month_days, 1, 31, "month_days", N_("days of the month are numbers from 1 to 31"), problems)
        if days and unit != "week":
            problems["weekdays"] = N_("weekdays go with plans by the week")
        if dates and unit != "month":
            problems["month_days"] = N_("days of the month go with plans by the month")
        if season not in SEASONS:
            problems["season"] = N_("unknown season")
        if not isinstance(starts_on, date):
            problems["starts_on"] = N_("a start date is required")
        elif ends_on is not None and ends_on < starts_on:
            problems["ends_on"] = N_("the end lies before the start")
        if problems:
            raise PlanError(problems)
        return cls(every=every, unit=unit, starts_on=starts_on, weekdays=days, month_days=dates, season=season,
                   ends_on=ends_on)


def _numbers(text, low: int, high: int, field: str, message: str, problems: dict) -> tuple:
    values = []
    for part in str(text or "").replace("，", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or not low <= int(part) <= high:
            problems[field] = message
            return ()
        values.append(int(part))
    return tuple(sorted(set(values)))


def spec_of(plan) -> PlanSpec:
    """The spec of a stored plan (its fields were checked when it was saved)."""
    return PlanSpec(every=plan.every, unit=plan.unit, starts_on=plan.starts_on,
                    weekdays=tuple(int(d) for d in plan.weekdays.split(",") if d),
                    month_days=tuple(int(d) for d in plan.month_days.split(",") if d),
                    season=plan.season, ends_on=plan.ends_on)


def _candidates(spec: PlanSpec, start: date, end: date):
    if spec.unit == "day":
        k = max(0, (start - spec.starts_on).days // spec.every)
        while (day := spec.starts_on + timedelta(days=k * spec.every)) <= end:
            yield day
            k += 1
    elif spec.unit == "week":
        monday = spec.starts_on - timedelta(days=spec.starts_on.isoweekday() - 1)
        weekdays = spec.weekdays or (spec.starts_on.isoweekday(),)
        k = max(0, (start - monday).days // (7 * spec.every))
        while (week := monday + timedelta(weeks=k * spec.every)) <= end:
            for weekday in weekdays:
                yield week + timedelta(days=weekday - 1)
            k += 1
    else:
        month_days = spec.month_days or (spec.starts_on.day,)
        first = spec.starts_on.replace(day=1)
        months = max(0, ((start.year - first.year) * 12 + start.month - first.month) // spec.every)
        while (month := add_months(first, months * spec.every)) <= end:
            last = month_end(month.year, month.month).day
            for day_number in month_days:
                # Day 31 in a 30-day month is its last day (民法典 art. 202 counts months the same way).
                yield month.replace(day=min(day_number, last))
            months += 1


def occurrences(spec: PlanSpec, start: date, end: date, settings) -> list[date]:
    """The plan's days within [start, end], both inclusive."""
    days = []
    for day in _candidates(spec, start, end):
        if day < max(start, spec.starts_on) or day > end or (spec.ends_on and day > spec.ends_on):
            continue
        if spec.season and settings.in_season("flood", day) != (spec.season == "flood"):
            continue
        days.append(day)
    return sorted(set(days))


def describe(spec: PlanSpec) -> str:
    """One line for the item's `why`, in the engine's style (English words with the facts)."""
    text = f"every {spec.every} {spec.unit}{'s' if spec.every > 1 else ''} from {spec.starts_on.isoformat()}"
    if spec.weekdays:
        text += ", weekdays " + ",".join(map(str, spec.weekdays))
    if spec.month_days:
        text += ", days " + ",".join(map(str, spec.month_days))
    if spec.season:
        text += ", " + ("flood season only" if spec.season == "flood" else "outside the flood season")
    return f"supervisor's plan: {text}"
