"""What the citizen report API reads and writes. Used only at the API edge.

Two audiences: staff see a report whole, with its contact details; the public sees only what the
status page shows (services.ReportStatus), never who sent it or where they stood.
"""
from flask import url_for
from marshmallow import Schema, fields

from ..api import MAX_ID, ApiSchema, between, one_of
from .models import CATEGORIES, PUBLIC_STATUSES, STATUSES


# --- input -------------------------------------------------------------------------

class TriageQuerySchema(ApiSchema):
    status = fields.String(validate=one_of(STATUSES), metadata={"enum": list(STATUSES)})
    area = fields.String(metadata={"description": "area code or name; sub-areas are included"})
    limit = fields.Integer(validate=between(1, 200), metadata={"minimum": 1, "maximum": 200,
                                                               "description": "default: the site's page size"})
    after = fields.Integer(validate=between(1, MAX_ID), metadata={"description": "the `next` of the previous page"})


class ReportCloseSchema(ApiSchema):
    reply = fields.String(required=True, metadata={"description": "what the citizen reads on the status page",
                                                   "maxLength": 2000})


class ReportAcceptSchema(ApiSchema):
    priority = fields.String(validate=one_of(("urgent", "high", "normal", "low")), metadata={
        "enum": ["urgent", "high", "normal", "low"], "description": "default: the report's (its category's, "
                                                                     "raised by urgent words)"})
    assignee_user_id = fields.Integer(allow_none=True, validate=between(1, MAX_ID))
    assignee_team_id = fields.Integer(allow_none=True, validate=between(1, MAX_ID))


class PublicReportCreateSchema(ApiSchema):
    category = fields.String(required=True, metadata={"enum": list(CATEGORIES)})
    description = fields.String(required=True, metadata={"minLength": 2, "maxLength": 2000})
    code = fields.String(allow_none=True, metadata={"description": "the identity code on the facility's label, "
                                                                  "in any spelling"})
    contact_name = fields.String(allow_none=True, metadata={"description": "seen by staff only"})
    contact_phone = fields.String(allow_none=True, metadata={"description": "seen by staff only"})
    lon = fields.Float(allow_none=True, metadata={"description": "WGS84; with `lat`"})
    lat = fields.Float(allow_none=True, metadata={"description": "WGS84; with `lon`"})


# --- output ------------------------------------------------------------------------

class ReportAssetSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class CitizenReportSchema(Schema):
    id = fields.Integer()
    number = fields.String(metadata={"example": "R-7K3Q9ABC"})
    category = fields.String(metadata={"enum": list(CATEGORIES)})
    description = fields.String()
    asset = fields.Nested(ReportAssetSchema, allow_none=True)
    contact_name = fields.String()
    contact_phone = fields.String()
    lon = fields.Float(allow_none=True)
    lat = fields.Float(allow_none=True)
    photo_url = fields.Method("get_photo_url", metadata={"type": "string", "nullable": True})
    thumb_url = fields.Method("get_thumb_url", metadata={"type": "string", "nullable": True})
    photo_state = fields.String(allow_none=True, metadata={
        "enum": ["pending", "ready", "refused", None],
        "description": "pending: the photo as sent, until it is made upright, smaller and without EXIF (within a "
                       "minute or so); refused: it was damaged and deleted"})
    status = fields.String(metadata={"enum": list(STATUSES)})
    reply = fields.String()
    work_order_id = fields.Integer(allow_none=True)
    priority = fields.String(metadata={"enum": ["urgent", "high", "normal", "low"],
                                       "description": "the category's, raised by urgent words; set at acceptance"})
    response_due_at = fields.DateTime(allow_none=True, metadata={"description": "the category's response deadline"})
    fix_due_at = fields.DateTime(allow_none=True, metadata={"description": "the category's fix deadline"})
    satisfaction = fields.String(allow_none=True, metadata={"enum": ["satisfied", "unsatisfied", None]})
    merged_into_id = fields.Integer(allow_none=True, metadata={"description": "the report a duplicate was merged into"})
    address = fields.String()
    media_url = fields.String(metadata={"description": "a photo's address given through Open311, never fetched"})
    created_at = fields.DateTime()
    accepted_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)

    def get_photo_url(self, report):
        return url_for("assets.media", name=report.photo_path) if report.photo_path else None

    def get_thumb_url(self, report):
        # The photo as sent until the report-photos job made the thumbnail, as on the report's page.
        name = report.thumb_path or report.photo_path
        return url_for("assets.media", name=name) if name else None


class TriagePageSchema(Schema):
    items = fields.List(fields.Nested(CitizenReportSchema))
    next = fields.Integer(allow_none=True, metadata={"description": "pass as `after` for the next page; "
                                                                    "null on the last page"})


class PublicReportSchema(Schema):
    number = fields.String(metadata={"description": "the tracking number to look the report up with"})
    category = fields.String(metadata={"enum": list(CATEGORIES)})
    category_label = fields.String()
    facility = fields.String(metadata={"description": "the facility's name; empty when none was named"})
    status = fields.String(metadata={"enum": list(PUBLIC_STATUSES), "description": (
        "once a work order was made: its progress (`in_progress`, `done`, or `closed` when it was cancelled)")})
    status_label = fields.String()
    reply = fields.String(metadata={"description": "the reply of the staff who closed it"})
    created_at = fields.DateTime()
    accepted_at = fields.DateTime(allow_none=True)
    done_at = fields.DateTime(allow_none=True, metadata={"description": "when the work was done"})
    closed_at = fields.DateTime(allow_none=True)
