"""GET /api/v1/reports/annual: the numbers of an annual report as JSON. One facility's are read now; a wider
scope's come from its latest archived version (404 while there is none); POST queues a new version (202)."""
import json

from flask import request, url_for
from flask_login import current_user

from .. import clock
from ..api import ApiBlueprint
from ..db import utcnow
from ..errors import NotFound
from ..i18n import N_
from ..permissions import roles
from . import queries, render, services
from .scope import check_visible, parse_scope, parse_year

reports_bp = ApiBlueprint("reports_api", __name__, description=N_("Reports"))


def blueprints():
    return [reports_bp]


@reports_bp.route("/reports/annual")
@roles("admin", "supervisor", "viewer")
@reports_bp.doc(
    summary=N_("The numbers of an annual inspection report"),
    description=N_("year: a past or the current year. scope: facility:<code or id>, type:<type>, "
                   "area:<area code or id> or district (the default). The same numbers as the PDF. A facility's "
                   "numbers are read at once; a wider scope's come from its latest report in the archive, with "
                   "`report` naming that version, or 404 when none has been made: POST asks for one."),
    parameters=[{"name": "year", "in": "query", "required": True, "schema": {"type": "integer"}},
                {"name": "scope", "in": "query", "schema": {"type": "string"}}],
    responses={
        "200": {"description": N_("The report's numbers"),
                "content": {"application/json": {"schema": {"type": "object"}}}},
    },
)
def annual_report():
    today = clock.today()
    year = parse_year(request.args.get("year"), today)
    scope = parse_scope(request.args.get("scope"))
    check_visible(current_user, scope)
    if services.is_live(scope):
        return render.as_json(queries.annual(current_user, scope, year, utcnow()))
    row = services.latest_done(scope, year)
    stored = services.stored_companion(row, "json")
    if stored is not None:
        return {**json.loads(stored), "report": {"id": row.id, "version": row.version,
                                                 "cutoff_at": row.cutoff_at.isoformat()}}
    raise NotFound(services.no_report_yet(), {"scope": services.no_report_yet()})


@reports_bp.route("/reports/annual", methods=["POST"])
@roles("admin", "supervisor")
@reports_bp.doc(
    summary=N_("Ask for an annual inspection report"),
    description=N_("year and scope as for GET. Queues a new version for the scheduler and answers 202 with "
                   "the report's id; GET gives its numbers once it is made."),
    parameters=[{"name": "year", "in": "query", "required": True, "schema": {"type": "integer"}},
                {"name": "scope", "in": "query", "schema": {"type": "string"}}],
    responses={
        "202": {"description": N_("The report is queued"), "content": {"application/json": {"schema": {
            "type": "object", "required": ["status", "report", "url"],
            "properties": {"status": {"type": "string", "enum": ["queued"]},
                           "report": {"type": "object", "properties": {"id": {"type": "integer"},
                                                                      "version": {"type": "integer"}}},
                           "url": {"type": "string"}}}}}},
    },
)
def queue_annual_report():
    year = parse_year(request.args.get("year"), clock.today())
    scope = parse_scope(request.args.get("scope"))
    check_visible(current_user, scope)
    queued = services.queue(current_user, scope, year, "zh")
    return {"status": "queued", "report": {"id": queued.id, "version": queued.version},
            "url": url_for("reports.show", report_id=queued.id)}, 202
