"""Finding one facility from what people and programs give: its id, or an identity code in any spelling.

The one way every domain turns "a facility" in a form, a URL, a filter, a scope or a request body into the
facility. Read-only.
"""
import sqlalchemy as sa
from flask_babel import gettext as _

from ..auth.scope import Scope
from ..db import as_id
from ..errors import NotFound, ValidationError
from ..extensions import db
from .identity.services import parse_code
from .models import Asset, IdentityCode


class CodeNotBound(NotFound):
    """The code exists but names no facility yet: a pre-printed label not bound by a first scan."""

    def __init__(self, message: str, fields: dict, code: IdentityCode):
        super().__init__(message, fields)
        self.identity = code


# What find_asset raises when its `ref` names no facility: for callers that answer that in words of their own.
NO_FACILITY = (NotFound, ValidationError)


def find_asset(ref, field: str = "asset", *, ids: bool = True) -> Asset:
    """The facility `ref` names; NotFound when it names none, a ValidationError when it is not an id nor a code
    (a mistyped one: its check character does not match); either names `field`.

    `ref` is a facility id (a number, or its digits as text) or an identity code as people type it: any case,
    look-alike characters (O for 0, I for 1), with or without hyphens; its check character must match, as on
    the scan page. A code revoked since still names the facility it was bound to; a code not bound to any is
    CodeNotBound. `ids=False` takes codes only (a citizen's report names its label, never an id)."""
    text = str(ref if ref is not None else "").strip()
    if not text:
        message = _("Give a facility's number or identity code.")
        raise NotFound(message, {field: message})
    if text.isdigit():
        asset = db.session.get(Asset, as_id(text)) if ids and as_id(text) else None
        if asset is None:
            message = _("There is no facility %(id)s.", id=text)
            raise NotFound(message, {field: message})
        return asset
    canonical = parse_code(text, field)
    code = db.session.scalar(sa.select(IdentityCode).where(IdentityCode.code == canonical))
    if code is None:
        message = _("There is no code %(code)s.", code=canonical)
        raise NotFound(message, {field: message})
    if code.asset is None:
        message = _("Code %(code)s is not bound to a facility.", code=code.code)
        raise CodeNotBound(message, {field: message}, code)
    return code.asset


def visible_asset(actor, ref, field: str = "asset", *, ids: bool = True) -> Asset:
    """The facility `ref` names (as find_asset), if the actor may see it; one beyond their areas or types is
    refused, a 403."""
    asset = find_asset(ref, field, ids=ids)
    Scope.of(actor).require(asset)
    return asset
