"""What the work order API reads and writes. Used only at the API edge.

The schemas check the shape of a request; what a value means (a known facility, an assignee that
exists, a move the state machine allows) is checked by the services, as for the HTML pages.
"""
from datetime import datetime, timezone

from flask import url_for
from marshmallow import Schema, fields

from ..api import MAX_ID, ApiSchema, ChangeSchema, between, id_list, one_of
from ..assets.types import TYPES
from ..audit.schemas import AuditEntrySchema
from ..paging import Cursor
from . import states

# --- input -------------------------------------------------------------------------

class BoardFilterSchema(ApiSchema):
    """The board's filters: what a page lists, the summary counts and a bulk change's `all_matching` selects."""
    status = fields.String(load_default="open", validate=one_of(["open", *states.STATUSES]),
                           metadata={"enum": ["open", *states.STATUSES], "description": "`open`: every open status"})
    kind = fields.String(validate=one_of(states.FIELD_KINDS), metadata={
        "enum": list(states.FIELD_KINDS), "description": "office tasks are never on the board: `GET /office-tasks`"})
    priority = fields.String(validate=one_of(states.PRIORITIES), metadata={"enum": list(states.PRIORITIES)})
    source = fields.String(validate=one_of(states.SOURCES), metadata={"enum": list(states.SOURCES)})
    area = fields.String(metadata={"description": "area code or id; sub-areas are included"})
    team = fields.Integer(validate=between(1, MAX_ID), metadata={"description": "assigned to this team"})
    asset = fields.Integer(validate=between(1, MAX_ID), metadata={"description": "at this facility (its id)"})
    asset_type = fields.String(validate=one_of(TYPES), metadata={"enum": list(TYPES),
                                                                 "description": "at facilities of this type"})


class BoardQuerySchema(BoardFilterSchema):
    limit = fields.Integer(validate=between(1, 200), metadata={"minimum": 1, "maximum": 200,
                                                               "description": "default: the site's page size"})
    after = Cursor((datetime, int), metadata={"description": "the `next` of the previous page"})


class AssigneeSchema(ApiSchema):
    assignee_user = fields.Integer(allow_none=True, validate=between(1, MAX_ID),
                                   metadata={"description": "a user id; or give `assignee_team`, not both"})
    assignee_team = fields.Integer(allow_none=True, validate=between(1, MAX_ID), metadata={"description": "a team id"})


class WorkOrderCreateSchema(AssigneeSchema):
    asset = fields.Raw(required=True, metadata={"description": "the facility's id, or its identity code in any "
                                                               "spelling"})
    kind = fields.String(required=True, metadata={"enum": list(states.KINDS)})
    title = fields.String(required=True, metadata={"maxLength": 200})
    description = fields.String()
    priority = fields.String(metadata={"enum": list(states.PRIORITIES), "description": "default: normal"})
    due_at = fields.AwareDateTime(default_timezone=timezone.utc, allow_none=True,
                                  metadata={"description": "default: from the priority's service level"})
    due_on = fields.Date(allow_none=True, metadata={"description": "due by the end of this working day, local time; "
                                                                   "instead of `due_at`"})
    checklist_template = fields.String(allow_none=True, metadata={
        "description": "a checklist template's id, `none` for no checklist; default: the facility type's own"})


class WorkOrderUpdateSchema(ChangeSchema):
    version = fields.Integer(required=True, metadata={"description": "the version you read; a stale one is a 409"})
    title = fields.String(metadata={"maxLength": 200})
    description = fields.String()
    priority = fields.String(metadata={"enum": list(states.PRIORITIES)})
    due_at = fields.AwareDateTime(default_timezone=timezone.utc, allow_none=True)


class WorkOrderActionSchema(AssigneeSchema):
    version = fields.Integer(required=True, metadata={"description": "the version you read; a stale one is a 409"})
    reason = fields.String(metadata={"description": "required to hold, send back and cancel"})
    time_spent_min = fields.Integer(allow_none=True, metadata={"description": "on complete"})
    # Raw, so that the service names the field in one message whether the value is no number or negative.
    cost_yuan = fields.Raw(allow_none=True, metadata={"type": "string", "example": "1250.00",
                                                      "description": "on complete: what the work cost, in yuan"})


class CommentCreateSchema(ApiSchema):
    body = fields.String(required=True, metadata={"maxLength": 4000})


class BulkAssignSchema(AssigneeSchema):
    ids = id_list(metadata={"description": "work order ids; all are changed or none. Or give `all_matching`"})
    all_matching = fields.Nested(BoardFilterSchema, metadata={
        "description": "instead of `ids`: every work order these board filters select, on every page"})
    preview = fields.Boolean(load_default=False, metadata={
        "description": "true: change nothing, answer how many would change (every check made): the confirmation"})
    priority = fields.String(allow_none=True, validate=one_of(states.PRIORITIES),
                             metadata={"enum": list(states.PRIORITIES), "description": "set this priority"})
    due_at = fields.AwareDateTime(default_timezone=timezone.utc, allow_none=True,
                                  metadata={"description": "set this due time"})
    due_on = fields.Date(allow_none=True, metadata={"description": "due by the end of this working day, local time; "
                                                                   "instead of `due_at`"})


# --- output ------------------------------------------------------------------------

class WorkOrderAssetSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class WorkOrderUserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()


class WorkOrderTeamSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class WorkOrderChecklistSchema(Schema):
    id = fields.Integer()
    key = fields.String()
    version = fields.Integer()
    asset_type = fields.String(metadata={"description": "`*`: every type"})
    name_zh = fields.String()
    name_en = fields.String()


class WorkOrderSchema(Schema):
    id = fields.Integer()
    number = fields.String(metadata={"example": "WO-000042"})
    kind = fields.String(metadata={"enum": list(states.KINDS)})
    title = fields.String()
    description = fields.String()
    priority = fields.String(metadata={"enum": list(states.PRIORITIES)})
    status = fields.String(metadata={"enum": list(states.STATUSES)})
    source = fields.String(metadata={"enum": list(states.SOURCES)})
    asset = fields.Nested(WorkOrderAssetSchema)
    assignee_user = fields.Nested(WorkOrderUserSchema, allow_none=True)
    assignee_team = fields.Nested(WorkOrderTeamSchema, allow_none=True)
    checklist_template = fields.Nested(WorkOrderChecklistSchema, allow_none=True, metadata={
        "description": "the checklist to fill in to complete it (its items: `GET /checklists`); null: none"})
    due_at = fields.DateTime()
    reason = fields.String(metadata={"description": "of the last hold, send-back or cancellation"})
    time_spent_min = fields.Integer(allow_none=True)
    cost_yuan = fields.Decimal(allow_none=True, as_string=True, metadata={"example": "1250.00"})
    citizen_report_id = fields.Integer(allow_none=True)
    parent_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    version = fields.Integer()


class BoardPageSchema(Schema):
    items = fields.List(fields.Nested(WorkOrderSchema))
    next = fields.String(allow_none=True, metadata={"description": "pass as `after` for the next page; "
                                                                   "null on the last page"})


class MyWorkSchema(Schema):
    overdue = fields.List(fields.Nested(WorkOrderSchema))
    today = fields.List(fields.Nested(WorkOrderSchema), metadata={"description": "due by the end of today, local time"})
    upcoming = fields.List(fields.Nested(WorkOrderSchema), metadata={"description": "due in the next seven days"})
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "how many there are in each part; each list holds the ten most urgent"})


class CommentSchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    author = fields.Nested(WorkOrderUserSchema, allow_none=True)
    body = fields.String()


class WorkOrderDetailSchema(WorkOrderSchema):
    """Dumps {"order", "comments", "history", "actions"} as one object: the work order and what goes with it."""

    comments = fields.List(fields.Nested(CommentSchema))
    history = fields.List(fields.Nested(AuditEntrySchema), metadata={"description": "the audit trail, newest first"})
    actions = fields.List(fields.String(), metadata={"description": "the moves you may make now"})

    def get_attribute(self, obj, attr, default):
        if attr in ("comments", "history", "actions"):
            return obj[attr]
        return super().get_attribute(obj["order"], attr, default)


class BulkAssignResultSchema(Schema):
    count = fields.Integer()
    preview = fields.Boolean(metadata={"description": "present and true when nothing was changed"})


class BoardSummarySchema(Schema):
    total = fields.Integer(metadata={"description": "how many work orders the filters select"})
    overdue = fields.Integer(metadata={"description": "of those, how many are open and past due"})
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "per status, with the other filters kept"})


class AttachmentSchema(Schema):
    id = fields.Integer()
    filename = fields.String()
    content_type = fields.String(metadata={"enum": ["image/jpeg", "application/pdf"]})
    size_bytes = fields.Integer()
    uploaded_at = fields.DateTime()
    uploaded_by = fields.Nested(WorkOrderUserSchema, allow_none=True)
    url = fields.Function(lambda attachment: url_for("assets.media", name=attachment.path))
    thumbnail_url = fields.Function(
        lambda attachment: url_for("assets.media", name=attachment.thumb_path) if attachment.thumb_path else None,
        metadata={"type": "string", "nullable": True, "description": "photos only"})


class AttachmentListSchema(Schema):
    items = fields.List(fields.Nested(AttachmentSchema))
