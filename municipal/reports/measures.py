"""What the facility report and the district report count alike: the year's bounds in the district's time,
which work is repair work and which finding is rectified, and hours, months and costs summed the same way."""
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from ..calendar import compliance
from ..extensions import db

# Work that keeps a facility sound, as opposed to the inspections that check it.
REPAIR_KINDS = ("maintenance", "repair", "rectification")
# A finding is rectified when its follow-up is verified; anything else leaves it open.
RECTIFIED = "verified"
SEVERITIES = ("critical", "high", "medium", "low")
FEN = Decimal("0.01")
# Long lists in a district report stop here; the report says how many more there are.
LIST_LIMIT = 200


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The UTC moments of local midnight at `start` and after `end`: timestamps within the local days."""
    tz = zone()
    return datetime.combine(start, time(), tz), datetime.combine(end + timedelta(days=1), time(), tz)


def hours_between(later, earlier):
    """later − earlier in hours, in SQL, on either database."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.extract("epoch", later - earlier) / 3600.0
    return (sa.func.julianday(later) - sa.func.julianday(earlier)) * 24.0


def by_month(report: compliance.Report, year: int) -> list[tuple[int, compliance.Counts]]:
    """Twelve rows, months without items included, so a gap shows as a gap."""
    found = {group.key: group.counts for group in report.groups}
    return [(month, found.get(f"{year:04d}-{month:02d}", compliance.Counts())) for month in range(1, 13)]


def add_cost(target: dict, cost, costed) -> None:
    """Adds a group's summed cost to `target`'s; the cost stays None until some work order has one."""
    if costed:
        target["costed"] += int(costed)
        # SQLite sums Numeric as a float; the report's costs are to the fen.
        target["cost_yuan"] = (target["cost_yuan"] or Decimal(0)) + Decimal(str(cost)).quantize(FEN)
