"""What the notifications API reads and writes. Used only at the API edge."""
from flask_babel import gettext as _
from marshmallow import Schema, fields

from ..api import MAX_ID, ApiSchema, between, id_list
from . import services
from .models import KINDS


class NotificationQuerySchema(ApiSchema):
    limit = fields.Integer(validate=between(1, 100), metadata={"minimum": 1, "maximum": 100,
                                                               "description": "default: the site's page size"})
    before = fields.Integer(validate=between(1, MAX_ID), metadata={"description": "the `next` of the previous page"})


class MarkReadSchema(ApiSchema):
    ids = id_list(allow_none=True,
                  metadata={"description": "the notifications to mark read; absent or null: all of them"})


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": list(KINDS)})
    message = fields.Method("get_message", metadata={"type": "string", "description": "in the reader's language"})
    params = fields.Dict(metadata={"description": "the values the message is made of"})
    link = fields.String(metadata={"description": "a path on this site"})
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)

    def get_message(self, notification):
        return services.message(notification, _)


class NotificationPageSchema(Schema):
    items = fields.List(fields.Nested(NotificationSchema))
    next = fields.Integer(allow_none=True, metadata={"description": "pass as `before` for the next page; "
                                                                    "null on the last page"})
    unread = fields.Integer(metadata={"description": "how many of all your notifications are unread"})


class MarkReadResultSchema(Schema):
    marked = fields.Integer(metadata={"description": "how many were unread and are read now"})
    unread = fields.Integer()
