"""GET /api/v1/reports/annual: the numbers of an annual report as JSON, read now from the records."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, request
from flask_login import current_user

from ..api import ApiBlueprint
from ..assets.models import Asset
from ..assets.types import N_
from ..calendar.compliance import Counts
from ..calendar.models import CalendarEvent, CalendarItem
from ..db import utcnow
from ..inspections.models import Finding
from ..permissions import roles
from ..workorders.models import WorkOrder
from . import queries
from .scope import Scope, check_visible, parse_scope, parse_year

reports_bp = ApiBlueprint("reports_api", __name__, description=N_("Reports"))


def blueprints():
    return [reports_bp]


def plain(value):
    """Report data as JSON values: records by their id and the few fields a reader needs."""
    if isinstance(value, Counts):
        return value.as_dict()
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Scope):
        return value.key
    if isinstance(value, Asset):
        return {"id": value.id, "name": value.name, "type": value.type,
                "code": value.code.code if value.code else None}
    if isinstance(value, CalendarItem):
        return {"id": value.id, "asset_id": value.asset_id, "kind": value.kind, "due_on": value.due_on.isoformat(),
                "status": value.status, "work_order_id": value.work_order_id}
    if isinstance(value, WorkOrder):
        return {"id": value.id, "number": value.number, "kind": value.kind, "status": value.status,
                "created_at": plain(value.created_at), "completed_at": plain(value.completed_at)}
    if isinstance(value, Finding):
        return {"id": value.id, "asset_id": value.asset_id, "severity": value.severity,
                "found_at": plain(value.found_at), "follow_up_id": value.follow_up_id}
    if isinstance(value, CalendarEvent):
        return {"id": value.id, "kind": value.kind, "start_on": plain(value.start_on), "end_on": plain(value.end_on),
                "note": value.note}
    if isinstance(value, dict):
        return {str(key) if key is not None else "": plain(item) for key, item in value.items() if key != "group"}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


@reports_bp.route("/reports/annual")
@roles("admin", "supervisor", "viewer")
@reports_bp.doc(
    summary=N_("The numbers of an annual inspection report"),
    description=N_("year: a past or the current year. scope: facility:<code or id>, type:<type>, "
                   "area:<area code or id> or district (the default). The same numbers as the PDF."),
    parameters=[{"name": "year", "in": "query", "required": True, "schema": {"type": "integer"}},
                {"name": "scope", "in": "query", "schema": {"type": "string"}}],
)
def annual_report():
    today = utcnow().astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()
    year = parse_year(request.args.get("year"), today)
    scope = parse_scope(request.args.get("scope"))
    check_visible(current_user, scope)
    return plain(queries.annual(current_user, scope, year, utcnow()))
