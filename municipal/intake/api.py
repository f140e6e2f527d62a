"""REST API v1 for citizen reports: the supervisors' triage, and the public's report and status lookup.

The two public endpoints are the API twins of the report form and the status page: anonymous, limited
per client like the form, and they never show contact details, positions or staff names.
"""
from flask import current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import clock
from ..api import MAX_ID, ApiBlueprint
from ..assets import lookup
from ..assets.types import TYPES
from ..errors import ValidationError
from ..i18n import N_
from ..permissions import public, roles
from . import device, pin, services
from .models import CATEGORIES
from .schemas import (
    CitizenReportSchema,
    PublicReportCreateSchema,
    PublicReportSchema,
    ReportAcceptSchema,
    ReportCloseSchema,
    TriagePageSchema,
    TriageQuerySchema,
)

REPORT_ID = f"<int(max={MAX_ID}):report_id>"

bp = ApiBlueprint("intake_api", __name__, description=N_("Citizen reports"))


def blueprints():
    return [bp]


# --- triage ------------------------------------------------------------------------

@bp.route("/reports")
@roles("admin", "supervisor")
@bp.doc(summary=N_("Triage: the citizen reports of your areas, newest first"), description=N_(
    "Reports that name no facility are shown to every supervisor. Pass `next` as `after` for the "
    "following page; `next` is null on the last one."))
@bp.arguments(TriageQuerySchema, location="query")
@bp.response(200, TriagePageSchema)
def triage(query):
    filters = services.TriageFilters(status=query.get("status", ""), area=query.get("area", ""))
    size = query.get("limit", current_app.config["PAGE_SIZE"])
    rows, next_after = services.triage_page(current_user, filters, query.get("after"), size)
    return {"items": rows, "next": next_after}


@bp.route(f"/reports/{REPORT_ID}")
@roles("admin", "supervisor")
@bp.doc(summary=N_("Read a citizen report, with its contact details"))
@bp.response(200, CitizenReportSchema)
def get_report(report_id):
    return services.get_report(current_user, report_id)


@bp.route(f"/reports/{REPORT_ID}/close", methods=["POST"])
@roles("admin", "supervisor")
@bp.doc(summary=N_("Close a citizen report with a reply"),
        description=N_("The citizen reads the reply on the status page. A closed report is a 409."))
@bp.arguments(ReportCloseSchema)
@bp.response(200, CitizenReportSchema)
def close_report(data, report_id):
    report = services.close_report(current_user, report_id, data["reply"])
    return report


@bp.route(f"/reports/{REPORT_ID}/accept", methods=["POST"])
@roles("admin", "supervisor")
@bp.doc(summary=N_("Accept a citizen report: make a work order on its facility"),
        description=N_("Only a new report (or one sent back for review) that names a facility; "
                       "`work_order_id` names the work order made. The body may set its priority and assignee."))
@bp.arguments(ReportAcceptSchema, required=False)
@bp.response(200, CitizenReportSchema)
def accept_report(data, report_id):
    return services.accept_report(current_user, report_id, priority=data.get("priority"),
                                  assignee_user_id=data.get("assignee_user_id"),
                                  assignee_team_id=data.get("assignee_team_id"))


# --- the public --------------------------------------------------------------------

@bp.route("/public/reports", methods=["POST"])
@public
@bp.doc(security=[], summary=N_("Report a problem (no account needed)"), description=N_(
    "Give the identity code on the facility's label if there is one. The answer carries the tracking "
    "number. A client may send only a few reports an hour, counted per address, per device (the "
    "`report_device` cookie the answer sets, the report form's) and per facility; more are a 429."))
@bp.arguments(PublicReportCreateSchema)
@bp.response(201, PublicReportSchema)
def submit_report(data):
    report = services.submit_report(
        category=data["category"], description=data["description"], asset_id=_asset_id(data.get("code")),
        contact_name=data.get("contact_name") or "", contact_phone=data.get("contact_phone") or "",
        lon=data.get("lon"), lat=data.get("lat"),
        fingerprint=services.client_fingerprint(request.remote_addr or ""),
        device=services.device_key(device.current()),
    )
    return services.report_status(report.number)


def _asset_id(code: str | None) -> int | None:
    """The facility of a label's code; a code not yet bound names none, and the report goes to triage as is."""
    if not (code or "").strip():
        return None
    try:
        return lookup.find_asset(code, "code", ids=False).id
    except lookup.CodeNotBound:
        return None
    except lookup.NO_FACILITY as error:
        raise ValidationError(_("The report could not be sent; please check the marked fields."),
                              {"code": error.message}) from None


_NEARBY_ANSWER = {"type": "object", "required": ["facilities", "duplicates"], "properties": {
    "facilities": {"type": "array", "items": {"type": "object", "properties": {
        "id": {"type": "integer"}, "code": {"type": "string", "nullable": True}, "name": {"type": "string"},
        "type": {"type": "string"}, "type_label": {"type": "string"}, "lon": {"type": "number"},
        "lat": {"type": "number"}, "distance_m": {"type": "number"}}}},
    "duplicates": {"type": "array", "items": {"type": "object", "properties": {
        "number": {"type": "string"}, "category": {"type": "string"}, "category_label": {"type": "string"},
        "facility": {"type": "string"}, "status": {"type": "string"}, "status_label": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"}, "distance_m": {"type": "number"},
        "status_url": {"type": "string"}}}}}}


@bp.route("/public/reports/nearby")
@public
@bp.doc(security=[], summary=N_("What is near a pin: facilities to report on, and reports already there"),
        description=N_(
            "lon and lat in WGS-84. facilities: those within 50 m, nearest first, to tie a report to, with where "
            "they are found (a line at its middle vertex). duplicates: "
            "with a category, the open reports of that category within 30 m from the last 7 days, which the "
            "citizen may follow or add to instead of sending the same report again. A position that is not "
            "numbers on the globe is a 422 naming lon or lat."),
        parameters=[{"name": "lon", "in": "query", "required": True, "schema": {"type": "number"}},
                    {"name": "lat", "in": "query", "required": True, "schema": {"type": "number"}},
                    {"name": "category", "in": "query", "schema": {"type": "string", "enum": list(CATEGORIES)}}],
        responses={"200": {"description": N_("What is near"),
                           "content": {"application/json": {"schema": _NEARBY_ANSWER}}}})
def nearby():
    lon, lat = pin.position(request.args.get("lon"), request.args.get("lat"))
    category = request.args.get("category", "")
    if category and category not in CATEGORIES:
        raise ValidationError(_("Unknown category."), {"category": _("invalid")})
    return {
        "facilities": [{"id": f.id, "code": f.code, "name": f.name, "type": f.type,
                        "type_label": _(TYPES[f.type].label) if f.type in TYPES else f.type,
                        "lon": f.lon, "lat": f.lat, "distance_m": f.distance_m}
                       for f in pin.facilities_near(lon, lat)],
        "duplicates": [{"number": d.status.number, "category": d.status.category,
                        "category_label": d.status.category_label, "facility": d.status.facility,
                        "status": d.status.status, "status_label": d.status.status_label,
                        "created_at": d.status.created_at.isoformat(), "distance_m": d.distance_m,
                        "status_url": url_for("intake.status", number=d.status.number)}
                       for d in (pin.likely_duplicates(lon, lat, category, clock.now()) if category else [])],
    }


@bp.route("/public/reports/<number>")
@public
@bp.doc(security=[], summary=N_("Follow a citizen report by its tracking number (no account needed)"),
        description=N_("Any case, with or without the hyphen. Never shows contact details."))
@bp.response(200, PublicReportSchema)
def report_status(number):
    return services.report_status(number)
