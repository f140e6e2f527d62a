"""REST API v1 for work orders: the board, the crew's own work, one work order, and its moves.

Who may see and move what is decided by the services, as for the HTML pages: a work order the caller
may not see (a crew reaching for another team's work) is a 403; one that does not exist, a 404.
"""
from zoneinfo import ZoneInfo

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user

from ..api import MAX_ID, ApiBlueprint
from ..assets import lookup
from ..assets.models import find_area
from ..audit.reading import entries_for, entries_page
from ..audit.schemas import AuditPageSchema, AuditQuerySchema
from ..db import utcnow
from ..errors import ValidationError
from ..i18n import N_
from .. import paging
from ..permissions import roles, signed_in
from . import access, bulk, lists, notes, services, states
from .schemas import (
    AttachmentListSchema,
    AttachmentSchema,
    BoardFilterSchema,
    BoardSummarySchema,
    BoardPageSchema,
    BoardQuerySchema,
    BulkAssignResultSchema,
    BulkAssignSchema,
    CommentCreateSchema,
    CommentSchema,
    MyWorkSchema,
    WorkOrderActionSchema,
    WorkOrderCreateSchema,
    WorkOrderDetailSchema,
    WorkOrderUpdateSchema,
)

ORDER_ID = f"<int(max={MAX_ID}):order_id>"

bp = ApiBlueprint("workorders_api", __name__, description=N_("Work orders"))


def blueprints():
    return [bp]


@bp.route("/work-orders")
@signed_in
@bp.doc(summary=N_("The board: open work, overdue first"), description=N_(
    "The filters of the board page. A crew sees only work assigned to it or its teams; a supervisor only "
    "the work of their areas. Pass `next` as `after` for the following page; `next` is null on the last one."))
@bp.arguments(BoardQuerySchema, location="query")
@bp.response(200, BoardPageSchema)
def board(query):
    filters = _board_filters(query)
    size = query.get("limit", current_app.config["PAGE_SIZE"])
    rows, next_after = lists.board_page(current_user, filters, query.get("after"), size)
    return {"items": rows, "next": paging.encode(next_after)}


def _board_filters(query: dict) -> lists.BoardFilters:
    return lists.BoardFilters(
        status=query.get("status", "open"), kind=query.get("kind", ""), priority=query.get("priority", ""),
        source=query.get("source", ""), team=str(query.get("team", "")), area=_area_code(query.get("area")),
        asset=str(query.get("asset", "")), asset_type=query.get("asset_type", ""),
    )


@bp.route("/work-orders/summary")
@signed_in
@bp.doc(summary=N_("The board's counts: how many work orders the filters select, overdue, and per status"))
@bp.arguments(BoardFilterSchema, location="query")
@bp.response(200, BoardSummarySchema)
def board_summary(query):
    return lists.board_summary(current_user, _board_filters(query), utcnow())


def _area_code(ref: str | None) -> str:
    if not ref:
        return ""
    area = find_area(ref)
    if area is None:
        message = _("unknown area %(area)s", area=ref)
        raise ValidationError(message, {"area": message})
    return area.code


@bp.route("/work-orders/mine")
@signed_in
@bp.doc(summary=N_("My work: overdue, due today and in the coming week"),
        description=N_("Open work assigned to you or to one of your teams; today ends at midnight, local time."))
@bp.response(200, MyWorkSchema)
def mine():
    return lists.my_work(current_user, utcnow(), ZoneInfo(current_app.config["TIMEZONE"]))


@bp.route(f"/work-orders/{ORDER_ID}")
@signed_in
@bp.doc(summary=N_("Read a work order with its comments and change log"))
@bp.response(200, WorkOrderDetailSchema)
def get_work_order(order_id):
    return _detail(access.get_work_order(current_user, order_id))


def _detail(order) -> dict:
    actions = [a.name for a in states.available(order.status) if access.may_act(current_user, order, a)]
    return {"order": order, "comments": order.comments, "history": entries_for("work_order", order.id),
            "actions": actions}


@bp.route(f"/work-orders/{ORDER_ID}/audit")
@signed_in
@bp.doc(summary=N_("A work order's audit trail, beyond the latest entries of its `history`"),
        description=N_("Pass `next` as `before` for older entries; `next` is null on the last page."))
@bp.arguments(AuditQuerySchema, location="query")
@bp.response(200, AuditPageSchema)
def work_order_audit(query, order_id):
    order = access.get_work_order(current_user, order_id)
    items, older = entries_page("work_order", order.id, query.get("before"), query["limit"])
    return {"items": items, "next": older}


@bp.route("/work-orders", methods=["POST"])
@roles("admin", "supervisor")
@bp.doc(summary=N_("Create a work order"), description=N_(
    "For a facility in your areas. With an assignee it starts assigned and the assignee is notified."))
@bp.arguments(WorkOrderCreateSchema)
@bp.response(201, WorkOrderDetailSchema)
def create_work_order(data):
    due_at = _due(data, _("The work order was not created."))
    order = services.create_work_order(
        current_user, asset_id=_asset_id(data["asset"]), kind=data["kind"], title=data["title"],
        description=data.get("description", ""), priority=data.get("priority", "normal"), due_at=due_at,
        assignee_user_id=data.get("assignee_user"), assignee_team_id=data.get("assignee_team"),
        checklist_template_id=data.get("checklist_template"),
    )
    return _detail(order)


@bp.route(f"/work-orders/{ORDER_ID}", methods=["PATCH"])
@roles("admin", "supervisor")
@bp.doc(summary=N_("Change an open work order"), description=N_(
    "Send the fields to change and the `version` you read; a stale version is a 409 with the current state."))
@bp.arguments(WorkOrderUpdateSchema)
@bp.response(200, WorkOrderDetailSchema)
def update_work_order(data, order_id):
    order = access.get_work_order(current_user, order_id)
    order = services.update_work_order(
        current_user, order_id, version=data["version"], title=data.get("title", order.title),
        description=data.get("description", order.description), priority=data.get("priority", order.priority),
        due_at=data.get("due_at"),
    )
    return _detail(order)


def _due(data: dict, failure: str):
    """`due_at` as given, or the end of the working day of `due_on`; not both."""
    if data.get("due_at") and data.get("due_on"):
        raise ValidationError(failure, {"due_on": _("give a due date or a due time, not both")})
    if data.get("due_on"):
        return services.due_on_day(data["due_on"], ZoneInfo(current_app.config["TIMEZONE"]))
    return data.get("due_at")


def _asset_id(ref) -> int | None:
    """The facility an id or an identity code names."""
    if isinstance(ref, (int, str)) and not isinstance(ref, bool):
        try:
            return lookup.find_asset(ref).id
        except lookup.NO_FACILITY:
            pass
    raise ValidationError(_("The work order was not created."), {"asset": _("no such facility")})


@bp.route(f"/work-orders/{ORDER_ID}/actions/<action>", methods=["POST"])
@signed_in
@bp.doc(summary=N_("Move a work order: assign, start, hold, resume, complete, accept, send_back or cancel"),
        description=N_(
            "Send the `version` you read. Supervisors assign, accept, send back and cancel; the assignee starts, "
            "holds, resumes and completes. A stale version or a move the status does not allow is a 409 with "
            "the current state in `error.current`."))
@bp.arguments(WorkOrderActionSchema)
@bp.response(200, WorkOrderDetailSchema)
def act(data, order_id, action):
    order = services.act(
        current_user, order_id, action, version=data["version"], reason=data.get("reason", ""),
        time_spent_min=data.get("time_spent_min"), cost_yuan=data.get("cost_yuan"),
        assignee_user_id=data.get("assignee_user"),
        assignee_team_id=data.get("assignee_team"),
    )
    return _detail(order)


@bp.route(f"/work-orders/{ORDER_ID}/comments", methods=["POST"])
@signed_in
@bp.doc(summary=N_("Comment on a work order"), description=N_("Anyone who may see the work order, except viewers."))
@bp.arguments(CommentCreateSchema)
@bp.response(201, CommentSchema)
def comment(data, order_id):
    return notes.add_comment(current_user, order_id, data["body"])


@bp.route("/work-orders/bulk-assign", methods=["POST"])
@roles("admin", "supervisor")
@bp.doc(summary=N_("Assign many work orders at once, set their priority or due date"),
        description=N_("Give an assignee, a priority, a due date, or any of them together, for the `ids` given or "
                       "for `all_matching` board filters. All or nothing: if one of the work orders cannot be "
                       "changed, none is. With `preview` nothing changes: the answer is how many would, for the "
                       "user to confirm."))
@bp.arguments(BulkAssignSchema)
@bp.response(200, BulkAssignResultSchema)
def bulk_assign(data):
    due_at = _due(data, _("The selected work orders were not changed."))
    selection = (bulk.Selection(filters=_board_filters(data["all_matching"])) if "all_matching" in data
                 else bulk.Selection(ids=data.get("ids", [])))
    change = bulk.Change(assignee_user_id=data.get("assignee_user"), assignee_team_id=data.get("assignee_team"),
                         priority=data.get("priority"), due_at=due_at)
    if data["preview"]:
        return {"count": bulk.preview(current_user, selection, change), "preview": True}
    return {"count": bulk.apply(current_user, selection, change)}


@bp.route(f"/work-orders/{ORDER_ID}/attachments")
@signed_in
@bp.doc(summary=N_("A work order's attachments"))
@bp.response(200, AttachmentListSchema)
def list_attachments(order_id):
    return {"items": access.get_work_order(current_user, order_id).attachments}


@bp.route(f"/work-orders/{ORDER_ID}/attachments", methods=["POST"])
@roles("admin", "supervisor", "crew")
@bp.doc(summary=N_("Attach a photo or a PDF to a work order"),
        description=N_("As multipart form data, the file in `file`. A photo is made upright and smaller, with a "
                       "thumbnail; anything but a photo or a PDF, or a file too large, is a 422 naming `file`."),
        requestBody={"content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary"}}}}}})
@bp.response(201, AttachmentSchema)
def attach(order_id):
    upload = request.files.get("file")
    return notes.add_attachment(current_user, order_id, upload, upload.filename if upload else "")
