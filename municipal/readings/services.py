"""Storing readings: judged whole before anything is written, repeats recognised, the hourly and daily
rollups brought up to date in the same transaction, and the events they show recorded. Flushes, never
commits.

Readings are measurements, not decisions: they are not written to the audit trail one by one (a gauge
sends 288 a day); the events found in them are.
"""
from collections import defaultdict
from datetime import datetime, time, timedelta, timezone

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import clock
from ..assets.models import Asset
from ..db import conflict_insert
from ..errors import Conflict, ValidationError
from ..extensions import db
from . import events, rules
from .models import Reading, ReadingRollup

READING_TYPES = ("reservoir",)
# Above this many readings the ones already stored are read by time range rather than by moment.
BY_MOMENT_LIMIT = 500
INSERT_CHUNK = 5000


def check_asset(asset: Asset, field: str = "asset") -> rules.Limits:
    if asset.type not in READING_TYPES:
        raise ValidationError(_("Readings are kept for reservoirs only."), {field: _("not a reservoir")})
    return rules.Limits.of(asset.attributes)


def clean(asset: Asset, items, field: str = "readings", now: datetime | None = None) -> list[rules.Clean]:
    """Every reading checked; ValidationError naming `readings.<index>.<field>` for each refused one."""
    limits = check_asset(asset)
    now = now or clock.now()
    zone = clock.zone()
    if not isinstance(items, list) or not items:
        raise ValidationError(_("No reading was stored."), {field: _("give a list of readings")})
    found, errors = [], {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors[f"{field}.{index}"] = _("must be an object")
            continue
        unknown = set(item) - {"kind", "value", "observed_at", "period_minutes"}
        if unknown:
            errors[f"{field}.{index}.{sorted(unknown)[0]}"] = _("is not a known field")
            continue
        try:
            found.append(rules.check(item.get("kind"), item.get("value"), item.get("observed_at"),
                                     item.get("period_minutes"), limits, now, zone))
        except rules.Refused as refused:
            errors[f"{field}.{index}.{refused.field}"] = _(refused.msgid, **refused.params)
    if errors:
        raise ValidationError(_("No reading was stored."), errors)
    return found


def new_only(asset_id: int, readings: list[rules.Clean]) -> tuple[list[int], dict[int, float]]:
    """(positions of the readings not yet stored, {position: stored value} of those at a stored moment
    with another value). One that repeats a stored reading, or an earlier one of the batch, is neither."""
    stored = _stored(asset_id, readings)
    fresh, clashes = [], {}
    for position, reading in enumerate(readings):
        key = (reading.kind, reading.observed_at)
        before = stored.get(key)
        if before is None:
            stored[key] = (reading.value, reading.period_minutes)
            fresh.append(position)
        elif before != (reading.value, reading.period_minutes):
            clashes[position] = before[0]
    return fresh, clashes


def _stored(asset_id: int, readings: list[rules.Clean]) -> dict:
    table = Reading.__table__
    found = {}
    by_kind = defaultdict(list)
    for reading in readings:
        by_kind[reading.kind].append(reading.observed_at)
    for kind, moments in by_kind.items():
        query = sa.select(table.c.observed_at, table.c.value, table.c.period_minutes).where(
            table.c.asset_id == asset_id, table.c.kind == kind)
        if len(moments) <= BY_MOMENT_LIMIT:
            query = query.where(table.c.observed_at.in_(moments))
        else:
            query = query.where(table.c.observed_at.between(min(moments), max(moments)))
        for at, value, period in db.session.execute(query):
            found[(kind, at)] = (value, period)
    return found


def store(asset_id: int, readings: list[rules.Clean], source: str, work_order_id: int | None = None) -> int:
    """Insert readings known to be new, and fold them into the rollups. Returns how many."""
    if not readings:
        return 0
    connection = db.session.connection()
    # Straight to the driver, in the session's transaction: a decade of telemetry is millions of rows, and
    # the ORM's per-row parameter handling would take four fifths of the time. The timestamps are made
    # by the column type's own processor, so they are stored exactly as every query compares them.
    column_type = Reading.__table__.c.observed_at.type.dialect_impl(connection.dialect)
    moment = column_type.bind_processor(connection.dialect) or (lambda value: value)
    created = moment(clock.now())
    rows = [(asset_id, r.kind, moment(r.observed_at), r.value, r.period_minutes, source, work_order_id, created)
            for r in readings]
    columns = "asset_id, kind, observed_at, value, period_minutes, source, work_order_id, created_at"
    if connection.dialect.name == "postgresql":
        with connection.connection.driver_connection.cursor() as cursor:
            with cursor.copy(f"COPY reading ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    else:
        for first in range(0, len(rows), INSERT_CHUNK):
            connection.exec_driver_sql(f"INSERT INTO reading ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                       rows[first:first + INSERT_CHUNK])
    roll_up(asset_id, readings)
    return len(rows)


def roll_up(asset_id: int, readings: list[rules.Clean]) -> None:
    """Add readings to their hours' and local days' rollups, creating the buckets they open. Rainfall near
    a person's reading is counted again instead (recount_rain): a gauge's reading may take its place."""
    rain = [r for r in readings if r.kind == "rainfall"]
    persons = _persons_rain_near(asset_id, rain) if rain else []
    if persons:
        recount_rain(asset_id, rain, persons)
        readings = [r for r in readings if r.kind != "rainfall"]
    buckets: dict[tuple, list] = {}
    day_of = _day_start(clock.zone())
    for reading in readings:
        _add(buckets, reading.kind, reading.observed_at, reading.value, day_of)
    table = ReadingRollup.__table__
    insert = conflict_insert(table, db.session.get_bind().dialect.name)
    statement = insert.on_conflict_do_update(
        index_elements=[table.c.asset_id, table.c.kind, table.c.grain, table.c.bucket_at],
        set_={"count": table.c.count + insert.excluded.count, "total": table.c.total + insert.excluded.total,
              "low": sa.case((insert.excluded.low < table.c.low, insert.excluded.low), else_=table.c.low),
              "high": sa.case((insert.excluded.high > table.c.high, insert.excluded.high), else_=table.c.high)})
    _write(statement, asset_id, buckets)


def _day_start(zone):
    """hour → the UTC start of its local day, remembered: a decade's readings have 87,600 hours."""
    days: dict[datetime, datetime] = {}

    def day_of(hour: datetime) -> datetime:
        day = days.get(hour)
        if day is None:
            local = datetime.combine(hour.astimezone(zone).date(), time(), zone)
            day = days[hour] = local.astimezone(timezone.utc)
        return day
    return day_of


def _add(buckets: dict, kind: str, at: datetime, value: float, day_of) -> None:
    hour = at.replace(minute=0, second=0, microsecond=0)
    for key in ((kind, "h", hour), (kind, "d", day_of(hour))):
        bucket = buckets.get(key)
        if bucket is None:
            buckets[key] = [1, value, value, value]
        else:
            bucket[0] += 1
            bucket[1] += value
            bucket[2] = min(bucket[2], value)
            bucket[3] = max(bucket[3], value)


def _write(statement, asset_id: int, buckets: dict) -> None:
    rows = [{"asset_id": asset_id, "kind": kind, "grain": grain, "bucket_at": at, "count": b[0], "total": b[1],
             "low": b[2], "high": b[3]} for (kind, grain, at), b in buckets.items()]
    for first in range(0, len(rows), INSERT_CHUNK):
        db.session.execute(statement, rows[first:first + INSERT_CHUNK])


def _persons_rain_near(asset_id: int, rain: list[rules.Clean]) -> list[datetime]:
    """The moments of the rainfall readings by a person (stored, the batch's own included) whose counting
    the batch may change: a gauge's period ends at most a day after a person's begins, and vice versa."""
    table, reach = Reading.__table__, timedelta(minutes=rules.MAX_PERIOD_MINUTES)
    first, last = min(r.observed_at for r in rain), max(r.observed_at for r in rain)
    return list(db.session.scalars(sa.select(table.c.observed_at).where(
        table.c.asset_id == asset_id, table.c.kind == "rainfall", table.c.source.not_in(rules.GAUGE_SOURCES),
        table.c.observed_at > first - reach, table.c.observed_at < last + reach)))


def recount_rain(asset_id: int, rain: list[rules.Clean], persons: list[datetime]) -> None:
    """Make the rainfall rollups of the hours and days the batch and the persons' readings near it
    (`persons`, their moments: _persons_rain_near) fall in again, from the readings the rainstorm rule counts
    (rules.rain_counted): a chart's bars and the annual report's largest 24 hours then add one rain once, as
    the rule does, whichever reading came first."""
    day_of = _day_start(clock.zone())
    moments = [r.observed_at for r in rain] + persons
    keys = set()
    for at in moments:
        hour = at.replace(minute=0, second=0, microsecond=0)
        keys.update({("h", hour), ("d", day_of(hour))})
    start = min(at for _grain, at in keys)
    end = max(at for _grain, at in keys) + timedelta(days=1)
    buckets: dict[tuple, list] = {}
    for _id, at, value in events.rain_between(asset_id, start, end):
        _add(buckets, "rainfall", at, value, day_of)
    buckets = {key: bucket for key, bucket in buckets.items() if key[1:] in keys}
    rollup = ReadingRollup.__table__
    for grain in ("h", "d"):
        moments = sorted(at for g, at in keys if g == grain)
        for first in range(0, len(moments), INSERT_CHUNK):
            db.session.execute(sa.delete(rollup).where(
                rollup.c.asset_id == asset_id, rollup.c.kind == "rainfall", rollup.c.grain == grain,
                rollup.c.bucket_at.in_(moments[first:first + INSERT_CHUNK])))
    _write(sa.insert(rollup), asset_id, buckets)


def add(actor, asset: Asset, items, source: str, work_order_id: int | None = None,
        field: str = "readings") -> int:
    """Check and store a batch of readings for one facility, all or nothing, and record the events they
    show. Returns how many were new: a batch sent again is accepted and stores nothing."""
    readings = clean(asset, items, field)
    positions, clashes = new_only(asset.id, readings)
    if clashes:
        raise Conflict(_("No reading was stored: some moments already have other values."), {
            f"{field}.{i}.value": _("another value is stored for this moment: %(value)s", value="%g" % value)
            for i, value in clashes.items()})
    fresh = [readings[i] for i in positions]
    count = store(asset.id, fresh, source, work_order_id)
    if count:
        events.find(actor, asset, fresh)
    return count
