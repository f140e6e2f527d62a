"""Domain errors and their one mapping to HTML and JSON responses."""
from flask import current_app, render_template, request
from flask_babel import gettext as _
from marshmallow import Schema
from marshmallow import fields as ma_fields
from sqlalchemy import event, inspect
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
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


def respond(status: int, code: str, message: str, fields=None, headers=None, **extra):
    """The one error answer: the JSON body or the error page, as the client wants. A domain that maps an error
    of its own to an answer (the calendar: a broken rule table) answers through this."""
    if wants_json():
        return error_body(code, message, fields, **extra), status, headers or {}
    return render_template("error.html", status=status, message=message, fields=fields or {}), status, headers or {}


def answer_errors_under(app, prefix: str, render) -> None:
    """Answer the HTTP errors under the path `prefix` (a 404, a 405, a 413…) with `render(status, message,
    headers)`: for a part of the site whose clients read errors in a format of their own (Open311's list of
    code and description). Routing errors (an unknown path, a method not allowed) reach no blueprint's own
    handler, so the one HTTP handler asks for it."""
    app.extensions.setdefault("error_formats", {})[prefix] = render


def _roll_back(session) -> None:
    """End the failed transaction before the error page runs: its layout reads the signed-in user and the
    menu through the same session, which would otherwise fail again with PendingRollbackError."""
    session.rollback()


def _remember_versioned_rows(session, _flush_context, _instances) -> None:
    """Before each flush, the rows with a version column it is about to write: a flush that loses a race
    rolls back and forgets them, and the 409 then names the one that lost (see _current_state)."""
    rows = []
    for obj in session.dirty:
        state = inspect(obj)
        if state.mapper.version_id_col is not None and state.identity is not None:
            rows.append((state.mapper.class_, state.identity))
    session.info["versioned_rows"] = rows


def _current_state(session) -> dict:
    """The stored state of the one row a lost race was about, for `error.current`; none when there were many."""
    rows = session.info.get("versioned_rows", [])
    if len(rows) != 1:
        return {}
    row = session.get(*rows[0])
    if row is None:
        return {}
    state = getattr(row, "conflict_state", None)
    return {"current": state() if state else {"id": row.id, "version": row.version}}


def register_error_handlers(app, session) -> None:
    """The one mapping of errors to answers. `session` is the application's (scoped) database session, rolled
    back before any error is answered."""
    event.listen(session, "before_flush", _remember_versioned_rows)

    @app.errorhandler(DomainError)
    def _domain(error: DomainError):
        # Nothing half-written: the page shows what is stored.
        _roll_back(session)
        extra = {"current": error.current} if isinstance(error, Conflict) and error.current else {}
        return respond(error.status, error.code, error.message, error.fields, **extra)

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
            return respond(422, "validation_error", _("Some fields are not valid."), fields)
        if error.code == 400 and "CSRF" in str(error.description):
            message = _("The form expired or was sent from elsewhere; please reload the page and try again.")
        # The exception's own headers say what the status needs said: a 405's Allow, a 429's Retry-After.
        headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
        for prefix, render in app.extensions.get("error_formats", {}).items():
            if request.path.startswith(prefix):
                return render(error.code or 500, message, headers)
        return respond(error.code or 500, f"http_{error.code}", message, fields, headers)

    @app.errorhandler(StaleDataError)
    def _stale(error: StaleDataError):
        # Another writer committed between this request's version check and its write (the UPDATE of the
        # version column matched no row): the same 409 as a stale version, with the stored state.
        _roll_back(session)
        current_app.logger.info("stale write: %s", error)
        return respond(409, "conflict", _("Someone else changed this in the meantime; reload it and apply your "
                                          "change again."), {"version": _("stale")}, **_current_state(session))

    @app.errorhandler(IntegrityError)
    def _clash(error: IntegrityError):
        # A unique key or a reference the services checked was taken or removed by a write that committed
        # in the meantime.
        _roll_back(session)
        current_app.logger.warning("write refused by the database: %s", error.orig)
        return respond(409, "conflict", _("This could not be saved: it clashes with a change saved at the same "
                                          "moment. Please reload and try again."))

    @app.errorhandler(SQLAlchemyError)
    def _database(error: SQLAlchemyError):
        _roll_back(session)
        current_app.logger.exception("database error")
        # Lost or refused connections, a locked SQLite file: the database, not this request, is the trouble.
        if isinstance(error, OperationalError) or (isinstance(error, DBAPIError) and error.connection_invalidated):
            return respond(503, "unavailable", _("The database is not available just now; please try again in "
                                                 "a moment."))
        return respond(500, "internal_error", _("Something went wrong on our side; it has been logged."))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        _roll_back(session)
        current_app.logger.exception("unhandled error")
        return respond(500, "internal_error", _("Something went wrong on our side; it has been logged."))
