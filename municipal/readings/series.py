"""A facility's readings as a chart reads them: raw for short ranges, from the hourly or daily rollups,
regrouped into buckets of `every`, for long ones, so a decade reads ~3,650 rows, never millions."""
import re
from collections import OrderedDict
from datetime import datetime, time, timedelta, timezone

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import clock
from ..errors import ValidationError
from ..extensions import db
from . import events, rules
from .models import Reading, ReadingRollup

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
RAW_RANGE = timedelta(days=7)  # without `every`, ranges up to this are sent raw
HOURLY_RANGE = timedelta(days=92)  # … up to this by the hour, longer by the day
RAW_GROUP_RANGE = timedelta(days=31)  # buckets shorter than an hour are made from raw rows: ranges this long
MAX_POINTS = 20_000
LATEST = datetime(2200, 1, 1, tzinfo=timezone.utc)
EVERY = re.compile(r"^(\d{1,5})([mhd])$")
UNITS = {"m": timedelta(minutes=1), "h": HOUR, "d": DAY}


def parse_every(text: str | None) -> timedelta | None:
    """`raw`, or a number and a unit: 5m, 1h, 1d, 7d. None: chosen from the range."""
    if text in (None, "", "raw"):
        return None if text != "raw" else timedelta(0)
    match = EVERY.match(text)
    if not match or int(match.group(1)) == 0:
        raise ValidationError(_("Some fields are not valid."), {"every": _("raw, or a number and m, h or d: 1h, 1d")})
    return int(match.group(1)) * UNITS[match.group(2)]


def parse_range(start: str | None, end: str | None) -> tuple[datetime, datetime]:
    zone, errors, found = clock.zone(), {}, {}
    for name, text in (("from", start), ("to", end)):
        if text in (None, ""):
            continue
        try:
            found[name] = rules.moment(text if "T" in text or " " in text else text + "T00:00", zone)
        except (TypeError, ValueError, OverflowError):
            errors[name] = _("a date or a date and time such as 2026-07-01T08:00+08:00")
        else:
            if not rules.EARLIEST <= found[name] <= LATEST:
                errors[name] = _("between 1900 and 2200")
    if errors:
        raise ValidationError(_("Some fields are not valid."), errors)
    to = found.get("to", clock.now())
    since = found.get("from", to - RAW_RANGE)
    if since >= to:
        raise ValidationError(_("Some fields are not valid."), {"from": _("must be before to")})
    return since, to


def series(asset_id: int, kind: str, since: datetime, to: datetime, every: timedelta | None) -> dict:
    """{"kind", "unit", "every", "points": [[t, min, avg, max], …]} with t in Unix seconds (UTC), the start
    of each bucket; rainfall also "sums": the total of each bucket, for bars."""
    if kind not in rules.KINDS:
        raise ValidationError(_("Some fields are not valid."), {"kind": _("unknown kind: use water_level or rainfall")})
    span = to - since
    if every is None:
        every = timedelta(0) if span <= RAW_RANGE else HOUR if span <= HOURLY_RANGE else DAY
    if every and span / every > MAX_POINTS:
        raise ValidationError(_("Some fields are not valid."), {"every": _("too many points: at most %(n)s",
                                                                           n=MAX_POINTS)})
    if not every:
        if span > RAW_RANGE:
            raise ValidationError(_("Some fields are not valid."), {"every": _("raw readings at most 7 days")})
        return _answer(kind, None, [(at, 1, value, value, value) for at, value in _raw(asset_id, kind, since, to)])
    origin = datetime.combine(since.astimezone(clock.zone()).date(), time(), clock.zone()).astimezone(timezone.utc)
    if every % DAY == timedelta(0):
        rows = _rollups(asset_id, kind, "d", origin, to)
    elif every % HOUR == timedelta(0):
        rows = _rollups(asset_id, kind, "h", since.replace(minute=0, second=0, microsecond=0), to)
    else:
        if span > RAW_GROUP_RANGE:
            raise ValidationError(_("Some fields are not valid."), {"every": _("under an hour: at most 31 days")})
        rows = [(at, 1, value, value, value) for at, value in _raw(asset_id, kind, since, to)]
    grouped: OrderedDict = OrderedDict()
    for at, count, total, low, high in rows:
        start = origin + ((at - origin) // every) * every
        bucket = grouped.get(start)
        if bucket is None:
            grouped[start] = [count, total, low, high]
        else:
            bucket[0] += count
            bucket[1] += total
            bucket[2] = min(bucket[2], low)
            bucket[3] = max(bucket[3], high)
    return _answer(kind, every, [(at, *b) for at, b in grouped.items()])


def _raw(asset_id, kind, since, to):
    if kind == "rainfall":  # the rain the rollups and the rainstorm rule count: one rain once
        return [(at, value) for _id, at, value in events.rain_between(asset_id, since, to)]
    table = Reading.__table__
    return db.session.execute(sa.select(table.c.observed_at, table.c.value)
                              .where(table.c.asset_id == asset_id, table.c.kind == kind,
                                     table.c.observed_at >= since, table.c.observed_at <= to)
                              .order_by(table.c.observed_at)).all()


def _rollups(asset_id, kind, grain, since, to):
    table = ReadingRollup.__table__
    return db.session.execute(sa.select(table.c.bucket_at, table.c.count, table.c.total, table.c.low, table.c.high)
                              .where(table.c.asset_id == asset_id, table.c.kind == kind, table.c.grain == grain,
                                     table.c.bucket_at >= since, table.c.bucket_at < to)
                              .order_by(table.c.bucket_at)).all()


def _answer(kind: str, every: timedelta | None, buckets) -> dict:
    answer = {"kind": kind, "unit": rules.UNITS[kind], "every": int(every.total_seconds()) if every else None,
              "points": [[int(at.timestamp()), low, round(total / count, 3), high]
                         for at, count, total, low, high in buckets]}
    if kind == "rainfall":
        answer["sums"] = [round(total, 1) for _at, _count, total, _low, _high in buckets]
    return answer
