"""The Open311 GeoReport v2 endpoint: /open311/v2/… in .json and .xml, and its discovery document.

Another system files with an api_key (made by `municipal open311 keys create`); the key is its proof, so
the blueprint is exempt from CSRF, which protects browser sessions this endpoint never uses. Errors are the
spec's list of {code, description}, in the format asked for, the routing's own (404, 405 with its Allow
header) included. A key or address past its rate limit gets a 429 in that format: the spec asks for "the
appropriate HTTP status code" and names 400, 403 and 404 for a bad request, a bad key and an unknown
jurisdiction; a 400 would tell the sender to change a request that is right, only too early.
"""
import json
from xml.etree import ElementTree

from flask import Blueprint, Response, current_app, request, url_for
from flask_babel import gettext as _

from ..errors import DomainError, NotFound, PermissionDenied, ValidationError, answer_errors_under
from ..permissions import public
from . import open311, open311_keys
from .open311 import SPECIFICATION
from .services import client_fingerprint

bp = Blueprint("open311", __name__, url_prefix="/open311")
FORMATS = {"json": "application/json", "xml": "text/xml"}
# The XML element of each list's items, as the spec writes them.
ITEM = {"services": "service", "service_requests": "request", "attributes": "attribute", "values": "value",
        "endpoints": "endpoint", "formats": "format", "errors": "error"}


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status, self.description = status, description


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _element(name: str, value) -> ElementTree.Element:
    element = ElementTree.Element(name)
    if isinstance(value, dict):
        for key, item in value.items():
            element.append(_element(key, item))
    elif isinstance(value, list):
        for item in value:
            element.append(_element(ITEM[name], item))
    else:
        element.text = _text(value)
    return element


def render(fmt: str, root: str, value, status: int = 200) -> Response:
    """`value` as JSON, or as XML under `root` (a list's items named by ITEM)."""
    if fmt == "xml":
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ElementTree.tostring(_element(root, value),
                                                                                encoding="utf-8", xml_declaration=False)
    else:
        body = json.dumps(value, ensure_ascii=False).encode()
    return Response(body, status=status, content_type=f"{FORMATS[fmt]}; charset=utf-8")


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(404, _("Only .json and .xml are served."))
    return fmt


def _jurisdiction() -> None:
    given = request.values.get("jurisdiction_id")
    if given is not None and given != current_app.config["OPEN311_JURISDICTION"]:
        raise Open311Error(404, _("This endpoint does not serve the jurisdiction %(id)s.", id=given[:60]))


def _private() -> bool:
    return open311_keys.key_for(request.values.get("api_key", "")) is not None


def _answer(fmt: str, root: str, make, status: int = 200):
    """Check the format and jurisdiction, run `make`, and render its value or the spec's error."""
    chosen = fmt if fmt in FORMATS else "json"
    try:
        _format(fmt)
        _jurisdiction()
        return render(chosen, root, make(), status)
    except Open311Error as error:
        return _error(chosen, error.status, error.description)
    except DomainError as error:
        status = {ValidationError.status: 400, PermissionDenied.status: 403, NotFound.status: 404}.get(
            error.status, error.status)
        details = [f"{field}: {text}" for field, text in (error.fields or {}).items()]
        return _error(chosen, status, "; ".join(details) or error.message)


def _error(fmt: str, status: int, description: str) -> Response:
    return render(fmt, "errors", [{"code": status, "description": description}], status)


def _http_error(status: int, message: str, headers: list) -> Response:
    """An HTTP error under /open311 (an unknown path, a method not allowed, too large a body) in the spec's
    format, chosen by the path's extension, with the headers its status needs (a 405's Allow)."""
    response = _error("xml" if request.path.endswith(".xml") else "json", status, message)
    response.headers.extend(headers)
    return response


@bp.record_once
def _answer_http_errors(state) -> None:
    answer_errors_under(state.app, bp.url_prefix + "/", _http_error)


@bp.route("/discovery.<fmt>")
@public
def discovery(fmt):
    def make():
        base = current_app.config["PUBLIC_URL"].rstrip("/") + url_for("open311.services", fmt=fmt).rsplit("/", 1)[0]
        return {"changeset": "2026-12-01T00:00:00+08:00", "contact": _("Call the hotline %(hotline)s.",
                                                                      hotline=current_app.config["HOTLINE"]),
                "key_service": _("Ask the district's administrator for an api_key."),
                "endpoints": [{"specification": SPECIFICATION, "url": base, "changeset": "2026-12-01T00:00:00+08:00",
                               "type": "production", "formats": list(FORMATS.values())}]}
    return _answer(fmt, "discovery", make)


@bp.route("/v2/services.<fmt>")
@public
def services(fmt):
    return _answer(fmt, "services", open311.services_list)


@bp.route("/v2/services/<code>.<fmt>")
@public
def service_definition(code, fmt):
    return _answer(fmt, "service_definition", lambda: open311.service_definition(code))


def _list(name: str) -> list[str]:
    return [part.strip() for part in request.values.get(name, "").split(",") if part.strip()]


def _query() -> open311.Query:
    statuses = _list("status")
    if any(status not in ("open", "closed") for status in statuses):
        raise Open311Error(400, _("status is open or closed."))
    moments = {}
    for name in ("start_date", "end_date"):
        text = request.values.get(name, "").strip()
        if text:
            try:
                moments[name] = open311.parse_moment(text)
            except ValueError:
                raise Open311Error(400, _("%(name)s is not a w3 date and time.", name=name)) from None
    return open311.Query(ids=_list("service_request_id"), service_codes=_list("service_code"), statuses=statuses,
                         start=moments.get("start_date"), end=moments.get("end_date"))


@bp.route("/v2/requests.<fmt>", methods=["GET", "POST"])
@public
def requests(fmt):
    if request.method == "GET":
        return _answer(fmt, "service_requests", lambda: open311.find_requests(_query(), _private()))

    def make():
        key = open311_keys.key_for(request.values.get("api_key", ""))
        if key is None:
            raise Open311Error(403, _("A valid api_key is required to create a request."))
        upload = request.files.get("media")
        return [open311.create_request(key.id, request.form.to_dict(), upload if upload and upload.filename else None,
                                       client_fingerprint(request.remote_addr or ""))]
    return _answer(fmt, "service_requests", make, 201)


@bp.route("/v2/requests/<request_id>.<fmt>")
@public
def request_detail(request_id, fmt):
    return _answer(fmt, "service_requests", lambda: [open311.get_request(request_id, _private())])


@bp.route("/v2/tokens/<token>.<fmt>")
@public
def token(token, fmt):
    return _answer(fmt, "service_requests", lambda: [open311.token_request(token)])
