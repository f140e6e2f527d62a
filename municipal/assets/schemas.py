"""What the REST API reads and writes. Used only at the API edge.

Input schemas check the shape of a request (which fields, which JSON types); the rules
of the registry (known types, attribute units, dates that exist, geometry inside the
district) stay in services.clean_asset, so the API and the HTML forms give the same answers.
"""
import re

from flask import current_app
from flask_babel import gettext as _
from marshmallow import Schema, fields
from marshmallow import ValidationError as FieldError

from ..api import MAX_ID, ApiSchema, ChangeSchema
from ..api import between as _between
from ..api import one_of as _one_of
# Ids in query filters reach SQL as 32-bit parameters on PostgreSQL: a larger one is refused here by name,
# not by the database as a 500.
from .types import AREA_LEVELS, CODE_STATUSES, PREFIXES, STATUSES, TYPES, derived, format_chainage


def _scan_url(code: str) -> str:
    return f"{current_app.config['PUBLIC_URL'].rstrip('/')}/A/{code}"


# --- input -------------------------------------------------------------------------

def _path(value: str) -> None:
    # An area's place in the tree, "/1/4/17/": the only thing an area page's `next` ever is.
    if not re.fullmatch(r"/(?:[0-9]{1,10}/){0,20}", value):
        raise FieldError(_("is not the `next` of a page"))


class PersonInSchema(ApiSchema):
    role = fields.String(required=True, metadata={"description": "the type's roles (see GET /types) or manager"})
    level = fields.String(allow_none=True, metadata={"description": "for chiefs: the level, see GET /types"})
    name = fields.String(required=True)
    unit = fields.String(allow_none=True)
    position = fields.String(allow_none=True)
    phone = fields.String(allow_none=True, metadata={"description": "the number shown publicly (公示)"})
    river_chief_day = fields.Boolean()
    user_id = fields.Integer(allow_none=True, metadata={"description": "the person's user account, if any"})


class AssetFieldsSchema(ApiSchema):
    """The fields of a facility as services.clean_asset accepts them; absent fields stay as they are."""

    type = fields.String(metadata={"enum": list(TYPES)})
    name = fields.String()
    area = fields.Raw(allow_none=True, metadata={"description": "area code or id"})
    status = fields.String(metadata={"enum": list(STATUSES)})
    owner_unit = fields.String(allow_none=True)
    maintenance_unit = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    attributes = fields.Dict(
        keys=fields.String(), metadata={"description": "typed attributes of the type, see GET /types"}
    )
    geometry = fields.Dict(allow_none=True, metadata={"description": "GeoJSON Point or LineString in WGS84"})
    chainage_start = fields.Raw(allow_none=True, metadata={"description": "metres, or text like K1+250"})
    chainage_end = fields.Raw(allow_none=True, metadata={"description": "metres, or text like K1+250"})
    in_service_on = fields.String(allow_none=True, metadata={"format": "date"})
    internal_notes = fields.String(allow_none=True)
    persons = fields.List(fields.Nested(PersonInSchema), allow_none=True,
                          metadata={"description": "replaces the whole list"})


class AssetCreateSchema(AssetFieldsSchema):
    type = fields.String(required=True, metadata={"enum": list(TYPES)})
    name = fields.String(required=True)
    code = fields.String(metadata={"description": "an unbound pre-printed code to bind; a new one otherwise"})


class AssetUpdateSchema(ChangeSchema, AssetFieldsSchema):
    version = fields.Integer(required=True, metadata={"description": "the version you read; a stale one is a 409"})


class AssetQuerySchema(ApiSchema):
    type = fields.String(validate=_one_of(TYPES), metadata={"enum": list(TYPES)})
    area = fields.String(metadata={"description": "area code or id; sub-areas are included"})
    status = fields.String(validate=_one_of(STATUSES), metadata={"enum": list(STATUSES)})
    q = fields.String(metadata={"description": "part of the name, or an identity code in any spelling"})
    limit = fields.Integer(load_default=50, validate=_between(1, 500), metadata={"minimum": 1, "maximum": 500})
    after = fields.Integer(validate=_between(0, MAX_ID),
                           metadata={"description": "the `next` of the previous page"})


class CodeQuerySchema(ApiSchema):
    status = fields.String(validate=_one_of(CODE_STATUSES), metadata={"enum": list(CODE_STATUSES)})
    type = fields.String(validate=_one_of(TYPES), metadata={"enum": list(TYPES)})
    prefix = fields.String(validate=_one_of(PREFIXES), metadata={"enum": list(PREFIXES),
                                                                 "description": "the type's code prefix, like RSV"})
    asset_id = fields.Integer(validate=_between(1, MAX_ID), metadata={"description": "codes this facility ever had"})
    limit = fields.Integer(load_default=50, validate=_between(1, 500), metadata={"minimum": 1, "maximum": 500})
    after = fields.Integer(validate=_between(0, MAX_ID),
                           metadata={"description": "the `next` of the previous page"})


class AreaQuerySchema(ApiSchema):
    parent = fields.String(metadata={"description": "area code or id: only the areas right below it"})
    level = fields.String(validate=_one_of(AREA_LEVELS), metadata={"enum": list(AREA_LEVELS)})
    q = fields.String(metadata={"description": "part of the code or the Chinese or English name"})
    retired = fields.Boolean(metadata={"description": "true: only retired areas; false: only areas in use; "
                                                      "absent: both"})
    # A district's whole tree usually fits in one page.
    limit = fields.Integer(load_default=500, validate=_between(1, 500), metadata={"minimum": 1, "maximum": 500})
    after = fields.String(validate=_path, metadata={"description": "the `next` of the previous page"})


# What assets.areas checks, told to the description (a code and a name are trimmed first).
AREA_CODE_META = {"description": "letters, digits, - and _; at most 32", "pattern": r"^\s*[0-9A-Za-z_-]{1,32}\s*$"}
AREA_NAME_META = {"maxLength": 100, "pattern": r"\S"}


class AreaFieldsSchema(ApiSchema):
    code = fields.String(metadata=AREA_CODE_META)
    name = fields.String(metadata=AREA_NAME_META)
    name_en = fields.String(allow_none=True, metadata={"maxLength": 100})
    level = fields.String(metadata={"enum": list(AREA_LEVELS)})
    parent = fields.Raw(allow_none=True, metadata={"description": "area code or id; none only for a district"})


class AreaCreateSchema(AreaFieldsSchema):
    code = fields.String(required=True, metadata=AREA_CODE_META)
    name = fields.String(required=True, metadata=AREA_NAME_META)
    level = fields.String(required=True, metadata={"enum": list(AREA_LEVELS)})


class AreaUpdateSchema(ChangeSchema, AreaFieldsSchema):
    version = fields.Integer(required=True, metadata={"description": "the version you read; a stale one is a 409"})


class CodeIssueSchema(ApiSchema):
    type = fields.String(required=True, metadata={"enum": list(TYPES)})
    count = fields.Integer(required=True, metadata={"minimum": 1, "maximum": 10000})


class CodeBindSchema(ApiSchema):
    asset_id = fields.Integer(required=True, validate=_between(1, MAX_ID))


class CodeRevokeSchema(ApiSchema):
    reason = fields.String(required=True)
    replacement = fields.String(allow_none=True, metadata={"description": "an unbound code to bind instead; "
                                                                          "a bound code gets a new one otherwise"})


# --- output ------------------------------------------------------------------------

class AreaRefSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()


class PersonSchema(Schema):
    role = fields.String()
    level = fields.String(allow_none=True)
    name = fields.String()
    unit = fields.String()
    position = fields.String()
    phone = fields.String()
    river_chief_day = fields.Boolean()
    user_id = fields.Integer(allow_none=True)


class AssetSchema(Schema):
    id = fields.Integer()
    type = fields.String()
    name = fields.String()
    status = fields.String()
    area = fields.Nested(AreaRefSchema, allow_none=True)
    owner_unit = fields.String()
    maintenance_unit = fields.String()
    address = fields.String()
    attributes = fields.Dict()
    derived = fields.Method("get_derived", metadata={"type": "object"})
    geometry = fields.Dict(allow_none=True)
    chainage_start_m = fields.Float(allow_none=True)
    chainage_end_m = fields.Float(allow_none=True)
    chainage_start = fields.Method("get_chainage_start", metadata={"type": "string", "nullable": True,
                                                                   "example": "K1+250"})
    chainage_end = fields.Method("get_chainage_end", metadata={"type": "string", "nullable": True, "example": "K1+250"})
    in_service_on = fields.Date(allow_none=True)
    code = fields.Method("get_code", metadata={"type": "string", "nullable": True})
    url = fields.Method("get_url", metadata={"type": "string", "nullable": True})
    persons = fields.List(fields.Nested(PersonSchema))
    internal_notes = fields.String()
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    is_demo = fields.Boolean()

    def get_derived(self, asset):
        return derived(asset.type, asset.attributes, asset.persons)

    def get_chainage_start(self, asset):
        return None if asset.chainage_start_m is None else format_chainage(asset.chainage_start_m)

    def get_chainage_end(self, asset):
        return None if asset.chainage_end_m is None else format_chainage(asset.chainage_end_m)

    def get_code(self, asset):
        return asset.code.code if asset.code else None

    def get_url(self, asset):
        return _scan_url(asset.code.code) if asset.code else None


class AssetPageSchema(Schema):
    items = fields.List(fields.Nested(AssetSchema))
    next = fields.String(allow_none=True, metadata={"description": "pass as `after` for the next page; "
                                                                   "null on the last page"})


class CodeSchema(Schema):
    code = fields.String()
    type = fields.Method("get_type", metadata={"type": "string"})
    status = fields.String(metadata={"enum": ["unbound", "bound", "revoked"]})
    asset_id = fields.Integer(allow_none=True)
    replaced_by = fields.Method("get_replaced_by", metadata={"type": "string", "nullable": True})
    revoked_reason = fields.String()
    created_at = fields.DateTime()
    bound_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    url = fields.Method("get_url", metadata={"type": "string"})

    def get_type(self, code):
        return PREFIXES[code.prefix]

    def get_replaced_by(self, code):
        return code.replaced_by.code if code.replaced_by else None

    def get_url(self, code):
        return _scan_url(code.code)


class CodeListSchema(Schema):
    items = fields.List(fields.Nested(CodeSchema))


class CodePageSchema(Schema):
    items = fields.List(fields.Nested(CodeSchema))
    next = fields.String(allow_none=True, metadata={"description": "pass as `after` for the next page; "
                                                                   "null on the last page"})


class UserRefSchema(Schema):
    username = fields.String()


class CodeEventSchema(Schema):
    action = fields.String()
    at = fields.DateTime()
    asset_id = fields.Integer(allow_none=True)
    user = fields.Pluck(UserRefSchema, "username", allow_none=True)
    note = fields.String()


class CodeDetailSchema(Schema):
    code = fields.Nested(CodeSchema)
    history = fields.List(fields.Nested(CodeEventSchema))


class AreaSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    name_en = fields.String()
    level = fields.String()
    parent_id = fields.Integer(allow_none=True)
    path = fields.String()
    retired_at = fields.DateTime(allow_none=True)
    version = fields.Integer()


class AreaPageSchema(Schema):
    items = fields.List(fields.Nested(AreaSchema))
    next = fields.String(allow_none=True, metadata={"description": "pass as `after` for the next page; "
                                                                   "null on the last page"})


class AttributeSchema(Schema):
    name = fields.String()
    label = fields.String()
    kind = fields.String(metadata={"enum": ["number", "integer", "text", "date", "choice", "period"]})
    unit = fields.String()
    required = fields.Boolean()
    choices = fields.List(fields.String())
    minimum = fields.Float(allow_none=True)
    maximum = fields.Float(allow_none=True)


class LevelSchema(Schema):
    level = fields.String()
    label = fields.String()


class RoleSchema(Schema):
    role = fields.String()
    label = fields.String()
    levels = fields.List(fields.Nested(LevelSchema))


class TypeSchema(Schema):
    key = fields.String()
    prefix = fields.String()
    label = fields.String()
    geometry = fields.String(metadata={"enum": ["Point", "LineString"]})
    linear = fields.Boolean()
    attributes = fields.List(fields.Nested(AttributeSchema))
    roles = fields.List(fields.Nested(RoleSchema))


class TypeListSchema(Schema):
    items = fields.List(fields.Nested(TypeSchema))
