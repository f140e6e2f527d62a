"""What makes a reading believable, and what readings say happened: pure, the caller passes "now" and the
facility's reference levels.

A reading is refused when it cannot be true: a negative rainfall or more than 300 mm an hour, a level
a metre below the reservoir's bed or two above its dam crest, a moment more than 5 minutes ahead.
"""
import bisect
import math
from collections import deque
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo

from ..i18n import N_

KINDS = ("water_level", "rainfall")
UNITS = {"water_level": "m", "rainfall": "mm"}
MAX_RAIN_MM_PER_HOUR = 300.0
FUTURE_SLACK = timedelta(minutes=5)
BELOW_BED_M, ABOVE_CREST_M = 1.0, 2.0
DEFAULT_RAIN_PERIOD_MINUTES = 60
MAX_PERIOD_MINUTES = 1440
RAINSTORM_MM = 50.0
WINDOW = timedelta(hours=24)
EARLIEST = datetime(1900, 1, 1, tzinfo=timezone.utc)
EARTH_M = (-500.0, 9000.0)


@dataclass(frozen=True)
class Limits:
    """A facility's reference levels (None when not recorded): the plausible range of its water level."""
    bed_m: float | None = None
    crest_m: float | None = None
    flood_limit_m: float | None = None
    normal_m: float | None = None

    @classmethod
    def of(cls, attributes: dict) -> "Limits":
        def number(name):
            value = (attributes or {}).get(name)
            return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
        return cls(number("bed_level_m"), number("dam_crest_level_m"), number("flood_limit_level_m"),
                   number("normal_level_m"))


@dataclass(frozen=True)
class Clean:
    kind: str
    observed_at: datetime
    value: float
    period_minutes: int | None


class Refused(Exception):
    """(field, msgid, params) of the first thing wrong with a reading."""
    def __init__(self, field: str, msgid: str, **params):
        super().__init__(field, msgid)
        self.field, self.msgid, self.params = field, msgid, params


def number(value) -> float:
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, str):
        value = float(value.strip())
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(value)
    return float(value)


def moment(value, zone: tzinfo) -> datetime:
    """An ISO 8601 date-time; without an offset it is the district's local time."""
    if isinstance(value, datetime):
        found = value
    elif isinstance(value, str):
        found = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace(" ", "T", 1))
    else:
        raise ValueError(value)
    if found.tzinfo is None:
        found = found.replace(tzinfo=zone)
    return found.astimezone(timezone.utc)


def check(kind, value, observed_at, period_minutes, limits: Limits, now: datetime, zone: tzinfo) -> Clean:
    """The reading as stored, or Refused naming the field."""
    if kind not in KINDS:
        raise Refused("kind", N_("unknown kind: use water_level or rainfall"))
    try:
        value = number(value)
    except (TypeError, ValueError):
        raise Refused("value", N_("must be a number")) from None
    try:
        at = moment(observed_at, zone)
    except (TypeError, ValueError, OverflowError):
        raise Refused("observed_at", N_("a date and time such as 2026-07-01T08:00+08:00")) from None
    if at > now + FUTURE_SLACK:
        raise Refused("observed_at", N_("more than 5 minutes in the future"))
    if at < EARLIEST:
        raise Refused("observed_at", N_("before 1900"))
    period = None
    if kind == "rainfall":
        period = DEFAULT_RAIN_PERIOD_MINUTES if period_minutes in (None, "") else period_minutes
        try:
            period = int(number(period))
        except (TypeError, ValueError):
            raise Refused("period_minutes", N_("must be a number")) from None
        if not 1 <= period <= MAX_PERIOD_MINUTES:
            raise Refused("period_minutes", N_("from 1 to %(max)s minutes"), max=MAX_PERIOD_MINUTES)
        if value < 0:
            raise Refused("value", N_("a rainfall cannot be negative"))
        if value > MAX_RAIN_MM_PER_HOUR * max(period, 60) / 60:
            raise Refused("value", N_("more than %(mm)s mm in an hour"), mm=int(MAX_RAIN_MM_PER_HOUR))
    else:
        # Without the reservoir's own levels, at least a level on Earth: the Dead Sea to the highest dams.
        low = limits.bed_m - BELOW_BED_M if limits.bed_m is not None else EARTH_M[0]
        high = limits.crest_m + ABOVE_CREST_M if limits.crest_m is not None else EARTH_M[1]
        if not low <= value <= high:
            raise Refused("value", N_("a level outside %(low)s–%(high)s m is not possible here"),
                          low=f"{low:g}", high=f"{high:g}")
    return Clean(kind, at, value, period)


# --- what readings say happened ---------------------------------------------------------------------


@dataclass
class Finding:
    """An event the readings show: its kind, local day, measurements and the readings behind it."""
    kind: str
    day: date
    measurements: dict
    basis: list


def high_water(levels: list[tuple[int, datetime, float]], limits: Limits, zone: tzinfo) -> list[Finding]:
    """Each local day with a level at or above the flood limit, with that day's highest such level."""
    if limits.flood_limit_m is None:
        return []
    days: dict[date, Finding] = {}
    for reading_id, at, value in levels:
        if value < limits.flood_limit_m:
            continue
        day = at.astimezone(zone).date()
        found = days.setdefault(day, Finding("high_water", day, {"level_m": value}, []))
        found.measurements["level_m"] = max(found.measurements["level_m"], value)
        found.basis.append(reading_id)
    return list(days.values())


# Sources that are instruments: a telemetry gauge, or a gauge's archive imported from a file.
GAUGE_SOURCES = ("device", "import")


def rain_counted(rain: list[tuple[int, datetime, float, int, str]]) -> list[tuple[int, datetime, float]]:
    """(id, moment, value) of the rainfall readings that count, from (id, moment, value, period_minutes,
    source) sorted by time.

    One rain is often measured twice: the patrol person reads the rain gauge at 08:00 and types the last
    24 hours into the daily report, while the telemetry gauge beside it has reported the same rain hour by
    hour. Added together, 30 mm would count as 60 and make a rainstorm that never fell. So a gauge's
    readings always count, and a reading typed by a person counts only when no gauge reading overlaps its
    period (the `period_minutes` ending at its moment): the person's reading stands in where there is no
    gauge, or the gauge was down, and is never added to what the gauge measured. A gauge that covered only
    part of the person's 24 hours wins for the whole: its readings are the finer record. The rainfall
    rollups, and so the charts and the annual report, count by the same rule (services.recount_rain).
    The caller passes the gauge readings that could overlap: up to a day before the first reading and a
    day after the last."""
    gauges = [(at, period or 0) for _id, at, _value, period, source in rain if source in GAUGE_SOURCES]
    moments = [at for at, _period in gauges]
    counted = []
    for reading_id, at, value, period, source in rain:
        if source not in GAUGE_SOURCES:
            since = at - timedelta(minutes=period or 0)
            # Gauge periods end within a day of the person's: only those can overlap (since, at].
            first = bisect.bisect_right(moments, since)
            last = bisect.bisect_right(moments, at + timedelta(minutes=MAX_PERIOD_MINUTES))
            if any(end - timedelta(minutes=length) < at for end, length in gauges[first:last]):
                continue
        counted.append((reading_id, at, value))
    return counted


def rainstorms(rain: list[tuple[int, datetime, float]], since: datetime, zone: tzinfo,
               threshold: float = RAINSTORM_MM) -> list[Finding]:
    """Each local day on which the rainfall of the 24 hours ending at some reading (at or after `since`)
    reached the threshold, with the largest such total and the readings making it up. `rain` is sorted
    by time and reaches back 24 hours before `since`."""
    days: dict[date, Finding] = {}
    window: deque = deque()
    total = 0.0
    for reading_id, at, value in rain:
        window.append((reading_id, at, value))
        total += value
        while window[0][1] <= at - WINDOW:
            total -= window.popleft()[2]
        # Rounded to a tenth as gauges report: 49.99999 from adding 5-minute tips is 50.0.
        amount = round(total, 1)
        if at < since or amount < threshold:
            continue
        day = at.astimezone(zone).date()
        found = days.get(day)
        if found is None or amount > found.measurements["rain_24h_mm"]:
            days[day] = Finding("rainstorm", day, {"rain_24h_mm": amount}, [r[0] for r in window])
    return list(days.values())


def rapid_changes(levels: list[tuple[int, datetime, float]], since: datetime, zone: tzinfo,
                  threshold: float) -> list[Finding]:
    """Each local day on which a level (at or after `since`) differs by more than `threshold` metres from
    one of the 24 hours before it, with the largest such change (signed: negative when falling). `levels`
    is sorted by time and reaches back 24 hours before `since`."""
    days: dict[date, Finding] = {}
    # The lowest and highest of the last 24 hours, each kept as a monotonic queue: linear in the readings.
    lows: deque = deque()
    highs: deque = deque()
    for reading_id, at, value in levels:
        for queue in (lows, highs):
            while queue and queue[0][1] < at - WINDOW:
                queue.popleft()
        if at >= since and lows:
            rise, fall = value - lows[0][2], value - highs[0][2]
            change, other = (rise, lows[0]) if abs(rise) >= abs(fall) else (fall, highs[0])
            if abs(change) > threshold:
                day = at.astimezone(zone).date()
                found = days.get(day)
                if found is None or abs(change) > abs(found.measurements["level_change_24h_m"]):
                    days[day] = Finding("rapid_level_change", day,
                                        {"level_change_24h_m": round(change, 3)}, [other[0], reading_id])
        while lows and lows[-1][2] >= value:
            lows.pop()
        lows.append((reading_id, at, value))
        while highs and highs[-1][2] <= value:
            highs.pop()
        highs.append((reading_id, at, value))
    return list(days.values())
