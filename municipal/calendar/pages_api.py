"""REST API v1 for the calendar's items and its compliance numbers: what the calendar pages show.

The same filters, scoping and errors as the pages: a crew sees the items of its own work, a supervisor those
of their areas; a bad filter is a 422 naming the field.
"""
from datetime import date, timedelta

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, fields

from .. import clock, paging
from ..api import ApiBlueprint, between, one_of
from ..i18n import N_
from ..permissions import roles, signed_in
from . import compliance as numbers
from . import queries
from .engine.wording import STANDINGS, kind_msgid, standing

bp = ApiBlueprint("calendar_pages_api", __name__, description=N_("Calendar items and compliance"))

DEFAULT_DAYS_BACK = 14
DEFAULT_DAYS_AHEAD = 42


def blueprints():
    return [bp]



# A day, or empty for the default: the pages' query strings send empty fields, and the API reads them alike.
DAY_OR_EMPTY = r"^(\d{4}-\d{2}-\d{2})?$"


class _FilterSchema(Schema):
    """Filters as text, checked by the same code as the pages' so both answer alike."""
    from_ = fields.String(data_key="from", metadata={"pattern": DAY_OR_EMPTY,
                                                     "description": "first due day, local; empty: the default"})
    to = fields.String(metadata={"pattern": DAY_OR_EMPTY,
                                 "description": "last due day, local; both ends included; empty: the default"})
    area = fields.String(metadata={"description": "area code or id; sub-areas are included"})
    type = fields.String(metadata={"description": "facility type, e.g. reservoir"})
    kind = fields.String(metadata={"description": "kind of item, e.g. routine_patrol"})
    facility = fields.String(metadata={"description": "facility id"})
    team = fields.String(metadata={"description": "items whose work order is assigned to this team"})


class ItemQuerySchema(_FilterSchema):
    status = fields.String(metadata={"enum": list(STANDINGS), "description": "the item's standing today; "
                                                                               "default: all but superseded"})
    limit = fields.Integer(validate=between(1, 200), metadata={"minimum": 1, "maximum": 200})
    after = paging.Cursor((date, int), metadata={"description": "the `next` of the previous page"})


class ComplianceQuerySchema(_FilterSchema):
    group_by = fields.String(load_default="month", validate=one_of(numbers.GROUPS),
                             metadata={"enum": list(numbers.GROUPS)})


class ItemAssetSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    type = fields.String()


class ItemWorkOrderSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    status = fields.String()


class CalendarItemSchema(Schema):
    id = fields.Integer()
    asset = fields.Nested(ItemAssetSchema)
    kind = fields.String()
    kind_label = fields.String()
    rule = fields.String()
    due_on = fields.Date()
    due_at = fields.AwareDateTime()
    why = fields.String()
    standing = fields.Boolean(metadata={"description": "stays overdue until done; else missed once its day passed"})
    status = fields.String(metadata={"enum": ["planned", "done", "missed", "superseded"]})
    state = fields.String(metadata={"enum": list(STANDINGS), "description": "the status read against today"})
    closed_on = fields.Date(allow_none=True)
    work_order = fields.Nested(ItemWorkOrderSchema, allow_none=True)


class ItemPageSchema(Schema):
    items = fields.List(fields.Nested(CalendarItemSchema))
    next = fields.String(allow_none=True)


class CountsSchema(Schema):
    total = fields.Integer()
    on_time = fields.Integer()
    late = fields.Integer()
    missed = fields.Integer()
    overdue = fields.Integer()
    not_yet_due = fields.Integer()
    done = fields.Integer()
    due_so_far = fields.Integer()
    completion_rate = fields.Float(allow_none=True, metadata={"description": "done / due so far; null if none"})
    on_time_rate = fields.Float(allow_none=True)


class GroupSchema(CountsSchema):
    key = fields.Raw(allow_none=True, metadata={"description": "id, type or kind key, or YYYY-MM; null: none"})
    label = fields.String()


class ComplianceSchema(Schema):
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    today = fields.Date()
    group_by = fields.String()
    totals = fields.Nested(CountsSchema)
    groups = fields.List(fields.Nested(GroupSchema))


def _filters(query) -> queries.Filters:
    text = {name: query.get(name, "") for name in ("area", "type", "kind", "facility", "team", "status")}
    return queries.parse_filters(text)


@bp.route("/calendar/items")
@signed_in
@bp.doc(summary=N_("Calendar items due in a period"), description=N_(
    "By due day, then id; by default from two weeks ago to six weeks ahead. A crew sees the items of its own "
    "work, a supervisor those of their areas. Pass `next` as `after` for the following page."))
@bp.arguments(ItemQuerySchema, location="query")
@bp.response(200, ItemPageSchema)
def items(query):
    today = clock.today()
    start, end = queries.parse_period(query.get("from_"), query.get("to"),
                                      (today - timedelta(days=DEFAULT_DAYS_BACK), today + timedelta(days=DEFAULT_DAYS_AHEAD)))
    size = query.get("limit", current_app.config["PAGE_SIZE"])
    rows, next_after = queries.items_page(current_user, _filters(query), start, end, today, query.get("after"), size)
    return {"items": [_item(row, today) for row in rows], "next": paging.encode(next_after)}


def _item(item, today: date) -> dict:
    order = item.work_order
    return {
        "id": item.id, "asset": item.asset, "kind": item.kind, "kind_label": _(kind_msgid(item.kind)),
        "rule": item.rule, "due_on": item.due_on, "due_at": item.due_at, "why": item.why, "standing": item.standing,
        "status": item.status, "state": standing(item.status, item.due_on, item.closed_on, today),
        "closed_on": item.closed_on,
        "work_order": {"id": order.id, "number": order.number, "status": order.status} if order else None,
    }


@bp.route("/calendar/compliance")
@roles("admin", "supervisor", "viewer")
@bp.doc(summary=N_("Compliance numbers for a period"), description=N_(
    "The items due in the period (this year by default) counted as on time, late, missed, overdue or not yet "
    "due, in total and grouped by month, facility, type, area, team or kind; superseded items are not counted. "
    "Work still open from before the period counts as overdue too, as on the work board."))
@bp.arguments(ComplianceQuerySchema, location="query")
@bp.response(200, ComplianceSchema)
def compliance(query):
    today = clock.today()
    start, end = queries.parse_period(query.get("from_"), query.get("to"),
                                      (date(today.year, 1, 1), date(today.year, 12, 31)))
    report = numbers.compliance(current_user, start, end, today, _filters(query), query["group_by"], carry_in=True)
    locale = str(get_locale())
    return {"from_": report.start, "to": report.end, "today": report.today, "group_by": report.group_by,
            "totals": report.totals.as_dict(),
            "groups": [{"key": group.key, "label": numbers.group_label(group, report.group_by, locale), **group.counts.as_dict()}
                       for group in report.groups]}
