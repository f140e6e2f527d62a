"""GET /api/v1/office-tasks: the office's obligations (办公事项), apart from the crews' board."""
from datetime import datetime

from flask import current_app
from flask_login import current_user
from marshmallow import Schema, fields

from .. import paging
from ..api import ApiBlueprint, ApiSchema, between, one_of
from ..db import utcnow
from ..i18n import N_
from ..permissions import roles
from ..workorders import states
from . import office
from .office_views import label

bp = ApiBlueprint("office_api", __name__, description=N_("Office tasks"))


def blueprints():
    return [bp]


class OfficeQuerySchema(ApiSchema):
    state = fields.String(load_default="open", validate=one_of(office.STATES), metadata={
        "enum": list(office.STATES), "description": "`open`: overdue and due, the most urgent first; `done`: "
                                                    "completed or closed, the latest first"})
    limit = fields.Integer(validate=between(1, 200), metadata={"minimum": 1, "maximum": 200})
    after = paging.Cursor((datetime, int), metadata={"description": "the `next` of the previous page"})


class _Facility(Schema):
    id = fields.Integer()
    name = fields.String()


class OfficeTaskSchema(Schema):
    id = fields.Integer()
    number = fields.String(metadata={"example": "WO-000042"})
    kind = fields.String(allow_none=True, metadata={"description": "the calendar kind, e.g. "
                                                                   "`dam_break_loss_assessment`; null: made by hand"})
    kind_label = fields.String(metadata={"description": "what the task is, in the reader's language"})
    title = fields.String()
    facility = fields.Nested(_Facility)
    status = fields.String(metadata={"enum": list(states.STATUSES)})
    due_at = fields.DateTime()
    overdue = fields.Boolean()
    assignee = fields.String(allow_none=True)


class OfficePageSchema(Schema):
    items = fields.List(fields.Nested(OfficeTaskSchema))
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(),
                         metadata={"description": "how many are overdue, due and done"})
    next = fields.String(allow_none=True, metadata={"description": "pass as `after` for the next page"})


@bp.route("/office-tasks")
@roles("admin", "supervisor")
@bp.doc(summary=N_("Office tasks: appraisals, registrations, reviews, orders, plans"), description=N_(
    "The calendar's desk work, never on the crews' board or My work: due, overdue and done, each with its kind."))
@bp.arguments(OfficeQuerySchema, location="query")
@bp.response(200, OfficePageSchema)
def office_tasks(query):
    now = utcnow()
    rows, next_after = office.page(current_user, query["state"], now, query.get("after"),
                                   query.get("limit", current_app.config["PAGE_SIZE"]))
    return {"items": [_task(row, now) for row in rows], "counts": office.counts(current_user, now),
            "next": paging.encode(next_after)}


def _task(row: dict, now: datetime) -> dict:
    order = row["order"]
    person, team = order.assignee_user, order.assignee_team
    return {"id": order.id, "number": order.number, "kind": row["kind"], "kind_label": label(row),
            "title": order.title, "facility": order.asset, "status": order.status, "due_at": order.due_at,
            "overdue": order.status in states.OPEN and order.due_at < now,
            "assignee": (person.display_name or person.username) if person else (team.name if team else None)}
