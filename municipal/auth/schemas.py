"""What the users and teams API reads and writes. Used only at the API edge.

A password goes in and never comes out; its hash does neither.
"""
from flask import g
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields

from ..api import MAX_ID, ApiSchema, ChangeSchema, between, id_list, one_of
from ..assets.types import TYPES
from .models import ROLES
from .services import EMAIL_MAX_LENGTH
from .tokens import SCOPES

# --- input -------------------------------------------------------------------------

def _texts(description: str, choices=None) -> fields.List:
    # A list's items are not bound to the schema, so they are given its translated message here.
    item = fields.String(error_messages={"invalid": _l("must be text")},
                         metadata={"enum": list(choices)} if choices else {})
    return fields.List(item, metadata={"description": description})


# An address as auth.services checks it, or nothing: an empty one means no email notifications.
EMAIL = {"maxLength": EMAIL_MAX_LENGTH, "pattern": r"^\s*([^@\s]+@[^@\s]+\.[^@\s.]+)?\s*$"}


class MeUpdateSchema(ApiSchema):
    email = fields.String(required=True, allow_none=True, metadata={
        **EMAIL, "description": "where your notifications are sent; empty or null: none"})


class UserQuerySchema(ApiSchema):
    page = fields.Integer(load_default=1, validate=between(1, 100_000), metadata={"minimum": 1})


class UserCreateSchema(ApiSchema):
    username = fields.String(required=True, metadata={"maxLength": 64})
    password = fields.String(required=True, metadata={"minLength": 8, "writeOnly": True})
    role = fields.String(required=True, metadata={"enum": list(ROLES)})
    display_name = fields.String(metadata={"maxLength": 100, "description": "default: the user name"})
    email = fields.String(allow_none=True, metadata={
        **EMAIL, "description": "where notifications are sent; none: no email"})
    areas = _texts("area codes the user answers for; empty: the whole district")
    asset_types = _texts("facility types a supervisor answers for within the areas; empty: all", TYPES)


class UserUpdateSchema(ChangeSchema):
    role = fields.String(metadata={"enum": list(ROLES)})
    display_name = fields.String(metadata={"maxLength": 100})
    email = fields.String(allow_none=True, metadata={**EMAIL,
                                                     "description": "empty or null: no email notifications"})
    active = fields.Boolean(metadata={"description": "false: cannot sign in, and the user's tokens stop working"})
    areas = _texts("replaces the areas; empty: the whole district")
    asset_types = _texts("replaces the facility types; empty: all", TYPES)
    password = fields.String(metadata={"minLength": 8, "writeOnly": True, "description": "a new password"})


class TokenCreateSchema(ApiSchema):
    user = fields.Integer(required=True, validate=between(1, MAX_ID), metadata={
        "description": "the user the token acts as: whatever the token does is done with that user's rights"})
    name = fields.String(required=True, metadata={"maxLength": 100, "description": "what it is for, e.g. the device"})
    days = fields.Integer(allow_none=True, validate=between(1, 3650),
                          metadata={"description": "expires after this many days; none: never"})
    scopes = fields.List(fields.String(validate=one_of(SCOPES)), load_default=["read", "write"], metadata={
        "description": "`read`: GET only; `write`: may also change data (default: both); `readings:write` "
                       "alone: a gauge's token, which may only post readings for its `facilities`"})
    facilities = fields.List(fields.Integer(validate=between(1, MAX_ID)), load_default=None, metadata={
        "description": "the facility ids a readings:write token reports for"})


class TeamCreateSchema(ApiSchema):
    name = fields.String(required=True, metadata={"maxLength": 100})
    area = fields.String(allow_none=True, metadata={"description": "area code; empty: the whole district"})
    asset_types = _texts("facility types the team looks after; empty: all", TYPES)
    members = id_list(metadata={"description": "user ids; replaces the members"})


class TeamUpdateSchema(ChangeSchema, TeamCreateSchema):
    name = fields.String(metadata={"maxLength": 100})
    active = fields.Boolean()


# --- output ------------------------------------------------------------------------

class UserAreaSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()


class UserTeamSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class TeamMemberSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()


class UserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.String(metadata={"enum": list(ROLES)})
    email = fields.String(allow_none=True)
    locale = fields.String(allow_none=True)
    active = fields.Boolean()
    areas = fields.List(fields.Nested(UserAreaSchema), metadata={"description": "empty: the whole district"})
    asset_types = fields.List(fields.String(), attribute="asset_type_list",
                              metadata={"description": "facility types answered for within the areas; empty: all"})
    teams = fields.List(fields.Nested(UserTeamSchema))
    created_at = fields.DateTime()


class MeSchema(UserSchema):
    token_scopes = fields.Method("get_token_scopes", metadata={
        "type": "array", "items": {"type": "string", "enum": list(SCOPES)}, "nullable": True,
        "description": "what the bearer token of this request may do; null when signed in by session"})

    def get_token_scopes(self, user):
        token = getattr(g, "api_token", None)
        return token.scopes.split() if token is not None else None


class UserPageSchema(Schema):
    items = fields.List(fields.Nested(UserSchema))
    total = fields.Integer()
    page = fields.Integer()
    pages = fields.Integer()


class TeamSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    area = fields.Nested(UserAreaSchema, allow_none=True, metadata={"description": "null: the whole district"})
    asset_types = fields.Method("get_asset_types", metadata={"type": "array", "items": {"type": "string"},
                                                             "description": "empty: all"})
    active = fields.Boolean()
    members = fields.List(fields.Nested(TeamMemberSchema))
    created_at = fields.DateTime()

    def get_asset_types(self, team):
        return [t for t in team.asset_types.split(",") if t]


class TeamListSchema(Schema):
    items = fields.List(fields.Nested(TeamSchema))


_SCOPES_DOC = {"type": "array", "items": {"type": "string", "enum": list(SCOPES)}}


class TokenSchema(Schema):
    id = fields.Integer()
    prefix = fields.String(metadata={"description": "the first characters of the token, to recognise it by"})
    name = fields.String()
    user = fields.Nested(TeamMemberSchema)
    scopes = fields.Function(lambda token: token.scopes.split(), metadata=_SCOPES_DOC)
    created_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class TokenCreatedSchema(TokenSchema):
    """Dumps {"api_token", "token"}: the stored token and, once, its value."""

    token = fields.String(metadata={"description": "the token itself, shown only in this answer: send it as "
                                                   "`Authorization: Bearer <token>`"})
    # A function field is given the whole object, not its attribute.
    scopes = fields.Function(lambda created: created["api_token"].scopes.split(), metadata=_SCOPES_DOC)

    def get_attribute(self, obj, attr, default):
        if attr == "token":
            return obj["token"]
        return super().get_attribute(obj["api_token"], attr, default)


class TokenListSchema(Schema):
    items = fields.List(fields.Nested(TokenSchema), metadata={"description": "newest first"})
