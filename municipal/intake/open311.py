"""Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2), as data: services, their definitions, and requests
as the spec names their fields. The blueprint (open311_api.py) parses and renders; this reads and files.

A request's id is the report's tracking number, the one the citizen follows on the status page. Its status
is the citizen's status told in Open311's two words (states.OPEN311), so the three views never disagree.
What another system reads anonymously holds nothing of the reporter: the description and the position are
given only to a caller with an api_key, and so is the photo.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from flask import current_app, url_for
from flask_babel import gettext as _

from ..assets import lookup
from ..assets.models import Area, Asset
from ..db import utcnow
from ..errors import NotFound, ValidationError
from ..extensions import db
from ..workorders.models import WorkOrder
from . import followup, rules, services, states
from .models import CATEGORIES, CitizenReport

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
DEFAULT_DAYS = 90
MAX_RESULTS = 1000
DESCRIPTION_MAX = services.DESCRIPTION_MAX
ASSET_CODE = "asset_code"


def services_list() -> list[dict]:
    return [{
        "service_code": code, "service_name": str(CATEGORIES[code]),
        "description": str(CATEGORIES[code]), "metadata": True, "type": "realtime",
        "keywords": ", ".join((*rules.URGENT_BY_CATEGORY.get(code, ()),)), "group": _("Municipal facilities"),
    } for code in rules.ALL]


def service_definition(code: str) -> dict:
    if code not in CATEGORIES:
        raise NotFound(_("There is no service %(code)s.", code=code[:40]))
    return {"service_code": code, "attributes": [{
        "variable": True, "code": ASSET_CODE, "datatype": "string", "required": False,
        "datatype_description": _("The identity code on the facility's QR label, e.g. RSV-7K3Q9-G."),
        "order": 1, "description": _("Which facility? The code printed under its QR label."),
    }]}


def parse_moment(text: str) -> datetime:
    """A w3 date and time (2026-11-26T10:00:00+08:00, or a date); without an offset, the district's time."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(current_app.config["TIMEZONE"]))
    return moment


def _local(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).replace(microsecond=0).isoformat()


def _agency(report: CitizenReport, areas: dict) -> str | None:
    area = areas.get(report.asset.area_id) if report.asset is not None else None
    return area.name if area is not None else areas.get(None)


def _media_url(report: CitizenReport, private: bool) -> str | None:
    """The report's photo for a caller with a key: ours by a signed link, or the one the filer pointed at."""
    if not private:
        return None
    if report.photo_path:
        return current_app.config["PUBLIC_URL"].rstrip("/") + url_for(
            "intake.report_photo", number=report.number, s=followup.photo_signature(report.number))
    return report.media_url or None


def as_request(report: CitizenReport, order: WorkOrder | None, areas: dict, private: bool) -> dict:
    """One request in the spec's fields. `private`: the caller showed an api_key and may read what the
    reporter wrote and where they stood."""
    public = states.public_status(report.status, order.status if order is not None else None)
    view = services.public_view(report, order)
    updated = max(t for t in (report.created_at, report.accepted_at, report.closed_at,
                              order.updated_at if order is not None else None) if t is not None)
    expected = report.fix_due_at if states.open311_status(public) == "open" else None
    return {
        "service_request_id": report.number, "status": states.open311_status(public),
        "status_notes": view.reply or None, "service_name": str(CATEGORIES[report.category]),
        "service_code": report.category, "description": (report.description or None) if private else None,
        "agency_responsible": _agency(report, areas), "service_notice": None,
        "requested_datetime": _local(report.created_at), "updated_datetime": _local(updated),
        "expected_datetime": _local(expected), "address": (report.address or None) if private else None,
        "address_id": None, "zipcode": None,
        "lat": report.lat if private else None, "long": report.lon if private else None,
        "media_url": _media_url(report, private),
    }


@dataclass
class Query:
    ids: list[str]
    service_codes: list[str]
    statuses: list[str]
    start: datetime | None
    end: datetime | None


def _status_clause(statuses: list[str]):
    """Reports whose Open311 status is one of `statuses`, from the same table the pages read."""
    pairs = [pair for status in statuses for public in states.public_for_open311(status)
             for pair in states.staff_states(public)]
    return sa.or_(*[sa.and_(CitizenReport.status == report,
                            WorkOrder.status.is_(None) if order is None else WorkOrder.status == order)
                    for report, order in pairs])


def find_requests(query: Query, private: bool) -> list[dict]:
    select = sa.select(CitizenReport).options(joinedload(CitizenReport.asset))
    if query.ids:
        numbers = [services.normalize_number(text) for text in query.ids]
        select = select.where(CitizenReport.number.in_([n for n in numbers if n]))
    else:
        end = query.end or utcnow()
        start = query.start or end - timedelta(days=DEFAULT_DAYS)
        select = select.where(CitizenReport.created_at >= start, CitizenReport.created_at <= end)
        if query.service_codes:
            select = select.where(CitizenReport.category.in_(query.service_codes))
        if query.statuses:
            select = select.where(_status_clause(query.statuses))
    select = select.outerjoin(WorkOrder, WorkOrder.id == CitizenReport.work_order_id)
    select = select.order_by(CitizenReport.created_at.desc(), CitizenReport.id.desc()).limit(MAX_RESULTS)
    return _rows_joined(select, private)


def _rows_joined(select: sa.Select, private: bool) -> list[dict]:
    rows = db.session.execute(select.add_columns(WorkOrder)).unique().all()
    asset_ids = {report.asset_id for report, _order in rows if report.asset_id}
    # A report without a facility is the whole district's: the top area answers for it.
    areas = {None: db.session.scalar(sa.select(Area.name).where(Area.parent_id.is_(None)).order_by(Area.id).limit(1))}
    if asset_ids:
        areas |= {area.id: area for area in db.session.scalars(
            sa.select(Area).join(Asset, Asset.area_id == Area.id).where(Asset.id.in_(asset_ids)))}
    return [as_request(report, order, areas, private) for report, order in rows]


def get_request(number: str, private: bool) -> dict:
    canonical = services.normalize_number(number)
    found = canonical and find_requests(Query([canonical], [], [], None, None), private)
    if not found:
        raise NotFound(_("There is no request %(id)s.", id=(number or "")[:20]))
    return found[0]


def token_request(token: str) -> dict:
    number = db.session.scalar(sa.select(CitizenReport.number).where(CitizenReport.token == (token or "")[:32]))
    if number is None:
        raise NotFound(_("There is no request for this token."))
    return {"service_request_id": number, "token": token}


def _asset_id(code: str) -> int | None:
    if not code:
        return None
    try:
        return lookup.find_asset(code, ASSET_CODE, ids=False).id
    except lookup.CodeNotBound:
        return None
    except lookup.NO_FACILITY as error:
        raise ValidationError(error.message, {ASSET_CODE: error.message}) from None


def create_request(key_id: int, values: dict, upload, fingerprint: str) -> dict:
    """File a request from the spec's POST fields (`values`: text by name) and an optional uploaded photo, sent
    with the key `key_id` from the client `fingerprint` (services.client_fingerprint): the rate limit counts
    both."""
    code = values.get("service_code", "").strip()
    if not code:
        raise ValidationError(_("service_code is required."), {"service_code": _("required")})
    if code not in CATEGORIES:
        raise ValidationError(_("There is no service %(code)s.", code=code[:40]), {"service_code": _("unknown")})
    name = " ".join(part for part in (values.get("first_name", "").strip(), values.get("last_name", "").strip())
                    if part)
    report = services.submit_report(
        category=code, description=values.get("description", ""), fingerprint=fingerprint,
        asset_id=_asset_id((values.get(f"attribute[{ASSET_CODE}]") or values.get(ASSET_CODE) or "").strip()),
        photo=upload, contact_name=name[:100], contact_phone=values.get("phone", ""),
        lon=values.get("long"), lat=values.get("lat"), address=values.get("address_string", ""),
        media_url=values.get("media_url", ""), open311_key_id=key_id,
    )
    return {"service_request_id": report.number, "token": report.token,
            "service_notice": _("Follow it with the number %(number)s at %(url)s.", number=report.number,
                                url=current_app.config["PUBLIC_URL"].rstrip("/") + "/report/status"),
            "account_id": None}
