"""Citizen reports: submission, public status, and the supervisors' triage. Flushes, never commits."""
import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from .. import media, paging
from ..assets import lookup
from ..assets.identity import codes
from ..assets.models import Area, Asset
from ..audit.services import record
from ..auth.models import EDITOR_ROLES
from ..auth.scope import Scope
from ..db import utcnow
from ..errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationError
from ..extensions import db
from ..geo import grid
from ..notify.services import district_supervisors, notify, supervisors_for_area
from . import rules, states
from .models import CATEGORIES, PUBLIC_STATUSES, STATUSES, CitizenReport

NUMBER_PREFIX = "R-"
NUMBER_LENGTH = 8
DESCRIPTION_MIN, DESCRIPTION_MAX = 2, 2000
REPLY_MAX = 2000
# Characters people confuse when reading a number off a screen, and what Crockford Base32 means by them.
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V"})


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"


def client_fingerprint(ip: str) -> str:
    """The client's IP (as the trusted proxies report it), keyed, so the raw IP cannot be recovered by hashing
    every address. The IP alone: anything the client chooses, such as its User-Agent, would let it reset its count."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, ip.encode(), hashlib.sha256).hexdigest()


def _random_number() -> str:
    return NUMBER_PREFIX + "".join(secrets.choice(codes.ALPHABET) for _ in range(NUMBER_LENGTH))


def _new_number() -> str:
    while True:
        number = _random_number()
        if not db.session.scalar(sa.select(CitizenReport.id).where(CitizenReport.number == number)):
            return number


def normalize_number(text: str) -> str | None:
    """The canonical tracking number for what a person typed (any case, spaces, 0/O and 1/I/L mixed up)."""
    body = "".join((text or "").upper().split()).replace("-", "")
    if body.startswith("R") and len(body) == NUMBER_LENGTH + 1:
        body = body[1:]
    body = body.translate(_READ_AS)
    if len(body) != NUMBER_LENGTH or any(c not in codes.VALUES for c in body):
        return None
    return NUMBER_PREFIX + body


def device_key(device_id: str) -> str | None:
    """The report-device cookie's value, keyed like the IP; None for a missing or malformed one."""
    if not device_id or len(device_id) > 64 or not device_id.isalnum():
        return None
    return client_fingerprint("device:" + device_id)


def _counts(conditions: list, since: datetime, number: str) -> tuple[list[int], bool]:
    """The reports since `since` that meet each condition, each count by its own index, and whether a report
    already has the tracking number `number`: one round trip for what each new report must know first."""
    *found, taken = db.session.execute(sa.select(*(
        sa.select(sa.func.count(CitizenReport.id)).where(condition, CitizenReport.created_at > since)
        .scalar_subquery() for condition in conditions), sa.exists().where(CitizenReport.number == number))).one()
    return found, taken


def _check_rate(fingerprint: str, device: str | None, key_id: int | None, asset_id: int | None,
                now: datetime, number: str) -> bool:
    """Counted three ways in the window, none of them chosen freely by the client: its IP, the device cookie
    (a phone changing networks) or, for another system filing through Open311, its api_key; and the facility
    (a flood of reports on one code from many addresses). A system filing for many citizens has its own,
    larger limit (OPEN311_RATE_LIMIT), on what it filed through Open311 from that IP or with that key.
    Returns whether the tracking number `number` is taken, asked in the same round trip."""
    config = current_app.config
    since = now - timedelta(seconds=config["REPORT_RATE_WINDOW_SECONDS"])
    by_ip = CitizenReport.client_fingerprint == fingerprint
    # Each way of reporting counts its own reports from an address: a city app's server and a citizen
    # behind the same address do not use up each other's share.
    if key_id is None:
        limit = config["REPORT_RATE_LIMIT"]
        counted = [sa.and_(by_ip, CitizenReport.open311_key_id.is_(None))]
        if device is not None:
            counted.append(CitizenReport.device_hash == device)
        message = _("You have sent %(n)s reports in the last hour, the most we accept; please try again "
                    "later or call the hotline.", n=limit)
    else:
        limit = config["OPEN311_RATE_LIMIT"]
        counted = [sa.and_(by_ip, CitizenReport.open311_key_id.is_not(None)), CitizenReport.open311_key_id == key_id]
        message = _("This api_key or address has filed %(n)s requests in the last hour, the most accepted; "
                    "please try again later.", n=limit)
    by_code = [CitizenReport.asset_id == asset_id] if asset_id is not None else []
    found, taken = _counts(counted + by_code, since, number)
    if any(count >= limit for count in found[:len(counted)]):
        raise RateLimited(message)
    if by_code and found[-1] >= config["REPORT_RATE_LIMIT_PER_CODE"]:
        raise RateLimited(_("This facility has already been reported many times in the last hour; it is being "
                            "looked at. For an emergency, call the hotline."))
    return taken


def _coordinate(value, low: float, high: float):
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return number if math.isfinite(number) and low <= number <= high else False


def _photo(photo, errors: dict) -> media.Upload | None:
    """The upload checked from its header (see photos.py), or None with the reason in `errors`: nothing is
    stored before every check passed."""
    if photo is None:
        return None
    try:
        return media.check_image(photo)
    except ValidationError as error:
        errors.update(error.fields)
        return None


def submit_report(*, category: str, description: str, fingerprint: str, asset_id: int | None = None,
                  photo=None, contact_name: str = "", contact_phone: str = "", lon=None, lat=None,
                  now: datetime | None = None, address: str = "", media_url: str = "",
                  open311_key_id: int | None = None, device: str | None = None,
                  merged_into: CitizenReport | None = None) -> CitizenReport:
    """Record a citizen's report. `photo` is a readable upload or None, kept as it came and processed by the
    report-photos job (photos.py); `fingerprint` from client_fingerprint(), `device` from device_key(). A report
    filed by another system with its Open311 key is counted against that key (see _check_rate). A citizen's
    word on a report already there (`merged_into`, see pin.add_to) is filed merged into it at once, as a
    supervisor's merge would leave it: closed, pointing at that report."""
    now = now or utcnow()
    number = _random_number()
    if _check_rate(fingerprint, device, open311_key_id, asset_id, now, number):
        number = _new_number()
    description = (description or "").strip()
    contact_name, contact_phone = (contact_name or "").strip(), (contact_phone or "").strip()
    address, media_url = (address or "").strip(), (media_url or "").strip()
    errors = {}
    if category not in CATEGORIES:
        errors["category"] = _("Choose what kind of problem it is.")
    upload = _photo(photo, errors)
    if len(description) > DESCRIPTION_MAX or (len(description) < DESCRIPTION_MIN and upload is None and not media_url):
        errors["description"] = _("Describe the problem in %(min)s to %(max)s characters, or send a photo.",
                                  min=DESCRIPTION_MIN, max=DESCRIPTION_MAX)
    if len(contact_name) > 100:
        errors["contact_name"] = _("The name is too long.")
    if contact_phone and (len(contact_phone) > 40 or not any(c.isdigit() for c in contact_phone)):
        errors["contact_phone"] = _("This does not look like a phone number.")
    if len(address) > 250:
        errors["address"] = _("The address is too long.")
    if len(media_url) > 1000 or (media_url and not media_url.lower().startswith(("http://", "https://"))):
        errors["media_url"] = _("The photo's address must be an http or https URL of at most 1000 characters.")
    lon_value, lat_value = _coordinate(lon, -180, 180), _coordinate(lat, -90, 90)
    if lon_value is False or lat_value is False or (lon_value is None) != (lat_value is None):
        errors["position"] = _("The position is not valid.")
    asset = None
    if asset_id is not None:
        try:
            asset = lookup.find_asset(asset_id)
        except lookup.NO_FACILITY:
            errors["asset"] = _("This facility does not exist.")
    if errors:
        raise ValidationError(_("The report could not be sent; please check the marked fields."), errors)
    photo_path = media.store_original(upload, f"reports/{now:%Y-%m}") if upload is not None else None
    priority = rules.suggested_priority(category, description)
    response_due, fix_due = rules.deadlines(category, priority, now, current_app.config["REPORT_SLA_HOURS"])
    report = CitizenReport(
        number=number, asset_id=asset_id, category=category, description=description,
        photo_path=photo_path, photo_state="pending" if photo_path else None,
        contact_name=contact_name, contact_phone=contact_phone,
        lon=lon_value, lat=lat_value, geo_key=grid.geo_key(lon_value, lat_value) if lat_value is not None else None,
        client_fingerprint=fingerprint, device_hash=device, status="new", reply="", created_at=now,
        address=address, media_url=media_url, open311_key_id=open311_key_id,
        token=secrets.token_hex(8) if open311_key_id is not None else None,
        priority=priority, response_due_at=response_due, fix_due_at=fix_due,
    )
    if merged_into is not None:
        # The deadlines are the open report's: this one is answered by it.
        report.status, report.merged_into_id, report.closed_at = "closed", merged_into.id, now
        report.reply = _("This report was merged into %(number)s, which is about the same problem: follow that "
                         "number.", number=merged_into.number)
        report.response_due_at = report.fix_due_at = None
    db.session.add(report)
    db.session.flush()
    text = description[:60] or str(CATEGORIES[category])
    if merged_into is not None:
        text = _("Seen again by a citizen (%(number)s): %(text)s", number=merged_into.number, text=text)
    if asset is not None and asset.area_id is not None:
        # Held here, the area is still in the session when supervisors_for_area looks it up: not read twice.
        facility_area = asset.area
        recipients, area = supervisors_for_area(facility_area.id, asset.type), facility_area.name
        title = f"{asset.name}: {text}"
    else:
        # No area to route it by: those who answer for the whole district, who see it in triage anyway.
        district = db.session.scalar(sa.select(Area.name).where(Area.parent_id.is_(None)).order_by(Area.id).limit(1))
        recipients, area = district_supervisors(), district or "—"
        title = f"{asset.name}: {text}" if asset is not None else text
    shown = merged_into or report
    notify(recipients, "citizen_report", {"number": shown.number, "area": area, "title": title},
           f"/reports/{shown.id}", dedupe_key=f"citizen_report:{report.id}")
    # Contact details stay out of the trail: it is kept for good, they should not be. Written last: appending
    # holds the trail's lock until the commit, and every report, in every worker, waits for it.
    record(None, "citizen_report", report.id, "create", {
        "number": [None, report.number], "asset": [None, asset_id], "category": [None, category],
        "status": [None, report.status], "priority": [None, priority],
        **({"merged_into": [None, merged_into.number]} if merged_into is not None else {}),
    })
    return report


@dataclass(frozen=True)
class ReportStatus:
    """What the public status page may show: no contact details, no position, no staff names."""

    number: str
    category: str
    category_label: str
    facility: str
    status: str
    status_label: str
    reply: str
    created_at: datetime
    accepted_at: datetime | None
    closed_at: datetime | None
    done_at: datetime | None = None


def _work_order(report: CitizenReport):
    from ..workorders.models import WorkOrder

    return db.session.get(WorkOrder, report.work_order_id) if report.work_order_id is not None else None


def public_view(report: CitizenReport, order) -> ReportStatus:
    """What the citizen (and Open311) may see of a report whose work order is `order` (or None). A
    cancellation's reason is staff's words, which may name people or their phones: the citizen gets a fixed
    sentence pointing to the hotline instead."""
    status = states.public_status(report.status, order.status if order is not None else None)
    reply, done_at, closed_at = report.reply, None, report.closed_at
    if status == "done":
        done_at, closed_at = order.completed_at, None
    elif status == "closed" and report.status == "accepted":
        reply = _("The work for this report was cancelled. For questions, call the hotline %(hotline)s.",
                  hotline=current_app.config["HOTLINE"])
        closed_at = order.closed_at
    return ReportStatus(
        number=report.number, category=report.category, category_label=str(CATEGORIES[report.category]),
        facility=report.asset.name if report.asset else "", status=status,
        status_label=str(PUBLIC_STATUSES[status]), reply=reply, created_at=report.created_at,
        accepted_at=report.accepted_at, closed_at=closed_at, done_at=done_at,
    )


def report_status(number: str) -> ReportStatus:
    canonical = normalize_number(number)
    report = canonical and db.session.scalar(
        sa.select(CitizenReport).where(CitizenReport.number == canonical).options(joinedload(CitizenReport.asset))
    )
    if not report:
        raise NotFound(_("There is no report with the number %(number)s.", number=(number or "").strip()[:20]),
                       {"number": _("not found")})
    return public_view(report, _work_order(report))


def _require_staff(actor) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Please sign in."))
    if actor.role not in EDITOR_ROLES:
        raise PermissionDenied(_("Only supervisors and administrators may handle citizen reports."))


@dataclass
class TriageFilters:
    status: str = ""
    area: str = ""


def triage_query(actor, filters: TriageFilters) -> sa.Select:
    """The reports `actor` may triage, newest first, narrowed by status and area (code or name)."""
    _require_staff(actor)
    query = sa.select(CitizenReport).where(Scope.of(actor).clause(CitizenReport))
    if filters.status:
        if filters.status not in STATUSES:
            raise ValidationError(_("Unknown status."), {"status": _("invalid")})
        query = query.where(CitizenReport.status == filters.status)
    if filters.area:
        area = db.session.scalar(sa.select(Area).where(sa.or_(Area.code == filters.area, Area.name == filters.area)))
        if area is None:
            raise ValidationError(_("Unknown area."), {"area": _("invalid")})
        query = query.where(CitizenReport.asset_id.in_(
            sa.select(Asset.id).join(Area, Asset.area_id == Area.id).where(Area.path.startswith(area.path))))
    return query.order_by(CitizenReport.id.desc())


def triage_page(actor, filters: TriageFilters, after: int | None = None,
                limit: int = 50) -> tuple[list[CitizenReport], int | None]:
    """One keyset page of triage_query() and the id to continue after (None at the end)."""
    query = triage_query(actor, filters).options(joinedload(CitizenReport.asset).joinedload(Asset.area))
    return paging.page(query, (CitizenReport.id,), after, limit, descending=True, unique=True)


def get_report(actor, report_id: int) -> CitizenReport:
    """A report for staff, with contact details; one outside the actor's areas does not exist for them."""
    _require_staff(actor)
    report = db.session.scalar(sa.select(CitizenReport)
                               .where(CitizenReport.id == report_id, Scope.of(actor).clause(CitizenReport)))
    if report is None:
        raise NotFound(_("There is no such report."))
    return report


def close_report(actor, report_id: int, reply: str) -> CitizenReport:
    report = get_report(actor, report_id)
    reply = (reply or "").strip()
    if not reply or len(reply) > REPLY_MAX:
        message = _("Write a reply of 1 to %(max)s characters for the citizen.", max=REPLY_MAX)
        raise ValidationError(message, {"reply": message})
    if report.status == "closed":
        raise Conflict(_("This report is already closed."))
    record(actor, "citizen_report", report.id, "close", {"status": [report.status, "closed"], "reply": [None, reply]})
    report.status, report.reply = "closed", reply
    report.closed_at, report.closed_by_id = utcnow(), actor.id
    db.session.flush()
    return report


def _claim(report: CitizenReport, status: str, target: str) -> bool:
    """Move the report from `status` to `target` in the database first, before anything else is written. Of two
    requests at once (a double click, two supervisors) that both read it in `status`, the second waits for
    the first to commit and then matches no row, and so makes no second work order."""
    moved = db.session.execute(
        sa.update(CitizenReport).where(CitizenReport.id == report.id, CitizenReport.status == status)
        .values(status=target).execution_options(synchronize_session=False))
    return moved.rowcount == 1


def _position_text(report: CitizenReport) -> str:
    if report.lat is None:
        return ""
    return "\n" + _("Where the citizen stood: %(lat).5f°N, %(lon).5f°E", lat=report.lat, lon=report.lon)


def _attach_photo(actor, work_order_id: int, report: CitizenReport) -> None:
    """The report's photo kept with its work order. A photo gone from disk (a database restored without its
    media folder) must not stop the report becoming work: it is logged, and the work order goes without it."""
    from ..workorders.notes import add_attachment

    try:
        photo = (Path(current_app.config["MEDIA_DIR"]) / report.photo_path).open("rb")
    except FileNotFoundError:
        current_app.logger.warning("citizen report %s: its photo %s is missing from the media folder",
                                   report.number, report.photo_path)
        return
    with photo:
        add_attachment(actor, work_order_id, photo, f"{report.number}.jpg")


def accept_report(actor, report_id: int, priority: str | None = None, assignee_user_id=None,
                  assignee_team_id=None) -> CitizenReport:
    """Turn a new report (or one sent back for review) into a work order on its facility, carrying its
    description, position and photo. `priority` defaults to the report's (its category's, raised by urgent
    words); the work is due by the category's fix deadline."""
    from ..workorders.services import create_work_order

    report = get_report(actor, report_id)
    previous = report.status
    if previous not in ("new", "review"):
        raise Conflict(_("Only a new report can become a work order."))
    if report.asset_id is None:
        raise ValidationError(_("This report names no facility; close it with a reply instead."),
                              {"asset": _("required")})
    if not _claim(report, previous, "accepted"):
        raise Conflict(_("Only a new report can become a work order."))
    # Read again after the claim, which waited for any report-photos run holding the row: a photo it replaced
    # is gone from disk once it committed.
    db.session.refresh(report, ["photo_path"])
    now = utcnow()
    category = str(CATEGORIES[report.category])
    due = report.fix_due_at if report.fix_due_at is not None and report.fix_due_at > now else None
    work_order = create_work_order(
        actor, asset_id=report.asset_id, kind="citizen_report",
        title=_("Citizen report %(number)s: %(category)s", number=report.number, category=category),
        description=(report.description or category) + _position_text(report),
        priority=priority or report.priority, due_at=due, source="citizen", citizen_report_id=report.id,
        assignee_user_id=assignee_user_id, assignee_team_id=assignee_team_id,
    )
    if report.photo_path:
        _attach_photo(actor, work_order.id, report)
    record(actor, "citizen_report", report.id, "accept",
           {"status": [previous, "accepted"], "work_order": [report.work_order_id, work_order.id],
            "priority": [report.priority, work_order.priority]})
    report.status, report.work_order_id, report.priority = "accepted", work_order.id, work_order.priority
    report.accepted_at, report.accepted_by_id = now, actor.id
    db.session.flush()
    return report
