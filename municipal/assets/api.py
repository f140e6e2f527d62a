"""REST API v1 for assets, codes, areas and types. The shared plumbing is in municipal.api."""
import sqlalchemy as sa
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from ..api import ApiBlueprint, VersionSchema
from ..audit.reading import entries_page
from ..audit.schemas import AuditPageSchema, AuditQuerySchema
from ..auth.scope import Scope
from ..errors import NotFound, ValidationError
from ..extensions import db
from ..i18n import N_
from ..permissions import roles, signed_in
from .. import paging
from . import areas, lookup, queries, services
from .identity import services as code_services
from .models import Area, Asset, CodeEvent, IdentityCode, find_area
from .schemas import (
    MAX_ID,
    AreaCreateSchema,
    AreaPageSchema,
    AreaQuerySchema,
    AreaSchema,
    AreaUpdateSchema,
    AssetCreateSchema,
    AssetPageSchema,
    AssetQuerySchema,
    AssetSchema,
    AssetUpdateSchema,
    CodeBindSchema,
    CodeDetailSchema,
    CodeIssueSchema,
    CodeListSchema,
    CodePageSchema,
    CodeQuerySchema,
    CodeRevokeSchema,
    TypeListSchema,
    TypeSchema,
)
from .types import LEVEL_LABELS, ROLE_LABELS, TYPES

ASSET_ID = f"<int(max={MAX_ID}):asset_id>"
AREA_ID = f"<int(max={MAX_ID}):area_id>"
# None: the schema's own rule (refuse) rather than webargs' default for query strings (ignore), so a
# mistyped filter is a 422 naming it instead of a list that silently is not filtered.
QUERY_UNKNOWN = None


# Descriptions and summaries are msgids: the spec carries them in English, /api/docs translates them.
assets_bp = ApiBlueprint("assets_api", __name__, description=N_("Facilities"))
codes_bp = ApiBlueprint("codes_api", __name__, description=N_("Identity codes"))
areas_bp = ApiBlueprint("areas_api", __name__, description=N_("Areas"))
types_bp = ApiBlueprint("types_api", __name__, description=N_("Facility types"))


def blueprints():
    return [assets_bp, codes_bp, areas_bp, types_bp]


# --- assets ------------------------------------------------------------------------

@assets_bp.route("/assets")
@signed_in
@assets_bp.doc(summary=N_("Find facilities"), description=N_(
    "Filters combine. Pages follow the id (keyset pagination): pass `next` as `after` "
    "to get the following page; `next` is null on the last one."))
@assets_bp.arguments(AssetQuerySchema, location="query", unknown=QUERY_UNKNOWN)
@assets_bp.response(200, AssetPageSchema)
def list_assets(query):
    filters = queries.Filters(type=query.get("type", ""), area=query.get("area", ""), status=query.get("status", ""),
                              q=query.get("q", ""))
    # Everything an asset's JSON shows comes with the page, not in a query per asset.
    loading = (joinedload(Asset.area), selectinload(Asset.persons), selectinload(Asset.code))
    page, after = queries.page(filters, Scope.of(current_user), query.get("after"), query["limit"], loading)
    return {"items": page, "next": str(after) if after is not None else None}


@assets_bp.route(f"/assets/{ASSET_ID}")
@signed_in
@assets_bp.doc(summary=N_("Read a facility"))
@assets_bp.response(200, AssetSchema)
def get_asset(asset_id):
    return lookup.visible_asset(current_user, asset_id)


@assets_bp.route(f"/assets/{ASSET_ID}/audit")
@signed_in
@assets_bp.doc(summary=N_("A facility's audit trail: who changed what and when, newest first"),
               description=N_("Pass `next` as `before` for older entries; `next` is null on the last page."))
@assets_bp.arguments(AuditQuerySchema, location="query")
@assets_bp.response(200, AuditPageSchema)
def asset_audit(query, asset_id):
    asset = lookup.visible_asset(current_user, asset_id)
    items, older = entries_page("asset", asset.id, query.get("before"), query["limit"])
    return {"items": items, "next": older}


@assets_bp.route("/assets/by-code/<code>")
@signed_in
@assets_bp.doc(summary=N_("Read the facility of an identity code"), description=N_(
    "Any spelling: lower case, without hyphens, with O for 0 or I for 1. "
    "A revoked code still finds the facility it was bound to."))
@assets_bp.response(200, AssetSchema)
def get_asset_by_code(code):
    return lookup.visible_asset(current_user, code, "code", ids=False)


@assets_bp.route("/assets", methods=["POST"])
@roles("admin", "supervisor")
@assets_bp.doc(summary=N_("Register a facility"),
               description=N_("It gets the unbound pre-printed `code` given, or a new code."))
@assets_bp.arguments(AssetCreateSchema)
@assets_bp.response(201, AssetSchema)
def create_asset(data):
    code = data.pop("code", None)
    asset = services.create_asset(current_user, data, code=code)
    return asset


@assets_bp.route(f"/assets/{ASSET_ID}", methods=["PATCH"])
@roles("admin", "supervisor")
@assets_bp.doc(summary=N_("Change a facility"),
               description=N_("Send only the fields to change, and the `version` you read."))
@assets_bp.arguments(AssetUpdateSchema)
@assets_bp.response(200, AssetSchema)
def update_asset(data, asset_id):
    version = data.pop("version")
    return services.update_asset(current_user, lookup.find_asset(asset_id), data, version)


@assets_bp.route(f"/assets/{ASSET_ID}/retire", methods=["POST"])
@roles("admin", "supervisor")
@assets_bp.doc(summary=N_("Decommission a facility"),
               description=N_("Its record, codes and history stay."))
@assets_bp.arguments(VersionSchema)
@assets_bp.response(200, AssetSchema)
def retire_asset(data, asset_id):
    version = data["version"]
    return services.retire_asset(current_user, lookup.find_asset(asset_id), version)


# --- identity codes ----------------------------------------------------------------

@codes_bp.route("/codes")
@signed_in
@codes_bp.doc(summary=N_("Find identity codes"), description=N_(
    "Filters combine. Pages follow the id (keyset pagination): pass `next` as `after` "
    "to get the following page; `next` is null on the last one."))
@codes_bp.arguments(CodeQuerySchema, location="query", unknown=QUERY_UNKNOWN)
@codes_bp.response(200, CodePageSchema)
def list_codes(query):
    select = sa.select(IdentityCode).options(selectinload(IdentityCode.replaced_by))
    if "status" in query:
        select = select.where(IdentityCode.status == query["status"])
    if "type" in query:
        select = select.where(IdentityCode.prefix == TYPES[query["type"]].prefix)
    if "prefix" in query:
        select = select.where(IdentityCode.prefix == query["prefix"])
    if "asset_id" in query:
        select = select.where(IdentityCode.asset_id == query["asset_id"])
    page, after = paging.page(select, (IdentityCode.id,), query.get("after"), query["limit"])
    return {"items": page, "next": str(after) if after is not None else None}


@codes_bp.route("/codes/<code>")
@signed_in
@codes_bp.doc(summary=N_("Look up an identity code and its history"))
@codes_bp.response(200, CodeDetailSchema)
def get_code(code):
    return _with_history(code_services.get_code(code))


@codes_bp.route("/codes", methods=["POST"])
@roles("admin", "supervisor")
@codes_bp.doc(summary=N_("Issue unbound codes to print ahead"))
@codes_bp.arguments(CodeIssueSchema)
@codes_bp.response(201, CodeListSchema)
def issue_codes(data):
    issued = code_services.issue_codes(current_user, data["type"], data["count"])
    return {"items": sorted(issued, key=lambda code: code.code)}


@codes_bp.route("/codes/<code>/bind", methods=["POST"])
@roles("admin", "supervisor")
@codes_bp.doc(summary=N_("Bind an unbound code to a facility"),
              description=N_("A code the facility had before is revoked and points at this one."))
@codes_bp.arguments(CodeBindSchema)
@codes_bp.response(200, CodeDetailSchema)
def bind_code(data, code):
    identity = code_services.get_code(code)
    code_services.bind_code(current_user, identity, lookup.find_asset(data["asset_id"], "asset_id"))
    return _with_history(identity)


@codes_bp.route("/codes/<code>/revoke", methods=["POST"])
@roles("admin", "supervisor")
@codes_bp.doc(summary=N_("Revoke a code (a damaged or lost label)"),
              description=N_("A bound code's facility gets the `replacement` bound instead, or a new code."))
@codes_bp.arguments(CodeRevokeSchema)
@codes_bp.response(200, CodeDetailSchema)
def revoke_code(data, code):
    identity = code_services.get_code(code)
    replacement = None
    if data.get("replacement"):
        replacement = code_services.get_code(code_services.parse_code(data["replacement"], "replacement"))
    code_services.revoke_code(current_user, identity, data["reason"], replacement)
    return _with_history(identity)


def _with_history(code: IdentityCode) -> dict:
    history = db.session.scalars(
        sa.select(CodeEvent).where(CodeEvent.code_id == code.id)
        .options(joinedload(CodeEvent.user)).order_by(CodeEvent.id)
    )
    return {"code": code, "history": history.all()}


# --- areas ------------------------------------------------------------------------

@areas_bp.route("/areas")
@signed_in
@areas_bp.doc(summary=N_("Find areas, each parent before its children"), description=N_(
    "Filters combine. Pages follow the path (keyset pagination): pass `next` as `after` "
    "to get the following page; `next` is null on the last one."))
@areas_bp.arguments(AreaQuerySchema, location="query", unknown=QUERY_UNKNOWN)
@areas_bp.response(200, AreaPageSchema)
def list_areas(query):
    select = sa.select(Area)
    if "parent" in query:
        parent = find_area(query["parent"])
        if parent is None:
            message = _("unknown area %(area)s", area=query["parent"])
            raise ValidationError(message, {"parent": message})
        select = select.where(Area.parent_id == parent.id)
    if "level" in query:
        select = select.where(Area.level == query["level"])
    if query.get("q", "").strip():
        q = query["q"].strip()
        select = select.where(sa.or_(*(column.icontains(q, autoescape=True)
                                       for column in (Area.code, Area.name, Area.name_en))))
    if "retired" in query:
        select = select.where(Area.retired_at.is_not(None) if query["retired"] else Area.retired_at.is_(None))
    page, after = paging.page(select, (Area.path,), query.get("after"), query["limit"])
    return {"items": page, "next": after}


@areas_bp.route(f"/areas/{AREA_ID}")
@signed_in
@areas_bp.doc(summary=N_("Read an area"))
@areas_bp.response(200, AreaSchema)
def get_area(area_id):
    return areas.get_area(area_id)


@areas_bp.route("/areas/by-code/<code>")
@signed_in
@areas_bp.doc(summary=N_("Read an area by its code"))
@areas_bp.response(200, AreaSchema)
def get_area_by_code(code):
    return areas.get_area_by_code(code)


@areas_bp.route("/areas", methods=["POST"])
@roles("admin")
@areas_bp.doc(summary=N_("Add an area"),
              description=N_("Its level lies below its parent's; only a district has no parent."))
@areas_bp.arguments(AreaCreateSchema)
@areas_bp.response(201, AreaSchema)
def create_area(data):
    area = areas.create_area(current_user, data)
    return area


@areas_bp.route(f"/areas/{AREA_ID}", methods=["PATCH"])
@roles("admin")
@areas_bp.doc(summary=N_("Change an area"), description=N_(
    "Send only the fields to change, and the `version` you read. "
    "An area moved to another parent takes the areas below it along."))
@areas_bp.arguments(AreaUpdateSchema)
@areas_bp.response(200, AreaSchema)
def update_area(data, area_id):
    version = data.pop("version")
    return areas.update_area(current_user, areas.get_area(area_id), data, version)


@areas_bp.route(f"/areas/{AREA_ID}/retire", methods=["POST"])
@roles("admin")
@areas_bp.doc(summary=N_("Retire an area"), description=N_(
    "Only when no facility but decommissioned ones and no area in use lies in it; otherwise a 409 says "
    "what does. It stays on file for the records that name it, but no facility or area may be put in it."))
@areas_bp.arguments(VersionSchema)
@areas_bp.response(200, AreaSchema)
def retire_area(data, area_id):
    version = data["version"]
    return areas.retire_area(current_user, areas.get_area(area_id), version)


# --- types ------------------------------------------------------------------------

@types_bp.route("/types")
@signed_in
@types_bp.doc(summary=N_("List the facility types, their attributes and who answers for them"))
@types_bp.response(200, TypeListSchema)
def list_types():
    return {"items": [_describe_type(asset_type) for asset_type in TYPES.values()]}


@types_bp.route("/types/<key>")
@signed_in
@types_bp.doc(summary=N_("Read a facility type"))
@types_bp.response(200, TypeSchema)
def get_type(key):
    if key not in TYPES:
        raise NotFound(_("There is no facility type %(type)s.", type=key))
    return _describe_type(TYPES[key])


def _describe_type(asset_type) -> dict:
    # Any facility may name a person in charge besides the roles of its type (services._clean_persons).
    roles = (*asset_type.roles, ("manager", ()))
    return {
        "key": asset_type.key,
        "prefix": asset_type.prefix,
        "label": _(asset_type.label),
        "geometry": asset_type.geometry,
        "linear": asset_type.linear,
        "attributes": [
            {"name": a.name, "label": _(a.label), "kind": a.kind, "unit": a.unit, "required": a.required,
             "choices": list(a.choices), "minimum": a.minimum, "maximum": a.maximum}
            for a in asset_type.attributes
        ],
        "roles": [
            {"role": role, "label": _(ROLE_LABELS[role]),
             "levels": [{"level": level, "label": _(LEVEL_LABELS[level])} for level in levels]}
            for role, levels in roles
        ],
    }
