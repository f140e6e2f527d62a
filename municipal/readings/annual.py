"""A reservoir's year in water for the annual report: its highest level against the flood limit, the days
at or above it, the largest 24-hour rainfall, and a chart, from the same rollups as the facility page's."""
from collections import deque
from datetime import date, datetime, time, timezone

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import clock
from ..extensions import db
from . import rules, services, svg
from .models import ReadingRollup


def _rollups(asset_id: int, kind: str, grain: str, start: datetime, end: datetime):
    table = ReadingRollup.__table__
    return db.session.execute(
        sa.select(table.c.bucket_at, table.c.total, table.c.high)
        .where(table.c.asset_id == asset_id, table.c.kind == kind, table.c.grain == grain,
               table.c.bucket_at >= start, table.c.bucket_at < end).order_by(table.c.bucket_at)).all()


def largest_24h(hours) -> tuple[float, datetime | None]:
    """The largest rainfall of any 24 consecutive hours (hourly totals), and the hour that window ended."""
    window, total, best, ended = deque(), 0.0, 0.0, None
    for at, amount, _high in hours:
        window.append((at, amount))
        total += amount
        while window[0][0] <= at - rules.WINDOW:
            total -= window.popleft()[1]
        if total > best:
            best, ended = total, at
    return round(best, 1), ended


def year_in_water(asset, year: int) -> dict | None:
    """None when the facility keeps no readings or has none in the year."""
    if asset.type not in services.READING_TYPES:
        return None
    zone = clock.zone()
    start = datetime.combine(date(year, 1, 1), time(), zone).astimezone(timezone.utc)
    end = datetime.combine(date(year + 1, 1, 1), time(), zone).astimezone(timezone.utc)
    levels = _rollups(asset.id, "water_level", "d", start, end)
    rain_days = _rollups(asset.id, "rainfall", "d", start, end)
    if not levels and not rain_days:
        return None
    limits = rules.Limits.of(asset.attributes)
    highest = max(levels, key=lambda row: row.high, default=None)
    above = (sum(1 for row in levels if row.high >= limits.flood_limit_m)
             if limits.flood_limit_m is not None else None)
    rain_24h, rain_end = largest_24h(_rollups(asset.id, "rainfall", "h", start, end))
    days = (date(year + 1, 1, 1) - date(year, 1, 1)).days

    def index(at):
        return (at.astimezone(zone).date() - date(year, 1, 1)).days

    chart = svg.year_chart(
        days, [(index(row.bucket_at), row.high) for row in levels],
        [(index(row.bucket_at), row.total) for row in rain_days],
        {"flood_limit": limits.flood_limit_m, "normal": limits.normal_m},
        {"title": _("Water level and rainfall %(year)s", year=year), "level": _("Daily highest level (m)"),
         "rain": _("Daily rainfall (mm)"), "flood_limit": _("Flood limit level"), "normal": _("Normal pool level")},
        [((date(year, month, 1) - date(year, 1, 1)).days, str(month)) for month in range(1, 13)])
    return {"highest": highest.high if highest else None,
            "highest_on": highest.bucket_at.astimezone(zone).date() if highest else None,
            "flood_limit": limits.flood_limit_m, "days_above": above,
            "rain_24h": rain_24h if rain_end else None,
            "rain_24h_end": rain_end.astimezone(zone) if rain_end else None,
            "rain_total": round(sum(row.total for row in rain_days), 1), "chart": chart}
