"""Events from readings (inspection-rules.md §4.1.6): high water, a rainstorm, a rapid change of level,
recorded through the calendar's own event service, one per facility, kind and local day, and their work
made at once. Flushes, never commits."""
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from .. import clock
from ..assets.models import Asset
from ..calendar import history, materialise
from ..extensions import db
from . import rules
from .models import Reading

SOURCE = "reading"


def find(actor, asset: Asset, fresh: list[rules.Clean]) -> list:
    """Record the events that new readings show (those already recorded are left); their work follows."""
    zone = clock.zone()
    limits = rules.Limits.of(asset.attributes)
    found = []
    for kind, (first, last) in window_of(fresh).items():
        if kind == "rainfall":
            found += rules.rainstorms(rain_between(asset.id, first - rules.WINDOW, last + rules.WINDOW), first, zone)
        else:
            around = readings_between(asset.id, kind, first - rules.WINDOW, last + rules.WINDOW)
            found += rules.high_water([r for r in around if first <= r[1] <= last], limits, zone)
            found += rules.rapid_changes(around, first, zone,
                                         float(current_app.config["READINGS_RAPID_CHANGE_M"]))
    recorded = [event for event in (
        history.record_found_event(actor, asset, kind=f.kind, day=f.day, measurements=f.measurements,
                                   basis=f.basis, source=SOURCE) for f in found) if event is not None]
    if recorded:
        materialise.materialise(clock.now(), asset_ids=[asset.id])
    return recorded


def window_of(readings: list[rules.Clean]) -> dict[str, tuple[datetime, datetime]]:
    """(earliest, latest) moment of the readings, by kind."""
    spans: dict[str, tuple[datetime, datetime]] = {}
    for reading in readings:
        low, high = spans.get(reading.kind, (reading.observed_at, reading.observed_at))
        spans[reading.kind] = (min(low, reading.observed_at), max(high, reading.observed_at))
    return spans


def readings_between(asset_id: int, kind: str, start: datetime, end: datetime) -> list[tuple[int, datetime, float]]:
    """(id, moment, value) of a facility's readings of a kind in [start, end], oldest first."""
    table = Reading.__table__
    return [tuple(row) for row in db.session.execute(
        sa.select(table.c.id, table.c.observed_at, table.c.value)
        .where(table.c.asset_id == asset_id, table.c.kind == kind, table.c.observed_at.between(start, end))
        .order_by(table.c.observed_at))]


def rain_between(asset_id: int, start: datetime, end: datetime) -> list[tuple[int, datetime, float]]:
    """(id, moment, value) of the rainfall in [start, end] that the rainstorm rule counts: a person's reading
    only where no gauge measured the same period (rules.rain_counted says why). Read a day wider on each
    side, for the gauge readings that may overlap a person's at the edges."""
    table = Reading.__table__
    reach = timedelta(minutes=rules.MAX_PERIOD_MINUTES)
    rows = [tuple(row) for row in db.session.execute(
        sa.select(table.c.id, table.c.observed_at, table.c.value, table.c.period_minutes, table.c.source)
        .where(table.c.asset_id == asset_id, table.c.kind == "rainfall",
               table.c.observed_at.between(start - reach, end + reach))
        .order_by(table.c.observed_at))]
    return [row for row in rules.rain_counted(rows) if start <= row[1] <= end]
