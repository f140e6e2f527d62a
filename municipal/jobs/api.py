"""REST API v1: the scheduler's recorded runs, for administrators."""
from flask import current_app
from marshmallow import Schema, fields

from ..api import ApiBlueprint, ApiSchema, between
from ..i18n import N_
from ..permissions import roles
from . import runner, services

bp = ApiBlueprint("jobs_api", __name__, description=N_("Scheduled jobs"))


def blueprints():
    return [bp]


class RunQuerySchema(ApiSchema):
    page = fields.Integer(validate=between(1, 99_999), metadata={"minimum": 1, "description": "default: 1"})
    limit = fields.Integer(validate=between(1, 100), metadata={"minimum": 1, "maximum": 100,
                                                               "description": "default: the site's page size"})


class RunSchema(Schema):
    id = fields.Integer()
    job = fields.String()
    period = fields.String(metadata={"description": "a local date (daily jobs) or a UTC slot like 2026-11-26T02:15Z"})
    status = fields.String(metadata={"enum": ["running", "ok", "failed"]})
    attempt = fields.Integer(metadata={"description": "raised each time a failed or abandoned period is run again"})
    started_at = fields.DateTime(attribute="claimed_at")
    finished_at = fields.DateTime(allow_none=True)
    count = fields.Integer(allow_none=True, metadata={"description": "what a successful run counted"})
    summary = fields.Method("get_summary", metadata={"type": "string", "description": "in the reader's language"})
    error = fields.String(allow_none=True, metadata={"description": "the end of the traceback of a failed run"})

    def get_summary(self, run):
        return runner.outcome(run)


class RunPageSchema(Schema):
    items = fields.List(fields.Nested(RunSchema))
    page = fields.Integer()
    total = fields.Integer()


@bp.route("/jobs/runs")
@roles("admin")
@bp.doc(summary=N_("The scheduler's runs, latest first"),
        description=N_("Each job's run for one period and how it ended: ok with what it counted, failed with "
                       "the error, or still running."))
@bp.arguments(RunQuerySchema, location="query")
@bp.response(200, RunPageSchema)
def list_runs(query):
    page = query.get("page", 1)
    rows, total = services.list_runs(page, query.get("limit", current_app.config["PAGE_SIZE"]))
    return {"items": rows, "page": page, "total": total}
