"""Domain errors and their one mapping to HTML and JSON responses."""
from flask import current_app, render_template, request
from flask_babel import gettext as _
from marshmallow import Schema
from marshmallow import fields as ma_fields
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ValidationError(DomainError):
    """Input that breaks a rule; `fields` maps each field to what is wrong with it."""

    status = 422
    code = "validation_error"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"

    def __init__(self, message: str, fields: dict | None = None, current: dict | None = None):
        super().__init__(message, fields)
        self.current = current


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


def wants_json() -> bool:
    return (request.path.startswith(("/api/", "/open311/")) or request.is_json
            or request.accept_mimetypes.best == "application/json")


def error_body(code: str, message: str, fields: dict | None = None, **extra) -> dict:
    body = {"code": code, "message": message, "fields": fields or {}}
    body.update(extra)
    return {"error": body}


class ErrorDetailSchema(Schema):
    code = ma_fields.String(required=True, metadata={"description": "what kind of error, e.g. validation_error"})
    message = ma_fields.String(required=True, metadata={"description": "what went wrong, in the user's language"})
    fields = ma_fields.Dict(keys=ma_fields.String(), values=ma_fields.String(), required=True, metadata={
        "description": "each field that is wrong, with what is wrong with it; empty when none is to blame"})
    current = ma_fields.Dict(metadata={"description": "on a 409 from a stale version: the current state"})


class ErrorSchema(Schema):
    """The body of every API error: what error_body() writes. The OpenAPI description refers to it for
    every error response."""

    error = ma_fields.Nested(ErrorDetailSchema, required=True)


def _respond(status: int, code: str, message: str, fields=None, headers=None, **extra):
    if wants_json():
        return error_body(code, message, fields, **extra), status, headers or {}
    return render_template("error.html", status=status, message=message, fields=fields or {}), status, headers or {}


def register_error_handlers(app) -> None:
    @app.errorhandler(DomainError)
    def _domain(error: DomainError):
        extra = {"current": error.current} if isinstance(error, Conflict) and error.current else {}
        return _respond(error.status, error.code, error.message, error.fields, **extra)

    from .calendar.rules import RuleTableError

    @app.errorhandler(RuleTableError)
    def _calendar_rules(error: RuleTableError):
        # The rule table or the district's calendar settings, not the request: the server is set up wrong,
        # and says which setting, on every calendar page and endpoint alike.
        return _respond(503, "unavailable", _("The calendar rules cannot be used: %(error)s", error=error),
                        {error.path or "settings": error.reason})

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        messages = {
            400: _("The request could not be understood."),
            401: _("Please sign in."),
            403: _("You are not allowed to do this."),
            404: _("Nothing was found at this address."),
            405: _("This method is not allowed here."),
            413: _("The upload is too large."),
            429: _("Too many requests; please wait a moment."),
        }
        message = messages.get(error.code, error.description or error.name)
        fields = None
        # flask-smorest/webargs put field errors in error.data["messages"].
        data = getattr(error, "data", None) or {}
        if isinstance(data.get("messages"), dict):
            fields = {}
            for location, problems in data["messages"].items():
                if isinstance(problems, dict):
                    fields.update({k: " ".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in problems.items()})
                else:
                    fields[location] = " ".join(map(str, problems)) if isinstance(problems, list) else str(problems)
            return _respond(422, "validation_error", _("Some fields are not valid."), fields)
        if error.code == 400 and "CSRF" in str(error.description):
            message = _("The form expired or was sent from elsewhere; please reload the page and try again.")
        # The exception's own headers say what the status needs said: a 405's Allow, a 429's Retry-After.
        headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
        return _respond(error.code or 500, f"http_{error.code}", message, fields, headers)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        current_app.logger.exception("unhandled error")
        return _respond(500, "internal_error", _("Something went wrong on our side; it has been logged."))
