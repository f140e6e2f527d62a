"""The checks every change to the registry makes: who may edit, and whether the edited version is current."""
from flask_babel import gettext as _

from ..auth.scope import require_supervisor
from ..errors import Conflict, ValidationError


def require_editor(actor, *objects) -> None:
    """Refused unless the actor may change the registry, and these facilities (or areas) in particular."""
    require_supervisor(actor, *objects, message=_("Only supervisors and administrators may change the registry."))


def _version_number(version) -> int:
    if version is None:
        raise ValidationError(_("The version you edited is required."), {"version": _("is required")})
    try:
        return int(version)
    except (TypeError, ValueError):
        raise ValidationError(_("The version must be a number."), {"version": _("must be a number")}) from None


def check_row_version(row, version, message: str) -> None:
    """409 with the row's current version when `version` is not it; `message` has %(theirs)s and %(yours)s."""
    version = _version_number(version)
    if version != row.version:
        raise Conflict(message % {"theirs": row.version, "yours": version}, {"version": _("is stale")},
                       current={"id": row.id, "version": row.version})
