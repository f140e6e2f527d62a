"""What the inspections API writes. Used only at the API edge."""
from flask import url_for
from marshmallow import Schema, fields


class WorkOrderRefSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    status = fields.String()


class FindingSchema(Schema):
    id = fields.Integer()
    item_key = fields.String()
    severity = fields.String(metadata={"enum": ["low", "medium", "high", "critical"]})
    value = fields.String()
    reason = fields.String(metadata={"description": "fail, below, above or choice"})
    found_at = fields.DateTime()
    follow_up = fields.Nested(WorkOrderRefSchema, allow_none=True,
                              metadata={"description": "the rectification work order it opened, if any"})


class PhotoSchema(Schema):
    item_key = fields.String(allow_none=True)
    url = fields.Function(lambda photo: url_for("assets.media", name=photo.path))
    thumbnail_url = fields.Function(lambda photo: url_for("assets.media", name=photo.thumb_path))
    width = fields.Integer()
    height = fields.Integer()
    taken_at = fields.DateTime(allow_none=True)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)


class InspectionSchema(Schema):
    id = fields.Integer()
    idempotency_key = fields.String()
    work_order = fields.Nested(WorkOrderRefSchema)
    asset_id = fields.Integer()
    template_id = fields.Integer(allow_none=True)
    inspector_id = fields.Integer(allow_none=True)
    submitted_at = fields.DateTime()
    answers = fields.Dict()
    notes = fields.String()
    time_spent_min = fields.Integer(allow_none=True)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    accuracy_m = fields.Float(allow_none=True)
    distance_m = fields.Float(allow_none=True)
    start_latitude = fields.Float(allow_none=True)
    start_longitude = fields.Float(allow_none=True)
    start_accuracy_m = fields.Float(allow_none=True)
    start_distance_m = fields.Float(allow_none=True)
    far_from_facility = fields.Boolean(allow_none=True)
    item_notes = fields.Dict(allow_none=True)
    findings = fields.List(fields.Nested(FindingSchema))
    photos = fields.List(fields.Nested(PhotoSchema))


class InspectionListSchema(Schema):
    items = fields.List(fields.Nested(InspectionSchema))


class ChecklistSchema(Schema):
    id = fields.Integer()
    key = fields.String()
    version = fields.Integer()
    asset_type = fields.String()
    kind = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    source = fields.String()
    items = fields.List(fields.Dict(), metadata={"description": "typed items: pass_fail, number (unit, min, max), "
                                                                "choice (choices), note, photo"})


class ChecklistListSchema(Schema):
    items = fields.List(fields.Nested(ChecklistSchema))


class StagedPhotoSchema(Schema):
    key = fields.String(metadata={"description": "the photo's client id, to name in the record"})
    width = fields.Integer()
    height = fields.Integer()
