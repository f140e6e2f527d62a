"""REST API for what the calendar counts on: events and a facility's history, and a facility's calendar."""
from datetime import timedelta

from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, fields

from ..api import ApiBlueprint, ApiSchema
from ..assets import lookup
from ..db import utcnow
from ..errors import ValidationError
from ..i18n import N_
from ..permissions import roles, signed_in
from . import history, materialise, settings

# The blueprint keeps its name: its endpoint names and the OpenAPI description are public.
bp = ApiBlueprint("calendar_facts_api", __name__, description=N_("Calendar events and history"))


def blueprints():
    return [bp]


class EventCreateSchema(ApiSchema):
    kind = fields.String(required=True, metadata={"description": "an event kind of calendar-preview.md"})
    start = fields.String(required=True, metadata={"description": "a date, or a date-time with offset for a missing "
                                                                  "manhole cover"})
    end = fields.String(metadata={"description": "default: the start"})
    area = fields.String(metadata={"description": "the area's code: every facility in it and below"})
    asset = fields.Integer(metadata={"description": "or one facility"})
    note = fields.String()
    rain_24h_mm = fields.Raw()
    level_m = fields.Raw()
    level_change_24h_m = fields.Raw()


class EventSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    area = fields.Function(lambda e: e.area.code if e.area else None)
    asset_id = fields.Integer(allow_none=True)
    start_on = fields.Date()
    end_on = fields.Date()
    start_at = fields.DateTime(allow_none=True)
    measurements = fields.Dict()
    note = fields.String()
    source = fields.String(metadata={"description": "manual, or reading: found in a gauge's readings"})
    readings = fields.Function(lambda e: e.basis or [], metadata={"description": "the ids of the readings "
                                                                             "behind an event from readings"})
    withdrawn_at = fields.DateTime(allow_none=True)


class EventQuerySchema(ApiSchema):
    asset_id = fields.Integer(metadata={"description": "one facility's events, its areas' included"})


class EventResultSchema(Schema):
    event = fields.Nested(EventSchema)
    facilities = fields.Integer()
    work_orders = fields.Integer(metadata={"description": "work orders made at once"})


class HistoryCreateSchema(ApiSchema):
    kind = fields.String(required=True)
    done_on = fields.String(required=True, metadata={"format": "date"})
    result = fields.String(metadata={"enum": ["一类", "二类", "三类"]})
    report_date = fields.String(metadata={"format": "date"})
    finding_class = fields.Integer()
    quick_rating = fields.String()
    grade = fields.String(metadata={"enum": ["A", "B", "C", "D"]})
    note = fields.String()


class HistorySchema(Schema):
    id = fields.Integer()
    asset_id = fields.Integer()
    kind = fields.String()
    done_on = fields.Date()
    result = fields.String(allow_none=True)
    report_date = fields.Date(allow_none=True)
    finding_class = fields.Integer(allow_none=True)
    quick_rating = fields.String(allow_none=True)
    grade = fields.String(allow_none=True)
    work_order_id = fields.Integer(allow_none=True)
    note = fields.String()


class FacilityCalendarSchema(Schema):
    items = fields.List(fields.Dict(), metadata={"description": "kind, due, status, rule, why"})
    flags = fields.List(fields.String())
    derived = fields.Dict()


class CalendarQuerySchema(ApiSchema):
    days = fields.Integer(load_default=366, metadata={"minimum": 1, "maximum": 3660})


@bp.route("/calendar/events", methods=["POST"])
@roles("admin", "supervisor")
@bp.doc(summary=N_("Record an event"), description=N_(
    "For an area (every facility in it and below) or one facility. The special patrols and other work the "
    "rules ask for are made at once."))
@bp.arguments(EventCreateSchema)
@bp.response(201, EventResultSchema)
def record_event(data):
    event = history.record_event(current_user, kind=data["kind"], start=data["start"], end=data.get("end"),
                                  area=data.get("area"), asset_id=data.get("asset"), note=data.get("note", ""),
                                  rain_24h_mm=data.get("rain_24h_mm"), level_m=data.get("level_m"),
                                  level_change_24h_m=data.get("level_change_24h_m"))
    counts = materialise.apply_event(event, utcnow())
    return {"event": event, "facilities": counts["facilities"], "work_orders": counts["work_orders"]}


@bp.route("/calendar/events")
@signed_in
@bp.doc(summary=N_("List events"), description=N_(
    "The latest events, withdrawn ones included, with where each came from: a person, or the readings "
    "of a gauge."))
@bp.arguments(EventQuerySchema, location="query")
@bp.response(200, EventSchema(many=True))
def list_events(query):
    return history.events_seen(current_user, query.get("asset_id"))


@bp.route("/calendar/events/<int:event_id>/withdraw", methods=["POST"])
@roles("admin", "supervisor")
@bp.doc(summary=N_("Withdraw a wrong event"), description=N_(
    "The rules stop reading it: the work it set off that nobody has started is cancelled. Audited."))
@bp.response(200, EventSchema)
def withdraw_event(event_id):
    event = history.withdraw_event(current_user, event_id)
    materialise.materialise(utcnow(), asset_ids=history.affected_assets(event))
    return event


@bp.route("/assets/<int:asset_id>/history", methods=["POST"])
@roles("admin", "supervisor")
@bp.doc(summary=N_("Record something done at a facility"), description=N_(
    "An appraisal with its result, an inspection done outside the platform. The facility's calendar follows."))
@bp.arguments(HistoryCreateSchema)
@bp.response(201, HistorySchema)
def record_history(data, asset_id):
    entry = history.record_history(current_user, asset_id, **data)
    materialise.materialise(utcnow(), asset_ids=[asset_id])
    return entry


@bp.route("/assets/<int:asset_id>/calendar")
@signed_in
@bp.doc(summary=N_("A facility's calendar: what is due, when, by which rule and why"))
@bp.arguments(CalendarQuerySchema, location="query")
@bp.response(200, FacilityCalendarSchema)
def facility_calendar(query, asset_id):
    if not 1 <= query["days"] <= 3660:
        raise ValidationError(_("Some fields are not valid."), {"days": _("a whole number from 1 to 3660")})
    asset = lookup.visible_asset(current_user, asset_id)
    day = settings.today(utcnow())
    view = materialise.facility_calendar(asset, day, day + timedelta(days=query["days"]), day)
    return {"items": [item.as_json() for item in view["due"]], "flags": view["flags"], "derived": view["derived"]}
