"""The checks the account services share: who may manage accounts, and the areas and facility types an
account or a team may be given."""
from collections.abc import Iterable

from flask_babel import gettext as _

from ..errors import PermissionDenied, Unauthorized, ValidationError
from .models import User


def require_admin(actor: User | None) -> None:
    if actor is None or not actor.is_authenticated:
        raise Unauthorized(_("Please sign in."))
    if actor.role != "admin":
        raise PermissionDenied(_("Only administrators may manage users, teams and tokens."))


def find_areas(codes: Iterable[str], field: str) -> list:
    """The areas named by `codes` (codes, ids or names), or a ValidationError on `field` naming the unknown."""
    from ..assets.models import find_area

    found, unknown = [], []
    for code in codes:
        area = find_area(code)
        (found if area is not None else unknown).append(area if area is not None else code)
    if unknown:
        raise ValidationError(_("Unknown area %(area)s.", area=", ".join(map(str, unknown))),
                              {field: _("unknown area %(area)s", area=", ".join(map(str, unknown)))})
    return found


def clean_asset_types(asset_types: Iterable[str], errors: dict) -> str:
    """Facility type keys as stored (comma-separated, each once); an unknown one is added to `errors`."""
    from ..assets.types import TYPES

    types = [t for t in asset_types if t]
    unknown = [t for t in types if t not in TYPES]
    if unknown:
        errors["asset_types"] = _("Unknown facility type %(type)s.", type=", ".join(unknown))
    return ",".join(dict.fromkeys(types))
