"""POST /api/v1/calendar/preview: the rule engine on one asset, as in calendar-preview.md."""
from flask import current_app, request
from flask_babel import gettext as _

from ..api import ApiBlueprint
from ..errors import ValidationError
from ..i18n import N_
from ..permissions import roles
from .engine.core import preview
from .engine.inputs import PreviewError
from .facility_api import FacilityCalendarSchema
from .settings import setting_overrides

calendar_bp = ApiBlueprint("calendar_api", __name__, description=N_("Inspection calendar"))


def blueprints():
    return [calendar_bp]


def run_preview(body) -> dict:
    """The response for a request body; ValidationError names each bad field."""
    try:
        return preview(body, settings=setting_overrides(current_app.config))
    except PreviewError as error:
        raise ValidationError(_("The calendar request is not valid."), error.fields) from error


_REQUEST = {"content": {"application/json": {"schema": {
    "type": "object",
    "required": ["from", "to", "asset"],
    "properties": {
        "profile": {"type": "string", "enum": ["fujian", "national"]},
        "as_of": {"type": "string", "format": "date"},
        "from": {"type": "string", "format": "date"},
        "to": {"type": "string", "format": "date"},
        "kinds": {"type": "array", "items": {"type": "string"}},
        "asset": {"type": "object", "properties": {"type": {"type": "string"}, "attributes": {"type": "object"}}},
        "history": {"type": "array", "items": {"type": "object"}},
        "events": {"type": "array", "items": {"type": "object"}},
        "seasons": {"type": "object"},
    },
}}}}


@calendar_bp.route("/calendar/preview", methods=["POST"])
@roles("admin", "supervisor", reads_only=True)
@calendar_bp.doc(
    summary=N_("Preview the inspections due for one facility"),
    description=N_("Facts about one facility, what was done and what happened in; the due items, the "
                   "facility's flags and derived classes out, each item with the rule behind it and why. "
                   "Nothing is stored."),
    requestBody=_REQUEST,
)
# Documented only: the engine's answer is sent as it is, the same as the facility calendar's.
@calendar_bp.alt_response(200, schema=FacilityCalendarSchema, success=True,
                          description=N_("The due items, flags and derived classes"))
def preview_calendar():
    body = request.get_json(silent=True)
    if body is None:
        raise ValidationError(_("The request body is not valid JSON."), {"body": "expected a JSON object"})
    return run_preview(body)
