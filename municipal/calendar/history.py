"""A facility's facts: what was done there (its history) and what happened (events), recorded by
supervisors and checked by the engine's own parser, and read back as the engine's input. Flushes, never commits."""
import math
from dataclasses import dataclass
from datetime import date, timezone

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from .. import clock, datebounds
from ..assets import lookup
from ..assets.models import Area, Asset
from ..assets.types import derived as derived_values
from ..audit.services import record
from ..auth.scope import Scope, require_supervisor
from ..errors import NotFound, ValidationError
from ..db import as_id, utcnow
from ..extensions import db
from .models import CalendarEvent, CalendarItem, CalendarState, FacilityHistory
from .engine.inputs import ATTRIBUTES, PERSON_ROLES, PreviewError, parse_request
from .settings import (table,
                       zone)


# --- a facility's facts, as the engine reads them ----------------------------------------


@dataclass
class Facts:
    history: list
    events: list


def _history_dicts(rows) -> list[dict]:
    entries = []
    for row in rows:
        entry = {"kind": row.kind, "done_on": row.done_on.isoformat()}
        for name in ("result", "finding_class", "quick_rating", "grade"):
            if getattr(row, name) is not None:
                entry[name] = getattr(row, name)
        if row.report_date is not None:
            entry["report_date"] = row.report_date.isoformat()
        entries.append(entry)
    return entries


def _event_dict(event: CalendarEvent) -> dict:
    if event.start_at is not None:  # a timed event: the SLA runs from its moment
        moment = event.start_at.astimezone(zone()).isoformat()
        return {"kind": event.kind, "start": moment, "end": moment, **event.measurements}
    return {"kind": event.kind, "start": event.start_on.isoformat(), "end": event.end_on.isoformat(),
            **event.measurements}


def facts_for(assets: list[Asset], since: date) -> dict[int, Facts]:
    """History and events of many facilities, in two queries."""
    ids = [asset.id for asset in assets]
    facts = {asset_id: Facts([], []) for asset_id in ids}
    history = db.session.scalars(sa.select(FacilityHistory).where(FacilityHistory.asset_id.in_(ids))
                                 .order_by(FacilityHistory.done_on, FacilityHistory.id))
    for row in history:
        facts[row.asset_id].history.append(row)
    events = list(db.session.scalars(
        sa.select(CalendarEvent).options(joinedload(CalendarEvent.area))
        .where(CalendarEvent.end_on >= since, CalendarEvent.withdrawn_at.is_(None))))
    for asset in assets:
        path = asset.area.path if asset.area else None
        facts[asset.id].events = [e for e in events if e.asset_id == asset.id or (
            e.area is not None and path is not None and path.startswith(e.area.path))]
    return facts


def engine_request(asset: Asset, facts: Facts, start: date, end: date, as_of: date) -> dict:
    """The preview request for a stored facility: the engine's own input shape."""
    return {
        "profile": current_app.config.get("CALENDAR_PROFILE", "fujian"),
        "as_of": as_of.isoformat(), "from": start.isoformat(), "to": end.isoformat(),
        "asset": {"type": asset.type, "attributes": _engine_attributes(asset)},
        "history": _history_dicts(facts.history), "events": [_event_dict(e) for e in facts.events],
    }


def _engine_attributes(asset: Asset) -> dict:
    """The facility's attributes that the rules read, under the engine's names."""
    known = ATTRIBUTES.get(asset.type, {})
    attributes = {name: value for name, value in (asset.attributes or {}).items()
                  if name in known and value not in (None, "")}
    if "chiefs" in known:
        chiefs = derived_values(asset.type, asset.attributes or {}, asset.persons).get("chiefs", [])
        # Road chiefs have no river-chief day: the rules refuse the flag on them.
        attributes["chiefs"] = chiefs if asset.type == "river_segment" else [{"level": c["level"]} for c in chiefs]
    if "responsible_persons" in known:
        attributes["responsible_persons"] = {
            p.role: {"name": p.name, "unit": p.unit or "", "position": p.position or "", "phone": p.phone or ""}
            for p in asset.persons if p.role in PERSON_ROLES}
    return attributes


def forget(asset_ids: list[int]) -> None:
    """The facilities' facts changed: their calendars are read again on the next run."""
    db.session.execute(sa.delete(CalendarState).where(CalendarState.asset_id.in_(asset_ids)))


# --- recording facts ---------------------------------------------------------------------


def dates_out_of_range(days: dict, *, past: bool = False) -> dict:
    """{field: message} for the given dates (date, aware date-time or None) outside the accepted range."""
    problems = {}
    for name, value in days.items():
        if isinstance(value, date):
            try:
                datebounds.check(value, clock.today(), past=past, zone=zone())
            except datebounds.OutOfRange as problem:
                problems[name] = _(problem.template, **problem.params)
    return problems


def asset_for_supervisor(actor, asset_id) -> Asset:
    asset = lookup.find_asset(asset_id)
    require_supervisor(actor, asset)
    return asset


def _parse_facts(asset: Asset | None, history: list | None = None, events: list | None = None):
    """The recorded facts as the engine's own parser reads them, so they are exactly what the rules can use;
    ValidationError names each field it refuses. Read with the facility's own attributes (a bridge's rules
    need its regime); an event for an area is read as a reservoir's."""
    day = date(2000, 1, 1).isoformat()
    subject = ({"type": asset.type, "attributes": _engine_attributes(asset)} if asset is not None
               else {"type": "reservoir", "attributes": {}})
    probe = {"from": day, "to": day, "asset": subject,
             "history": history or [], "events": events or []}
    try:
        return parse_request(probe, table(), zone())
    except PreviewError as error:
        fields = {name.split(".", 2)[-1]: message for name, message in error.fields.items()
                  if name.startswith(("history", "events"))}
        raise ValidationError(_("Some fields are not valid."), fields or error.fields) from None


def record_history(actor, asset_id, *, kind: str, done_on: str, result=None, report_date=None,
                   finding_class=None, quick_rating=None, grade=None, note: str = "") -> FacilityHistory:
    """Record something done at a facility (an appraisal and its result, an inspection done outside the
    platform); the facility's calendar follows from it at once."""
    asset = asset_for_supervisor(actor, asset_id)
    entry = {"kind": kind, "done_on": done_on}
    optional = {"result": result, "report_date": report_date, "finding_class": finding_class,
                "quick_rating": quick_rating, "grade": grade}
    entry.update({name: value for name, value in optional.items() if value not in (None, "")})
    if entry.get("finding_class") is not None and str(entry["finding_class"]).isdigit():
        entry["finding_class"] = int(entry["finding_class"])
    _parse_facts(asset, history=[entry])
    # What was done and reported lies in the past; the parser has made sure these are dates.
    problems = dates_out_of_range({"done_on": date.fromisoformat(done_on),
                                    "report_date": date.fromisoformat(report_date) if report_date else None},
                                   past=True)
    if problems:
        raise ValidationError(_("Some fields are not valid."), problems)
    row = FacilityHistory(asset_id=asset.id, kind=kind, done_on=date.fromisoformat(done_on),
                          result=entry.get("result"), report_date=date.fromisoformat(report_date) if report_date else None,
                          finding_class=entry.get("finding_class"), quick_rating=entry.get("quick_rating"),
                          grade=entry.get("grade"), note=(note or "").strip()[:500], recorded_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    record(actor, "asset", asset.id, "history", {"kind": [None, kind], "done_on": [None, done_on],
                                                  "result": [None, entry.get("result")]})
    forget([asset.id])
    return row


def record_event(actor, *, kind: str, start: str, end: str | None = None, area: str | None = None,
                 asset_id=None, note: str = "", **measurements) -> CalendarEvent:
    """Record what happened, for an area (and everything in it) or one facility."""
    scope = require_supervisor(actor)
    errors = {}
    target_area = target_asset = None
    if asset_id not in (None, ""):
        try:
            target_asset = lookup.find_asset(asset_id)
        except lookup.NO_FACILITY:
            raise ValidationError(_("The event was not recorded."), {"asset": _("no such facility")}) from None
        require_supervisor(actor, target_asset)
    elif area:
        target_area = db.session.scalar(sa.select(Area).where(Area.code == area)) or (
            db.session.get(Area, as_id(area)) if as_id(area) else None)
        if target_area is None:
            errors["area"] = _("unknown area")
        else:
            scope.require(target_area)
    else:
        errors["area"] = _("give an area or a facility")
    measurements = {name: value for name, value in measurements.items() if value not in (None, "")}
    for name, value in list(measurements.items()):
        try:
            measurements[name] = float(value)
        except (TypeError, ValueError):
            errors[name] = _("must be a number")
            continue
        if not math.isfinite(measurements[name]):
            errors[name] = _("must be a number")
        elif name.startswith("rain") and measurements[name] < 0:
            errors[name] = _("must not be negative")
    if errors:
        raise ValidationError(_("The event was not recorded."), errors)
    event = {"kind": kind, "start": start, **({"end": end} if end else {}), **measurements}
    parsed = _parse_facts(target_asset, events=[event]).events[0]
    problems = dates_out_of_range({"start": parsed.start_at or parsed.start, "end": parsed.end})
    if problems:
        raise ValidationError(_("The event was not recorded."), problems)
    row = CalendarEvent(kind=kind, area_id=target_area.id if target_area else None,
                        asset_id=target_asset.id if target_asset else None, start_on=parsed.start, end_on=parsed.end,
                        start_at=parsed.start_at.astimezone(timezone.utc) if parsed.start_at else None,
                        measurements=measurements, note=(note or "").strip()[:500], recorded_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    record(actor, "calendar_event", row.id, "create", {"kind": [None, kind], "start": [None, start],
                                                        "area": [None, target_area.code if target_area else None]})
    return row


def record_found_event(actor, asset: Asset, *, kind: str, day: date, measurements: dict, basis: list,
                       source: str) -> CalendarEvent | None:
    """Record an event the platform found (from a gauge's readings): one per facility, kind and day, so
    readings sent again, or an event withdrawn once, record nothing. None when it was already recorded.
    `actor` is whoever sent what it was found in, not its author: anyone who may send readings."""
    key = f"{source}:{asset.id}:{kind}:{day.isoformat()}"
    if db.session.scalar(sa.select(CalendarEvent.id).where(CalendarEvent.natural_key == key)) is not None:
        return None
    _parse_facts(asset, events=[{"kind": kind, "start": day.isoformat(), **measurements}])
    row = CalendarEvent(kind=kind, asset_id=asset.id, start_on=day, end_on=day, measurements=measurements,
                        source=source, basis=basis, natural_key=key,
                        recorded_by_id=getattr(actor, "id", None))
    db.session.add(row)
    db.session.flush()
    record(actor, "calendar_event", row.id, "create", {"kind": [None, kind], "start": [None, day.isoformat()],
                                                        "source": [None, source], **{
                                                            name: [None, value] for name, value in measurements.items()}})
    return row


def withdraw_event(actor, event_id) -> CalendarEvent:
    """A supervisor takes back a wrong event: the rules stop reading it, so the work it set off and not yet
    started goes at the next reading of the facilities' calendars (the caller's materialise)."""
    event = db.session.get(CalendarEvent, as_id(event_id) or 0)
    if event is None:
        raise NotFound(_("There is no such event."))
    if event.asset is not None:
        require_supervisor(actor, event.asset)
    else:
        require_supervisor(actor).require(event.area)
    if event.withdrawn_at is None:
        event.withdrawn_at, event.withdrawn_by_id = utcnow(), actor.id
        db.session.flush()
        record(actor, "calendar_event", event.id, "withdraw", {"withdrawn_at": [None, event.withdrawn_at]})
        forget(affected_assets(event))
    return event


def affected_assets(event: CalendarEvent) -> list[int]:
    """The facilities an event concerns: the one named, or every facility in its area and below."""
    if event.asset_id is not None:
        return [event.asset_id]
    area = event.area
    query = (sa.select(Asset.id).join(Area, Area.id == Asset.area_id)
             .where(Area.path.startswith(area.path), Asset.type.in_(current_app.config["CALENDAR_TYPES"])))
    return list(db.session.scalars(query))


def history_of(asset_id: int, limit: int = 50) -> list[FacilityHistory]:
    return list(db.session.scalars(sa.select(FacilityHistory).where(FacilityHistory.asset_id == asset_id)
                                   .order_by(FacilityHistory.done_on.desc(), FacilityHistory.id.desc()).limit(limit)))


def items_of(asset_id: int, limit: int = 50) -> list[CalendarItem]:
    return list(db.session.scalars(sa.select(CalendarItem).where(CalendarItem.asset_id == asset_id)
                                   .options(joinedload(CalendarItem.work_order))
                                   .order_by(CalendarItem.due_on.desc(), CalendarItem.id.desc()).limit(limit)))


def events_of(asset: Asset, limit: int = 20) -> list[CalendarEvent]:
    path = asset.area.path if asset.area else "-"
    query = (sa.select(CalendarEvent).outerjoin(Area, Area.id == CalendarEvent.area_id)
             .where(sa.or_(CalendarEvent.asset_id == asset.id, sa.literal(path).startswith(Area.path)))
             .order_by(CalendarEvent.start_on.desc(), CalendarEvent.id.desc()).limit(limit))
    return list(db.session.scalars(query))


def events_seen(actor, asset_id=None, limit: int = 200) -> list[CalendarEvent]:
    """The latest events the actor may see, withdrawn ones too: those of one facility (its own and its
    areas') when `asset_id` is given."""
    query = sa.select(CalendarEvent).where(Scope.of(actor).clause(CalendarEvent))
    if asset_id is not None:
        asset = lookup.find_asset(asset_id, "asset_id")
        Scope.of(actor).require(asset)
        path = asset.area.path if asset.area else "-"
        query = (query.outerjoin(Area, Area.id == CalendarEvent.area_id)
                 .where(sa.or_(CalendarEvent.asset_id == asset.id, sa.literal(path).startswith(Area.path))))
    query = query.order_by(CalendarEvent.start_on.desc(), CalendarEvent.id.desc()).limit(limit)
    return list(db.session.scalars(query))
