"""REST API of readings: a batch posted by a gauge or a person, and a facility's series for charts."""
from flask import g, request
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, fields

from ..api import ApiBlueprint, ApiSchema
from ..assets import lookup
from ..auth import tokens
from ..errors import PermissionDenied, ValidationError
from ..i18n import N_
from ..permissions import roles, signed_in
from . import rules, series, services

bp = ApiBlueprint("readings_api", __name__, description=N_("Water levels and rainfall"))


def blueprints():
    return [bp]


_READING = {"type": "object", "required": ["kind", "value", "observed_at"], "properties": {
    "kind": {"type": "string", "enum": list(rules.KINDS)},
    "value": {"type": "number", "description": "metres (water level, the facility's datum) or mm (rainfall)"},
    "observed_at": {"type": "string", "format": "date-time",
                    "description": "ISO 8601; without an offset, the district's local time"},
    "period_minutes": {"type": "integer", "minimum": 1, "maximum": rules.MAX_PERIOD_MINUTES,
                       "description": "rainfall only: the minutes it fell over, ending at observed_at (default 60)"},
}}
_REQUEST = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["readings"],
    "properties": {"readings": {"type": "array", "minItems": 1, "maxItems": 10_000, "items": _READING}}}}}}


class AcceptedSchema(Schema):
    accepted = fields.Integer(metadata={"description": "readings in the batch, all accepted"})
    stored = fields.Integer(metadata={"description": "of them new: a batch sent again stores nothing"})


class SeriesQuerySchema(ApiSchema):
    kind = fields.String(load_default="water_level", metadata={"enum": list(rules.KINDS)})
    # Text, read by the series module, so that a bad one is named like any other field.
    from_ = fields.String(data_key="from", metadata={"description": "date or date-time; default: 7 days before to"})
    to = fields.String(metadata={"description": "date or date-time; default: now"})
    every = fields.String(metadata={"description": "bucket: raw, 5m, 1h, 1d, 7d…; default: raw up to 7 days, "
                                                   "hours up to 92, days beyond"})


class SeriesSchema(Schema):
    kind = fields.String()
    unit = fields.String()
    every = fields.Integer(allow_none=True, metadata={"description": "bucket seconds; null: raw readings"})
    # Raw: sent as the series module made them (thousands of points), described here for the reader.
    points = fields.Raw(metadata={"type": "array", "items": {"type": "array", "items": {"type": "number"}},
                                  "description": "[t, min, avg, max]: t the bucket's start in Unix seconds"})
    sums = fields.Raw(metadata={"type": "array", "items": {"type": "number"},
                                "description": "rainfall: each bucket's total (mm)"})


@bp.route("/assets/<int:asset_id>/readings", methods=["POST"])
@roles("admin", "supervisor", "crew", token_scope=tokens.DEVICE_SCOPE)
@bp.doc(summary=N_("Send water-level and rainfall readings"), requestBody=_REQUEST, description=N_(
    "All or nothing: a refused reading is named by its index and field (422). A reading sent again is "
    "accepted and stored once; another value at a stored moment is a conflict (409). Gauges use a token "
    "with the readings:write scope, limited to their facilities. Events the readings show (high water, a "
    "rainstorm, a rapid change of level) are recorded, and their work made."))
@bp.response(201, AcceptedSchema)
def post_readings(asset_id):
    asset = lookup.visible_asset(current_user, asset_id)
    token = getattr(g, "api_token", None)
    if not tokens.may_report_for(token, asset.id):
        raise PermissionDenied(_("This token does not report for this facility."))
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or set(body) != {"readings"}:
        raise ValidationError(_("No reading was stored."), {"readings": _("send {\"readings\": [...]}")})
    stored = services.add(current_user, asset, body["readings"], "device" if token is not None else "manual")
    return {"accepted": len(body["readings"]), "stored": stored}


@bp.route("/assets/<int:asset_id>/readings")
@signed_in
@bp.doc(summary=N_("A facility's readings over time"), description=N_(
    "Downsampled on the server to buckets of `every`, each with its minimum, mean and maximum; raw readings "
    "when `every` is left out and the range is at most 7 days."))
@bp.arguments(SeriesQuerySchema, location="query")
@bp.response(200, SeriesSchema)
def get_readings(query, asset_id):
    asset = lookup.visible_asset(current_user, asset_id)
    services.check_asset(asset)
    every = series.parse_every(query.get("every"))
    since, to = series.parse_range(query.get("from_"), query.get("to"))
    return series.series(asset.id, query["kind"], since, to, every)
