"""Changes to the areas (towns, streets, communities) that facilities and people belong to. Flushes, never
commits."""
import re

import sqlalchemy as sa
from flask_babel import gettext as _

from ..audit.services import diff, pending_changes, record, snapshot
from ..db import as_id, utcnow
from ..errors import Conflict, NotFound, PermissionDenied, ValidationError
from ..extensions import db
from .checks import check_row_version
from .models import Area, Asset, find_area
from .types import AREA_LEVELS

AREA_FIELDS = ("code", "name", "name_en", "level", "parent")
# Area codes go into URLs (/api/v1/areas/by-code/…), filters and CSV columns.
AREA_CODE = re.compile(r"[0-9A-Za-z_-]{1,32}")



def require_admin(actor) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Please sign in."))
    if actor.role != "admin":
        raise PermissionDenied(_("Only administrators may change the areas."))


def get_area(area_id) -> Area:
    area = db.session.get(Area, as_id(area_id)) if as_id(area_id) else None
    if area is None:
        raise NotFound(_("There is no area %(id)s.", id=area_id))
    return area


def get_area_by_code(code: str) -> Area:
    area = db.session.scalar(sa.select(Area).where(Area.code == code.strip()))
    if area is None:
        raise NotFound(_("There is no area %(id)s.", id=code))
    return area


def _rank(level: str) -> int:
    return AREA_LEVELS.index(level)


def clean_area(data: dict, existing: Area | None = None) -> dict:
    """Check every field of `data`; return the values to set or raise one ValidationError naming all bad fields.

    With `existing`, fields absent from `data` keep their current values. The tree stays a tree: the parent
    exists, is not retired, is not the area itself or below it, and every level lies below its parent's.
    """
    errors: dict[str, str] = {}
    values: dict = {}
    for key in data:
        if key not in AREA_FIELDS:
            errors[key] = _("is not a field of an area")

    for key, limit, required in (("code", 32, True), ("name", 100, True), ("name_en", 100, False)):
        if key not in data and existing is not None:
            continue
        value = data.get(key) if data.get(key) is not None else ""
        if not isinstance(value, str):
            errors[key] = _("must be text")
            continue
        value = value.strip()
        if required and not value:
            errors[key] = _("is required")
        elif len(value) > limit:
            errors[key] = _("must be at most %(n)s characters", n=limit)
        elif key == "code" and not AREA_CODE.fullmatch(value):
            errors[key] = _("may hold only letters, digits, - and _")
        values[key] = value

    level = data.get("level", existing.level if existing else None)
    if level not in AREA_LEVELS:
        errors["level"] = _("must be one of: %(choices)s", choices=", ".join(AREA_LEVELS))
    elif existing is None or "level" in data:
        values["level"] = level

    parent = existing.parent if existing else None
    if "parent" in data:
        ref = data["parent"]
        parent = None if ref in (None, "") else find_area(ref) if isinstance(ref, (str, int)) else None
        if ref not in (None, "") and parent is None:
            errors["parent"] = _("unknown area %(area)s", area=ref)
        elif parent is not None and parent.retired_at is not None and (
                existing is None or parent is not existing.parent):
            errors["parent"] = _("area %(area)s is retired", area=parent.code)
        elif parent is not None and existing is not None and parent.path.startswith(existing.path):
            errors["parent"] = _("cannot be the area itself or an area below it")
        values["parent"] = parent

    if level in AREA_LEVELS and "parent" not in errors:
        if parent is None and level != AREA_LEVELS[0]:
            errors["parent"] = _("is required below the district level")
        elif parent is not None and _rank(level) <= _rank(parent.level):
            errors["level"] = _("must lie below the parent's level (%(level)s)", level=parent.level)
        elif existing is not None and "level" in values:
            child_levels = db.session.scalars(sa.select(Area.level).where(Area.parent_id == existing.id).distinct())
            if any(_rank(level) >= _rank(child) for child in child_levels if child in AREA_LEVELS):
                errors["level"] = _("must lie above the levels of the areas below it")

    if errors:
        raise ValidationError(_("The area was not saved: %(n)s field(s) need attention.", n=len(errors)), errors)
    if "code" in values and (existing is None or values["code"] != existing.code):
        if db.session.scalar(sa.select(Area.id).where(Area.code == values["code"])):
            raise _code_taken(values["code"])
    return values


def _code_taken(code: str) -> Conflict:
    return Conflict(_("There is already an area with the code %(code)s.", code=code), {"code": _("already taken")})


def create_area(actor, data: dict) -> Area:
    require_admin(actor)
    values = clean_area(data)
    area = Area(**values)
    try:
        # A savepoint: another writer taking the same code at the same moment is a Conflict, not a 500.
        with db.session.begin_nested():
            db.session.add(area)
            db.session.flush()
    except sa.exc.IntegrityError:
        raise _code_taken(values["code"]) from None
    # The path needs the id, which exists only after the flush.
    area.path = f"{area.parent.path if area.parent else '/'}{area.id}/"
    db.session.flush()
    record(actor, "area", area.id, "create", diff({}, snapshot(area)))
    return area


def update_area(actor, area: Area, data: dict, version) -> Area:
    """Change an area. Moved under another parent, it takes everything below it along."""
    require_admin(actor)
    check_area_version(area, version)
    before = snapshot(area)
    values = clean_area(data, existing=area)
    old_path = area.path
    try:
        # A savepoint: another writer taking the same code at the same moment is a Conflict, not a 500.
        with db.session.begin_nested():
            for key, value in values.items():
                setattr(area, key, value)
            area.path = f"{area.parent.path if area.parent else '/'}{area.id}/"
            area.version += 1
    except sa.exc.IntegrityError:
        raise _code_taken(values["code"]) from None
    if area.path != old_path:
        # The paths below follow in one statement; they are derived from the parents, so not audited apiece.
        table = Area.__table__
        db.session.execute(
            sa.update(table)
            .where(table.c.path.startswith(old_path), table.c.id != area.id)
            .values(path=sa.literal(area.path) + sa.func.substr(table.c.path, len(old_path) + 1))
        )
        for other in list(db.session.identity_map.values()):
            if isinstance(other, Area) and other is not area:
                db.session.expire(other, ["path"])
    record(actor, "area", area.id, "update", diff(before, snapshot(area)))
    return area


def retire_area(actor, area: Area, version) -> Area:
    """Retire an area no facility in service and no area in use lies in. It stays on file, named by the
    decommissioned facilities, past events and audit entries that refer to it; nothing new may use it."""
    require_admin(actor)
    check_area_version(area, version)
    if area.retired_at is not None:
        raise Conflict(_("Area %(area)s is already retired.", area=area.code), {"version": _("already retired")},
                       current={"id": area.id, "version": area.version})
    facilities = db.session.scalar(sa.select(sa.func.count()).select_from(Asset).where(
        Asset.area_id == area.id, Asset.status != "decommissioned"))
    children = db.session.scalar(sa.select(sa.func.count()).select_from(Area).where(
        Area.parent_id == area.id, Area.retired_at.is_(None)))
    if facilities or children:
        fields = {}
        if facilities:
            fields["facilities"] = _("facilities that are not decommissioned still lie in it (%(n)s)", n=facilities)
        if children:
            fields["areas"] = _("areas below it are not retired yet (%(n)s)", n=children)
        raise Conflict(_("Area %(area)s is still in use: move or retire what lies in it first.", area=area.code),
                       fields, current={"id": area.id, "version": area.version,
                                        "facilities": facilities, "areas": children})
    area.retired_at = utcnow()
    area.version += 1
    record(actor, "area", area.id, "retire", pending_changes(area))
    db.session.flush()
    return area


def check_area_version(area: Area, version) -> None:
    check_row_version(area, version, _("Someone else changed this area since you opened it (version %(theirs)s, yours "
                            "%(yours)s). Reload it and apply your change again."))
