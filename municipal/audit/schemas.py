"""What the API writes of the audit trail. Used only at the API edge."""
from marshmallow import Schema, fields

from ..api import MAX_ID, ApiSchema, between


class AuditQuerySchema(ApiSchema):
    before = fields.Integer(validate=between(1, MAX_ID), metadata={"description": "the `next` of the previous page"})
    limit = fields.Integer(load_default=50, validate=between(1, 200), metadata={"minimum": 1, "maximum": 200})


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    actor = fields.String(attribute="actor_name", metadata={"description": "the name at the time; empty for the "
                                                                           "system"})
    action = fields.String()
    changes = fields.Dict(metadata={"description": "{field: [old, new]}"})


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEntrySchema), metadata={"description": "newest first"})
    next = fields.Integer(allow_none=True, metadata={"description": "pass as `before` for older entries; null on "
                                                                    "the last page"})
