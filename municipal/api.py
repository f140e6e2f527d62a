"""What every REST API v1 blueprint shares: authentication, the request parser, the schema base,
and the browsable description at /api/docs.

Each domain's api.py builds its blueprints from ApiBlueprint and lists them in `blueprints()`;
create_app mounts them under /api/v1. Endpoints are thin: a schema parses the request, a service
changes state, the endpoint commits (it is the transaction boundary), a schema writes the answer.
Errors of every kind leave as the one error shape of municipal.errors.
"""
from flask import Blueprint as FlaskBlueprint
from flask import current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate, validates_schema
from webargs.flaskparser import FlaskParser

from .db import MAX_ID as DB_MAX_ID
from .errors import DomainError, Unauthorized, ValidationError
from .extensions import api, csrf
from .permissions import declaration, signed_in
from .request import too_deep

# Ids in paths and bodies stop where the database's ids do (32-bit on PostgreSQL).
MAX_ID = DB_MAX_ID


def bearer_credentials(req) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; RFC 7235 makes the scheme's case free."""
    scheme, _space, value = req.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def _flatten(messages, prefix: str = "") -> dict:
    """{"persons": {0: {"name": ["…"]}}} → {"persons.0.name": "…"}: the field names the services use."""
    if isinstance(messages, dict):
        flat = {}
        for key, value in messages.items():
            flat.update(_flatten(value, f"{prefix}{key}."))
        return flat
    texts = messages if isinstance(messages, list) else [messages]
    return {prefix.rstrip("."): "; ".join(str(text) for text in texts)}


class _Parser(FlaskParser):
    """webargs' parser, failing with the house error shape instead of its own."""

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        fields = {}
        for messages in error.messages.values():  # keyed by location: json, query
            fields.update(_flatten(messages))
        raise ValidationError(_("Some fields are not valid."), fields)

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        raise DomainError(_("The request body is not valid JSON."))

    def _raw_load_json(self, req):
        # json.loads recurses once per level: a body of 100 000 brackets overflows the stack.
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            raise DomainError(too_deep(), {"body": too_deep()}) from None


def _authenticate():
    """Every endpoint but the few declared @public needs a signed-in user, by bearer token or by session."""
    permission = declaration(current_app, request.endpoint)
    if permission is not None and permission.public:
        # Nobody's rights ride on an anonymous request, so there is nothing for a forged one to borrow.
        return
    if not current_user.is_authenticated:
        raise Unauthorized(_("Please sign in."))
    # A browser sends the session cookie with a forged cross-site request on its own, but never an
    # Authorization header: only cookie-authenticated writes have to prove they come from our pages.
    if current_app.config["WTF_CSRF_ENABLED"] and not bearer_credentials(request):
        csrf.protect()


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = _Parser()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.before_request(_authenticate)

    def register_views_in_doc(self, api, app, spec, **kwargs):
        super().register_views_in_doc(api, app, spec, **kwargs)
        # The first of these blueprints to reach an app's spec says how to authenticate;
        # apispec merges `options` into the spec's top level.
        if "bearerAuth" not in spec.components.security_schemes:
            spec.components.security_scheme("bearerAuth", {
                "type": "http", "scheme": "bearer",
                "description": "An API token: `municipal create-token NAME`.",
            })
            spec.components.security_scheme("session", {
                "type": "apiKey", "in": "cookie", "name": "session",
                "description": "The browser session; POST and PATCH also need the X-CSRFToken header.",
            })
            spec.options["security"] = [{"bearerAuth": []}, {"session": []}]


# --- schemas -----------------------------------------------------------------------

# marshmallow's own messages are English; these replace them so every field error is translated.
_INVALID = (
    (fields.Boolean, _l("must be true or false")),
    (fields.Integer, _l("must be a whole number")),
    (fields.Float, _l("must be a number")),
    (fields.String, _l("must be text")),
    (fields.Dict, _l("must be an object")),
    (fields.List, _l("must be a list")),
    # Date before DateTime: marshmallow's Date is a kind of DateTime.
    (fields.Date, _l("must be a date like 2024-05-01")),
    (fields.DateTime, _l("must be a date and time like 2024-05-01T18:00:00+08:00")),
)


class ApiSchema(Schema):
    """The base of every input schema: unknown fields are refused, every message is translated."""

    error_messages = {"unknown": _l("is not a known field"), "type": _l("must be an object")}

    def on_bind_field(self, field_name, field_obj):
        messages = {"required": _l("is required"), "null": _l("may not be null"), "type": _l("must be an object")}
        invalid = next((text for kind, text in _INVALID if isinstance(field_obj, kind)), None)
        if invalid is not None:
            messages["invalid"] = invalid
        field_obj.error_messages = {**field_obj.error_messages, **messages}


class ChangeSchema(ApiSchema):
    """The body of a PATCH: the fields to change, and the `version` read where there is one."""

    @validates_schema
    def _changes_something(self, data, **kwargs):
        # An empty change would still be written to the audit trail and bump the version. Raised as the
        # domain's error, not a field's, so that the answer says what is wrong with the request as a whole.
        if not set(data) - {"version"}:
            raise ValidationError(_("There is nothing to change."),
                                  {"body": _("send at least one field to change")})


class _Range(validate.Range):
    # marshmallow's own validators, so that the OpenAPI description shows the bounds and the choices;
    # with our translated messages.
    def _format_error(self, value, message):
        return _("must be between %(low)s and %(high)s", low=self.min, high=self.max)


class _OneOf(validate.OneOf):
    def _format_error(self, value):
        return _("must be one of: %(choices)s", choices=", ".join(self.choices))


def between(low: int, high: int) -> validate.Range:
    return _Range(low, high)


def one_of(choices) -> validate.OneOf:
    return _OneOf(list(choices))


def id_list(**kwargs) -> fields.List:
    """A list of ids. Its items are not bound to the schema, so they are given its translated message here."""
    item = fields.Integer(validate=between(1, MAX_ID), error_messages={"invalid": _l("must be a whole number")})
    return fields.List(item, **kwargs)


class VersionSchema(ApiSchema):
    version = fields.Integer(required=True, metadata={"description": "the version you read; a stale one is a 409"})


# --- the browsable description ------------------------------------------------------

docs_bp = FlaskBlueprint("api_docs", __name__)


@docs_bp.route("/api/docs")
@signed_in
def docs():
    spec = api.spec.to_dict()
    return render_template("api_docs.html", spec=spec, groups=_operations(spec), schemas=_schemas(spec))


def _ref_name(node: dict | None) -> str:
    """"Asset" for {"$ref": "#/components/schemas/Asset"}, "Asset[]" for an array of them."""
    if not node:
        return ""
    if "$ref" in node:
        return node["$ref"].rsplit("/", 1)[-1]
    if node.get("type") == "array":
        return _ref_name(node.get("items")) + "[]"
    return node.get("type", "")


def _json_schema(spec: dict, holder: dict) -> str:
    if "$ref" in holder:  # a shared response, such as the default error
        holder = spec["components"]["responses"][_ref_name(holder)]
    return _ref_name(holder.get("content", {}).get("application/json", {}).get("schema"))


def _operations(spec: dict) -> list[tuple[str, list[dict]]]:
    """The operations grouped by tag, in the order the blueprints registered them."""
    groups = {tag["name"]: [] for tag in spec.get("tags", [])}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            parameters = item.get("parameters", []) + operation.get("parameters", [])
            groups.setdefault(operation["tags"][0], []).append({
                "method": method.upper(),
                "path": path,
                "summary": operation.get("summary", ""),
                "description": operation.get("description", ""),
                "parameters": [
                    {"name": p["name"], "in": p["in"], "required": p.get("required", False),
                     "type": _ref_name(p.get("schema")), "description": p.get("description", "")}
                    for p in parameters
                ],
                "request": _json_schema(spec, operation.get("requestBody", {})),
                "responses": [(status, _json_schema(spec, response))
                              for status, response in operation["responses"].items()],
            })
    descriptions = {tag["name"]: tag.get("description", "") for tag in spec.get("tags", [])}
    return [(descriptions.get(name) or name, operations) for name, operations in groups.items() if operations]


def _schemas(spec: dict) -> list[tuple[str, list[dict]]]:
    found = []
    for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items()):
        required = set(schema.get("required", []))
        found.append((name, [
            {"name": field, "type": _ref_name(prop) or "any", "required": field in required,
             "enum": prop.get("enum", []), "description": prop.get("description", "")}
            for field, prop in schema.get("properties", {}).items()
        ]))
    return found
