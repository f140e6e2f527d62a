"""A citizen's pin on the report form: the facilities within 50 m to tie the report to, the open reports of
the same kind within 30 m and 7 days that are likely the same problem, and a citizen's word added to one of
those instead of a new report. Both searches go through the spatial key (municipal/geo/grid.py): a few key
ranges of an index around the pin, then the exact distance. Flushes, never commits."""
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from ..assets.models import Asset, IdentityCode
from ..errors import Conflict, NotFound, ValidationError
from ..extensions import db
from ..geo import grid
from ..inspections.distance import distance_m
from ..workorders.models import WorkOrder
from . import services, states
from .models import CATEGORIES, CitizenReport

SUGGEST_RADIUS_M = 50
SUGGEST_MAX = 5
DUPLICATE_RADIUS_M = 30
DUPLICATE_DAYS = 7
DUPLICATE_MAX = 3
# What the citizen sees of a report that is no longer open: nothing left to add to.
_SETTLED = ("done", "closed")


def position(lon, lat) -> tuple[float, float]:
    """(lon, lat) as numbers on the globe, or a ValidationError naming each field that is not."""
    errors, values = {}, []
    for field, value, limit in (("lon", lon, 180), ("lat", lat, 90)):
        try:
            number = float(value)
            if not math.isfinite(number):
                raise ValueError
        except (TypeError, ValueError):
            errors[field] = _("must be a number")
            continue
        if not -limit <= number <= limit:
            errors[field] = _("must lie between %(low)s and %(high)s", low=-limit, high=limit)
        values.append(number)
    if errors:
        raise ValidationError(_("The position is not valid."), errors)
    return values[0], values[1]


def _near(key, lon: float, lat: float, metres: float):
    """`key` (a geo_key column) in one of the ranges of cells covering the circle around the pin."""
    ranges = grid.key_ranges(grid.around(lon, lat, metres), grid.KEY_LEVEL)
    return sa.or_(*[key.between(low, high) for low, high in ranges])


@dataclass(frozen=True)
class Facility:
    id: int
    code: str | None
    name: str
    type: str
    lon: float
    lat: float
    distance_m: float


def facilities_near(lon: float, lat: float, metres: float = SUGGEST_RADIUS_M,
                    limit: int = SUGGEST_MAX) -> list[Facility]:
    """The facilities in service within `metres` of the pin, nearest first. A line is found by the point it
    is keyed at (its middle vertex), as on the map."""
    rows = db.session.execute(
        sa.select(Asset.id, Asset.name, Asset.type, Asset.lon, Asset.lat, IdentityCode.code)
        .outerjoin(IdentityCode, sa.and_(IdentityCode.asset_id == Asset.id, IdentityCode.status == "bound"))
        .where(_near(Asset.geo_key, lon, lat, metres), Asset.status != "decommissioned")
    ).all()
    found = {}
    for r in rows:
        distance = distance_m(lon, lat, r.lon, r.lat)
        if distance <= metres and r.id not in found:
            found[r.id] = Facility(r.id, r.code, r.name, r.type, r.lon, r.lat, round(distance, 1))
    return sorted(found.values(), key=lambda f: (f.distance_m, f.id))[:limit]


def _reports_near(lon: float, lat: float, category: str, since: datetime, until: datetime,
                  metres: float) -> dict[int, float]:
    """{report id: metres} of the reports of `category`, not closed, received in [since, until], within
    `metres` of the pin: where the citizen stood, or their facility's place when they gave no position."""
    conditions = (CitizenReport.category == category, CitizenReport.status != "closed",
                  CitizenReport.created_at.between(since, until))
    near = {}
    # The time is compared here, not in the query: given a range on created_at, SQLite may walk one of the
    # (…, created_at) indexes over the whole district rather than the few key ranges around the pin.
    for r in db.session.execute(sa.select(CitizenReport.id, CitizenReport.lon, CitizenReport.lat,
                                          CitizenReport.created_at)
                                .where(_near(CitizenReport.geo_key, lon, lat, metres), *conditions[:2])):
        distance = distance_m(lon, lat, r.lon, r.lat)
        if distance <= metres and since <= r.created_at <= until:
            near[r.id] = round(distance, 1)
    # The facilities first, then their reports by the (asset, time) index: joined in one query, SQLite walks
    # that index for every facility of the district instead (100 ms at 100,000 reports).
    facilities = {r.id: distance_m(lon, lat, r.lon, r.lat) for r in db.session.execute(
        sa.select(Asset.id, Asset.lon, Asset.lat).where(_near(Asset.geo_key, lon, lat, metres)))}
    facilities = {asset_id: d for asset_id, d in facilities.items() if d <= metres}
    if facilities:
        for r in db.session.execute(sa.select(CitizenReport.id, CitizenReport.asset_id).where(
                CitizenReport.asset_id.in_(facilities), CitizenReport.lat.is_(None), *conditions)):
            near[r.id] = round(facilities[r.asset_id], 1)
    return near


@dataclass(frozen=True)
class Duplicate:
    """A report likely about the same problem, as the citizen may see it: its public status, not who sent it."""

    status: services.ReportStatus
    distance_m: float


def likely_duplicates(lon: float, lat: float, category: str, now: datetime) -> list[Duplicate]:
    """The open reports of the same category within 30 m of the pin from the last 7 days, nearest first.
    Open as the citizen sees it: neither closed nor done (a problem fixed and back is a new report)."""
    if category not in CATEGORIES:
        return []
    near = _reports_near(lon, lat, category, now - timedelta(days=DUPLICATE_DAYS), now, DUPLICATE_RADIUS_M)
    if not near:
        return []
    rows = db.session.execute(
        sa.select(CitizenReport, WorkOrder).outerjoin(WorkOrder, WorkOrder.id == CitizenReport.work_order_id)
        .where(CitizenReport.id.in_(near))).all()
    found = [Duplicate(services.public_view(report, order), near[report.id]) for report, order in rows]
    found = [d for d in found if d.status.status not in _SETTLED]
    return sorted(found, key=lambda d: (d.distance_m, d.status.number))[:DUPLICATE_MAX]


def near_report(report: CitizenReport) -> list[int]:
    """The ids of other reports a supervisor should see beside `report`: the same category, not closed,
    within 30 m of it and 7 days either side."""
    lon, lat = report.lon, report.lat
    if lat is None and report.asset is not None:
        lon, lat = report.asset.lon, report.asset.lat
    if lat is None:
        return []
    window = timedelta(days=DUPLICATE_DAYS)
    near = _reports_near(lon, lat, report.category, report.created_at - window, report.created_at + window,
                         DUPLICATE_RADIUS_M)
    near.pop(report.id, None)
    return list(near)


def add_to(number: str, *, description: str, fingerprint: str, photo=None, contact_name: str = "",
           contact_phone: str = "", lon=None, lat=None, now: datetime, device: str | None = None) -> CitizenReport:
    """我也遇到: a citizen's text and photo filed on the open report `number` instead of a new one. Kept as a
    report merged into it at once, so the staff find it where a supervisor's merge puts duplicates."""
    canonical = services.normalize_number(number)
    target = canonical and db.session.scalar(sa.select(CitizenReport).where(CitizenReport.number == canonical))
    if not target:
        raise NotFound(_("There is no report with the number %(number)s.", number=(number or "").strip()[:20]),
                       {"join": _("not found")})
    order = db.session.get(WorkOrder, target.work_order_id) if target.work_order_id else None
    if states.public_status(target.status, order.status if order is not None else None) in _SETTLED:
        raise Conflict(_("This report has been dealt with already; please send a new report."))
    return services.submit_report(
        category=target.category, description=(description or "").strip() or _("I have seen this problem too."),
        fingerprint=fingerprint, asset_id=target.asset_id, photo=photo, contact_name=contact_name,
        contact_phone=contact_phone, lon=lon, lat=lat, now=now, device=device, merged_into=target)


def chosen_facility(facility, lon, lat) -> int | None:
    """The facility the citizen picked from the suggestions, checked to be one of them: a report is tied to a
    facility only where the citizen stood near it, as a scanned label ties it. None when they picked none."""
    if facility in (None, ""):
        return None
    message = _("Choose one of the facilities suggested near your pin, or none.")
    try:
        wanted = int(facility)
        here = position(lon, lat)
    except (TypeError, ValueError, ValidationError):
        raise ValidationError(message, {"facility": message}) from None
    if wanted not in {f.id for f in facilities_near(*here)}:
        raise ValidationError(message, {"facility": message})
    return wanted
