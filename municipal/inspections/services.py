"""Submitting a work order's checklist from the field, and reading the records back. Flushes, never commits.

A submission is judged whole before anything is written: every answer, every photo, the position.
Its client id (`Idempotency-Key`) is the first row written, under a unique constraint, so a repeat —
sent again by a phone on a bad line, or twice at once — finds the first record and creates nothing.
"""
import uuid
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from .. import media, paging
from ..audit.services import record
from ..calendar import lifecycle as calendar
from ..errors import Conflict, PermissionDenied, ValidationError
from ..extensions import db
from ..notify.services import notify, supervisors_for_area
from ..readings import daily as daily_readings
from ..workorders import access as workorders_access
from ..workorders import amounts as workorders_amounts
from ..workorders import checklist_rules, states
from ..workorders import services as work
from ..workorders.models import WorkOrder
from .distance import distance_to_geometry
from .models import Finding, Inspection, InspectionPhoto

# A finding's severity sets the priority, and so the deadline, of the work that rectifies it.
FOLLOW_UP_PRIORITY = {"critical": "urgent", "high": "high", "medium": "normal", "low": "low"}
GENERAL = ""  # the photo key of photos of the whole visit, not of one item


@dataclass
class Submission:
    """What the phone sent, as plain values: answers and photo streams keyed by item."""
    key: str
    answers: dict = field(default_factory=dict)
    photos: dict = field(default_factory=dict)  # item key (GENERAL for the visit) -> list of file streams
    needs_repair: set = field(default_factory=set)
    notes: str = ""
    time_spent_min: object = None
    cost_yuan: object = None  # the work order's, recorded as it completes
    latitude: object = None
    longitude: object = None
    accuracy_m: object = None
    # Where the phone was when the record was started (the form opened): with the above, proof of presence.
    start_latitude: object = None
    start_longitude: object = None
    start_accuracy_m: object = None
    item_notes: dict = field(default_factory=dict)  # item key -> the note written under its problem
    readings: dict = field(default_factory=dict)  # reading.<name> fields of a daily water report
    # Photos the record names by their client ids (sent ahead, uploads.py) that never arrived: field -> ids.
    missing_photos: dict = field(default_factory=dict)
    staged_keys: list = field(default_factory=list)  # the client ids of the photos it took


def find_submission(key: str) -> Inspection | None:
    return db.session.scalar(sa.select(Inspection).where(Inspection.idempotency_key == key))


def _client_key(key) -> str:
    try:
        return str(uuid.UUID(str(key)))
    except ValueError:
        raise ValidationError(_("The submission has no valid client id."),
                              {"idempotency_key": _("must be a UUID")}) from None


def items_for(order: WorkOrder) -> list[checklist_rules.Item]:
    template = order.checklist_template
    return checklist_rules.items_of(template.items) if template is not None else []


def _position(latitude, longitude, accuracy_m, errors: dict,
              name: str = "position") -> tuple[float, float, float | None] | None:
    if latitude in (None, "") and longitude in (None, ""):
        return None
    try:
        lat, lon = float(latitude), float(longitude)
        accuracy = None if accuracy_m in (None, "") else float(accuracy_m)
    except (TypeError, ValueError):
        errors[name] = _("latitude and longitude must be numbers")
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (accuracy is not None and not 0 <= accuracy < 100_000):
        errors[name] = _("not a position on Earth")
        return None
    return lat, lon, accuracy


def _item_notes(data: Submission, items: dict, found: set, errors: dict) -> dict:
    """The notes of the items with a problem; a note left under an item answered OK is not the record's."""
    notes = {}
    for key, text in data.item_notes.items():
        text = (text or "").strip()
        if key not in items:
            errors[f"note.{key}"] = _("no such checklist item")
        elif len(text) > 1000:
            errors[f"note.{key}"] = _("at most %(n)s characters", n=1000)
        elif text and key in found:
            notes[key] = text
    return notes


def _distance(position: tuple, geometry: dict | None) -> float | None:
    distance = distance_to_geometry(position[1], position[0], geometry)
    return None if distance is None else round(distance, 1)


def _images(data: Submission, items: dict, errors: dict) -> list[tuple[str, object, dict]]:
    """Every uploaded photo decoded and checked, before anything is stored, with when and where it was taken
    where the phone said so (a photo sent ahead, uploads.py)."""
    images = []
    count = sum(len(streams) for streams in data.photos.values())
    if count > current_app.config["INSPECTION_MAX_PHOTOS"]:
        errors["photos"] = _("at most %(n)s photos", n=current_app.config["INSPECTION_MAX_PHOTOS"])
        return images
    for key, streams in data.photos.items():
        if key != GENERAL and key not in items:
            errors[f"photo.{key}"] = _("no such checklist item")
            continue
        for stream in streams:
            try:
                images.append((key, media.load_image(stream, field=f"photo.{key}" if key else "photos"),
                               getattr(stream, "facts", {})))
            except ValidationError as error:
                errors.update(error.fields)
    return images


def submit(actor, order_id, data: Submission) -> tuple[Inspection, bool]:
    """Record the checklist and complete the work order. Returns (record, created).

    A repeat of a key already stored returns that record with created False. Failed items become
    findings; those that call for it open a rectification work order linked to the finding.
    """
    key = _client_key(data.key)
    existing = find_submission(key)
    if existing is not None:
        if existing.work_order_id != int(order_id) or existing.inspector_id != actor.id:
            raise Conflict(_("This client id was already used for another submission."), {"idempotency_key": _("used")})
        return existing, False

    order = workorders_access.get_work_order(actor, order_id)
    if not workorders_access.may_act(actor, order, states.ACTIONS["complete"]):
        raise PermissionDenied(_("Only the assignee may submit this work."))
    if order.status not in ("assigned", "in_progress"):
        raise Conflict(_("A work order that is %(status)s cannot be submitted.", status=_(states.STATUSES[order.status])),
                       {"status": _("not possible now")}, current=work.snapshot(order))

    items = items_for(order)
    by_key = {item.key: item for item in items}
    errors: dict = {}
    unknown = set(data.needs_repair) - set(by_key)
    if unknown:
        errors["needs_repair"] = _("no such checklist item")
    images = _images(data, by_key, errors)
    for name in data.missing_photos:
        errors.setdefault(name, _("a photo sent ahead has not arrived; the phone sends it again"))
    # Counted as sent: a photo that is refused has its own error, not a second one for being missing.
    photo_counts = {photo_key: len(streams) for photo_key, streams in data.photos.items()}
    judgement = checklist_rules.judge(items, data.answers, photo_counts, set(data.needs_repair))
    for item_key, (message, params) in judgement.errors.items():
        errors.setdefault(f"item.{item_key}", _(message, **params))
    notes = (data.notes or "").strip()
    if len(notes) > 4000:
        errors["notes"] = _("at most %(n)s characters", n=4000)
    item_notes = _item_notes(data, by_key, {f.item_key for f in judgement.findings}, errors)
    position = _position(data.latitude, data.longitude, data.accuracy_m, errors)
    start = _position(data.start_latitude, data.start_longitude, data.start_accuracy_m, errors, "start_position")
    try:
        minutes = workorders_amounts.minutes(data.time_spent_min)
    except ValidationError as error:
        errors.update(error.fields)
    try:
        cost = workorders_amounts.yuan(data.cost_yuan)
    except ValidationError as error:
        errors.update(error.fields)
    readings = daily_readings.clean(order, data.readings, errors)
    if errors:
        raise ValidationError(_("The inspection was not submitted; please correct the marked items."), errors)

    inspection = Inspection(
        idempotency_key=key, work_order_id=order.id, asset_id=order.asset_id, template_id=order.checklist_template_id,
        inspector_id=actor.id, answers=judgement.values, notes=notes, time_spent_min=minutes,
        item_notes=item_notes or None,
    )
    limit = current_app.config["INSPECTION_MAX_DISTANCE_M"]
    if start is not None:
        inspection.start_latitude, inspection.start_longitude, inspection.start_accuracy_m = start
        inspection.start_distance_m = _distance(start, order.asset.geometry)
    if position is not None:
        inspection.latitude, inspection.longitude, inspection.accuracy_m = position
        inspection.distance_m = _distance(position, order.asset.geometry)
    # Far at either end of the visit: a record started on site and sent from the road is not flagged.
    distances = [d for d in (inspection.start_distance_m, inspection.distance_m) if d is not None]
    if distances:
        inspection.far_from_facility = min(distances) > limit
    db.session.add(inspection)
    # The claim on the client id: a twin submitted at the same moment fails here, before any other write.
    db.session.flush()

    for photo_key, image, facts in images:
        path, thumb_path, (width, height) = media.store_image(image, f"inspections/{order.asset_id}")
        db.session.add(InspectionPhoto(inspection_id=inspection.id, item_key=photo_key or None, path=path,
                                       thumb_path=thumb_path, width=width, height=height, **facts))
    if order.status == "assigned":
        work.act(actor, order.id, "start", version=order.version)
    work.act(actor, order.id, "complete", version=order.version, time_spent_min=minutes, cost_yuan=cost,
             checklist_done=True)
    calendar.completion_of_order(order)
    daily_readings.store(actor, order, readings)
    findings = [_record_finding(actor, order, inspection, by_key[f.item_key], f) for f in judgement.findings]
    db.session.flush()
    record(actor, "inspection", inspection.id, "submit", {
        "work_order": [None, order.number], "findings": [None, len(findings)], "photos": [None, len(images)],
        "distance_m": [None, inspection.distance_m], "start_distance_m": [None, inspection.start_distance_m],
    })
    return inspection, True


def _record_finding(actor, order: WorkOrder, inspection: Inspection, item: checklist_rules.Item,
                    found: checklist_rules.Finding) -> Finding:
    finding = Finding(inspection=inspection, asset_id=order.asset_id, item_key=item.key, severity=found.severity,
                      value=found.value[:200], reason=found.reason, found_at=inspection.submitted_at)
    db.session.add(finding)
    db.session.flush()
    if found.follow_up:
        finding.follow_up_id = _open_follow_up(actor, order, item, finding).id
    return finding


def _open_follow_up(actor, order: WorkOrder, item: checklist_rules.Item, finding: Finding) -> WorkOrder:
    # Written in the district's language: the supervisors who plan the repair read it there.
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        locale = current_app.config["BABEL_DEFAULT_LOCALE"]
        label = item.label.get(locale) or item.label["zh"]
        section = item.section.get(locale, "") if item.section else ""
        title = _("Rectify: %(item)s", item=label)[:200]
        description = _("Found by %(number)s on %(date)s: %(where)s%(item)s — %(value)s",
                        number=order.number, date=finding.found_at.strftime("%Y-%m-%d"),
                        where=f"{section} · " if section else "", item=label,
                        value=_answer_text(item, finding.value, locale))
        note = (finding.inspection.item_notes or {}).get(item.key)
        if note:
            description = f"{description}\n{note}"
    follow_up = work.create_work_order(
        actor, asset_id=order.asset_id, kind="rectification", title=title, description=description,
        priority=FOLLOW_UP_PRIORITY[finding.severity], source="finding", parent_id=order.id,
    )
    area_id = order.asset.area_id
    if area_id is not None:
        notify(supervisors_for_area(area_id, order.asset.type), "finding", {"number": follow_up.number, "title": title},
               f"/work/{follow_up.id}", dedupe_key=f"finding:{finding.id}")
    return follow_up


def finding_status(finding: Finding) -> str:
    """open, rectifying (its work order is under way) or rectified (that work order was verified)."""
    if finding.follow_up is None:
        return "open"
    if finding.follow_up.status == "verified":
        return "rectified"
    return "open" if finding.follow_up.status == "cancelled" else "rectifying"


def _answer_text(item: checklist_rules.Item, value: str, locale: str) -> str:
    """What was found, as a reader says it: a failed check as a problem, a choice by its name."""
    if item.type == "pass_fail":
        return _("Problem")
    choice = item.choice(value) if item.type == "choice" else None
    return choice.get(locale, choice["zh"]) if choice else value


def describe_finding(finding: Finding, locale: str) -> tuple[str, str]:
    """The item's label and the value found, in the reader's language (a choice by its name)."""
    template = finding.inspection.template if finding.inspection is not None else None
    item = next((i for i in checklist_rules.items_of(template.items) if i.key == finding.item_key), None) \
        if template is not None else None
    if item is None:
        return finding.item_key, finding.value
    return item.label.get(locale, item.label["zh"]), _answer_text(item, finding.value, locale)


FINDING_STATUSES = {"open": checklist_rules.N_("Open"), "rectifying": checklist_rules.N_("Being rectified"),
                    "rectified": checklist_rules.N_("Rectified")}


def inspections_of_order(order_id: int) -> list[Inspection]:
    return list(db.session.scalars(
        sa.select(Inspection).where(Inspection.work_order_id == order_id)
        .options(selectinload(Inspection.photos), selectinload(Inspection.findings).joinedload(Finding.follow_up),
                 joinedload(Inspection.inspector), joinedload(Inspection.template))
        .order_by(Inspection.id)))


def history_page(asset_id: int, before_id: int | None, size: int = 20) -> tuple[list[WorkOrder], int | None]:
    """A facility's work, newest first (by id, which grows with time); keyset by id."""
    query = (sa.select(WorkOrder).where(WorkOrder.asset_id == asset_id)
             .options(joinedload(WorkOrder.assignee_user), joinedload(WorkOrder.assignee_team)))
    return paging.page(query, (WorkOrder.id,), before_id, size, descending=True)


def findings_of_asset(asset_id: int, limit: int = 50) -> list[Finding]:
    return list(db.session.scalars(
        sa.select(Finding).where(Finding.asset_id == asset_id)
        .options(joinedload(Finding.follow_up), joinedload(Finding.inspection).joinedload(Inspection.template))
        .order_by(Finding.found_at.desc(), Finding.id.desc()).limit(limit)))
