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
from sqlalchemy.dialects import postgresql, sqlite

from .. import clock
from ..assets.models import Asset
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
    """Add readings to their hours' and local days' rollups, creating the buckets they open."""
    zone = clock.zone()
    buckets: dict[tuple, list] = {}
    days: dict[datetime, datetime] = {}
    for reading in readings:
        hour = reading.observed_at.replace(minute=0, second=0, microsecond=0)
        day = days.get(hour)
        if day is None:
            local = datetime.combine(hour.astimezone(zone).date(), time(), zone)
            day = days[hour] = local.astimezone(timezone.utc)
        for key in ((reading.kind, "h", hour), (reading.kind, "d", day)):
            bucket = buckets.get(key)
            if bucket is None:
                buckets[key] = [1, reading.value, reading.value, reading.value]
            else:
                bucket[0] += 1
                bucket[1] += reading.value
                bucket[2] = min(bucket[2], reading.value)
                bucket[3] = max(bucket[3], reading.value)
    table = ReadingRollup.__table__
    insert = (postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert)(table)
    statement = insert.on_conflict_do_update(
        index_elements=[table.c.asset_id, table.c.kind, table.c.grain, table.c.bucket_at],
        set_={"count": table.c.count + insert.excluded.count, "total": table.c.total + insert.excluded.total,
              "low": sa.case((insert.excluded.low < table.c.low, insert.excluded.low), else_=table.c.low),
              "high": sa.case((insert.excluded.high > table.c.high, insert.excluded.high), else_=table.c.high)})
    rows = [{"asset_id": asset_id, "kind": kind, "grain": grain, "bucket_at": at, "count": b[0], "total": b[1],
             "low": b[2], "high": b[3]} for (kind, grain, at), b in buckets.items()]
    for first in range(0, len(rows), INSERT_CHUNK):
        db.session.execute(statement, rows[first:first + INSERT_CHUNK])


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
